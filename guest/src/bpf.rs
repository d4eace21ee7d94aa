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
    load_logged(path, progs, 0)
}

/// Like [`load`], with the verifier log of the selected programs at
/// `log_level` (libbpf passes it on even when loading succeeds).
pub fn load_logged(
    path: &Path,
    progs: &[&str],
    log_level: u32,
) -> std::result::Result<Object, LoadError> {
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
        if wanted && log_level > 0 {
            p.set_log_level(log_level);
        }
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

/// The log libbpf printed since the last load (the verifier's, with a
/// log level set).
pub fn last_log() -> String {
    take_log()
}

/// How to run a program under BPF_PROG_TEST_RUN.
pub enum Input<'a> {
    /// A tc program on a packet (`data_in`), run once.
    Packet(&'a [u8]),
    /// A syscall program with a context, written back by the kernel.
    Context(&'a mut [u8]),
    /// A syscall program without a context.
    Nothing,
}

/// Runs program `name` of `obj` once; returns its return value, or the
/// errno of a failed BPF_PROG_TEST_RUN as `Err`.
pub fn run(obj: &Object, name: &str, input: Input<'_>) -> Result<std::result::Result<i32, i32>> {
    use libbpf_rs::libbpf_sys as sys;
    use std::os::fd::{AsFd, AsRawFd};
    let prog = obj
        .progs()
        .find(|p| p.name() == name)
        .with_context(|| format!("no program {name}"))?;
    // SAFETY: all-zero is a valid `bpf_test_run_opts`; `sz` is set below.
    let mut opts: sys::bpf_test_run_opts = unsafe { std::mem::zeroed() };
    opts.sz = size_of::<sys::bpf_test_run_opts>() as _;
    match input {
        Input::Packet(data) => {
            opts.data_in = data.as_ptr().cast();
            opts.data_size_in = data.len() as u32;
            opts.repeat = 1;
        }
        Input::Context(ctx) => {
            opts.ctx_in = ctx.as_mut_ptr().cast();
            opts.ctx_size_in = ctx.len() as u32;
        }
        Input::Nothing => {}
    }
    // SAFETY: the fd is the loaded program's; `opts` and the buffers it
    // points to outlive the call.
    let err = unsafe { sys::bpf_prog_test_run_opts(prog.as_fd().as_raw_fd(), &mut opts) };
    Ok(if err < 0 {
        Err(err)
    } else {
        Ok(opts.retval as i32)
    })
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
pub fn run_syscall<T: Plain>(obj: &Object, name: &str, args: T) -> Result<(i32, T)> {
    let mut ctx = args.bytes();
    let ret = run(obj, name, Input::Context(&mut ctx))?
        .map_err(|errno| anyhow!("BPF_PROG_TEST_RUN of {name} failed: errno {errno}"))?;
    Ok((ret, T::from_bytes(&ctx)))
}
