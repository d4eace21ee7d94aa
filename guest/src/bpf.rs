//! Loading BPF programs with libbpf-rs and running them: one program of an
//! object at a time, with the verifier's log kept for the tests.

use anyhow::{anyhow, bail, Context, Result};
use libbpf_rs::{Link, MapCore, Object, ObjectBuilder, PrintLevel};
use std::path::Path;
use std::sync::Mutex;

static LOG: Mutex<String> = Mutex::new(String::new());

fn keep_log(_level: PrintLevel, msg: String) {
    if let Ok(mut log) = LOG.lock() {
        log.push_str(&msg);
    }
}

/// Sends libbpf's messages (the verifier log among them) to the log that
/// [`load`] returns on failure.
pub fn capture_libbpf_log() {
    libbpf_rs::set_print(Some((PrintLevel::Debug, keep_log)));
}

fn take_log() -> String {
    LOG.lock()
        .map(|mut l| std::mem::take(&mut *l))
        .unwrap_or_default()
}

/// A failed load, with what libbpf and the verifier said.
#[derive(Debug)]
pub struct LoadError {
    /// libbpf's error.
    pub error: String,
    /// libbpf's messages, including the verifier log.
    pub log: String,
}

/// Opens `path` and loads only the programs named in `progs` (all if
/// empty).
pub fn load(path: &Path, progs: &[&str]) -> std::result::Result<Object, LoadError> {
    let fail = |e: libbpf_rs::Error| LoadError {
        error: e.to_string(),
        log: take_log(),
    };
    take_log();
    let mut open = ObjectBuilder::default().open_file(path).map_err(fail)?;
    let mut found = 0;
    for mut p in open.progs_mut() {
        let wanted = progs.is_empty() || progs.iter().any(|n| p.name() == *n);
        found += usize::from(wanted);
        p.set_autoload(wanted);
    }
    if found < progs.len() {
        return Err(LoadError {
            error: format!("{} lacks some of the programs {progs:?}", path.display()),
            log: String::new(),
        });
    }
    open.load().map_err(fail)
}

/// Loads `prog` of `path`, which must succeed.
pub fn load_ok(path: &Path, prog: &str) -> Result<Object> {
    load(path, &[prog]).map_err(|e| anyhow!("loading {prog} failed: {}\n{}", e.error, e.log))
}

/// Loads `prog` of `path`, which the verifier must reject with a log
/// containing `expected`. Returns the log.
pub fn load_rejected(path: &Path, prog: &str, expected: &str) -> Result<String> {
    match load(path, &[prog]) {
        Ok(_) => bail!("{prog} loaded, but the verifier should have rejected it ({expected:?})"),
        Err(e) if e.log.contains(expected) => Ok(e.log),
        Err(e) => bail!(
            "{prog} was rejected, but without {expected:?}: {}\n{}",
            e.error,
            e.log
        ),
    }
}

/// Runs program `name` of `obj` once with BPF_PROG_TEST_RUN, passing
/// `ctx` as its context. For syscall programs the kernel writes the
/// context back into `ctx`. Returns the program's return value.
pub fn test_run(obj: &Object, name: &str, ctx: &mut [u8]) -> Result<u32> {
    let prog = obj
        .progs_mut()
        .find(|p| p.name() == name)
        .with_context(|| format!("no program {name}"))?;
    let input = libbpf_rs::ProgramInput {
        context_in: Some(ctx),
        ..Default::default()
    };
    let output = prog
        .test_run(input)
        .with_context(|| format!("BPF_PROG_TEST_RUN of {name}"))?;
    Ok(output.return_value)
}

/// Attaches program `name` of `obj` where its section says.
pub fn attach(obj: &Object, name: &str) -> Result<Link> {
    obj.progs_mut()
        .find(|p| p.name() == name)
        .with_context(|| format!("no program {name}"))?
        .attach()
        .with_context(|| format!("attaching {name}"))
}

/// Reads the global variables of `obj` (its `.bss` map).
pub fn bss(obj: &Object) -> Result<Vec<u8>> {
    let map = obj
        .maps()
        .find(|m| m.name().to_string_lossy().ends_with(".bss"))
        .context("object has no .bss")?;
    map.lookup(&0u32.to_ne_bytes(), libbpf_rs::MapFlags::ANY)?
        .context("empty .bss")
}

/// A value of type `T` as bytes, and back: the contexts shared with BPF
/// programs are plain `#[repr(C)]` integers.
pub trait Plain: Copy + Default {
    /// The bytes of `self`.
    fn bytes(&self) -> Vec<u8> {
        // SAFETY: implementors are `#[repr(C)]` structs of integers with no
        // padding, so every byte is initialized.
        unsafe { std::slice::from_raw_parts((self as *const Self).cast::<u8>(), size_of::<Self>()) }
            .to_vec()
    }

    /// A value from the bytes of one.
    fn from_bytes(b: &[u8]) -> Self {
        let mut v = Self::default();
        assert_eq!(b.len(), size_of::<Self>());
        // SAFETY: every bit pattern is a valid value of a struct of
        // integers, and `b` has exactly its size.
        unsafe {
            std::ptr::copy_nonoverlapping(b.as_ptr(), (&mut v as *mut Self).cast::<u8>(), b.len())
        };
        v
    }
}

/// Runs a syscall program with `args` as its context; returns the return
/// value and the context as the program left it.
pub fn run_syscall<T: Plain>(obj: &Object, name: &str, args: T) -> Result<(u32, T)> {
    let mut ctx = args.bytes();
    let ret = test_run(obj, name, &mut ctx)?;
    Ok((ret, T::from_bytes(&ctx)))
}
