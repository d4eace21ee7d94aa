//! Loading BPF programs with libbpf-rs and running them: one program of an
//! object at a time, with the verifier's log kept for the tests.

use anyhow::{anyhow, bail, Context, Result};
use libbpf_rs::libbpf_sys as sys;
use libbpf_rs::{AsRawLibbpf, Link, MapCore, Object, ObjectBuilder, PrintLevel};
use std::os::fd::{AsFd, AsRawFd};
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
    /// Input data and room for the output data, with an optional
    /// context, run once (upstream test_loader's run).
    Data {
        /// `data_in`.
        data_in: &'a [u8],
        /// `data_out`, as large as the program may need.
        data_out: &'a mut [u8],
        /// `ctx_in`, if any.
        ctx_in: Option<&'a [u8]>,
    },
}

/// Runs program `name` of `obj` once; returns its return value, or the
/// errno of a failed BPF_PROG_TEST_RUN as `Err`.
pub fn run(obj: &Object, name: &str, input: Input<'_>) -> Result<std::result::Result<i32, i32>> {
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
        Input::Data {
            data_in,
            data_out,
            ctx_in,
        } => {
            opts.data_in = data_in.as_ptr().cast();
            opts.data_size_in = data_in.len() as u32;
            opts.data_out = data_out.as_mut_ptr().cast();
            opts.data_size_out = data_out.len() as u32;
            if let Some(ctx) = ctx_in {
                opts.ctx_in = ctx.as_ptr().cast();
                opts.ctx_size_in = ctx.len() as u32;
            }
            opts.repeat = 1;
        }
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

/// The size of the verifier log buffer [`load_with`] gives the logged
/// program: upstream test_loader's `TEST_LOADER_LOG_BUF_SZ` (2 MiB). A
/// longer log fails the load with ENOSPC, as upstream.
pub const LOG_BUF_SIZE: usize = 2 * 1024 * 1024;

/// The program whose verifier log [`load_with`] keeps.
pub struct Logged<'a> {
    /// Its name.
    pub prog: &'a str,
    /// The log level it is loaded with (0: libbpf asks the kernel for a
    /// level 1 log only after a failed load, as for any program).
    pub log_level: u32,
    /// Flags added to the program's own (those of its section).
    pub flags: u32,
}

/// How [`load_with`] prepares an object before loading it.
pub struct Setup<'a> {
    /// The object's name (libbpf names the global data maps after it).
    pub name: &'a str,
    /// Whether to load a program, by name.
    pub autoload: &'a dyn Fn(&str) -> bool,
    /// The program whose verifier log is kept, in a buffer of its own.
    pub logged: Option<Logged<'a>>,
    /// Whether to create a map, by type and flags.
    pub autocreate: &'a dyn Fn(u32, u32) -> bool,
}

/// A loaded object, with the log buffer its logged program was loaded
/// with (libbpf keeps the pointer).
pub struct Loaded {
    /// The object.
    pub object: Object,
    _log_buf: Vec<u8>,
}

/// What [`load_with`] got.
pub struct Attempt {
    /// The object, or the (negative) error of `bpf_object__load`.
    pub result: std::result::Result<Loaded, i32>,
    /// The logged program's verifier log, up to its NUL.
    pub verifier_log: Vec<u8>,
    /// libbpf's messages during the load.
    pub libbpf_log: String,
}

/// Opens `path` and loads it as `setup` says, keeping the error code and
/// the logged program's verifier log. Fails only if the object cannot be
/// opened or prepared.
pub fn load_with(path: &Path, setup: &Setup<'_>) -> Result<Attempt> {
    take_log();
    let mut builder = ObjectBuilder::default();
    builder.name(setup.name)?;
    let mut open = builder
        .open_file(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut log_buf = Vec::new();
    for mut p in open.progs_mut() {
        let name = p.name().to_string_lossy().into_owned();
        p.set_autoload((setup.autoload)(&name));
        let Some(logged) = setup.logged.as_ref().filter(|l| l.prog == name) else {
            continue;
        };
        log_buf = vec![0u8; LOG_BUF_SIZE];
        let raw = p.as_libbpf_object().as_ptr();
        // SAFETY: `raw` is a program of the open object; the buffer lives
        // in `Loaded` as long as the object, or until the failed object is
        // closed below.
        let err = unsafe {
            sys::bpf_program__set_log_buf(raw, log_buf.as_mut_ptr().cast(), log_buf.len() as u64)
        };
        ensure_ok(err, "bpf_program__set_log_buf")?;
        p.set_log_level(logged.log_level);
        // SAFETY: `raw` is a program of the open object.
        let flags = unsafe { sys::bpf_program__flags(raw) };
        p.set_flags(flags | logged.flags);
    }
    for mut m in open.maps_mut() {
        let raw = m.as_libbpf_object().as_ptr();
        // SAFETY: `raw` is a map of the open object.
        let (kind, flags) = unsafe { (sys::bpf_map__type(raw), sys::bpf_map__map_flags(raw)) };
        m.set_autocreate((setup.autocreate)(kind, flags))?;
    }
    // SAFETY: the object is open and not yet loaded.
    let ret = unsafe { sys::bpf_object__load(open.as_libbpf_object().as_ptr()) };
    let verifier_log = log_buf.iter().take_while(|&&b| b != 0).copied().collect();
    let result = if ret == 0 {
        // SAFETY: `bpf_object__load` succeeded, so the pointer is a loaded
        // object, which `Object` now owns.
        let object = unsafe { Object::from_ptr(open.take_ptr()) };
        Ok(Loaded {
            object,
            _log_buf: log_buf,
        })
    } else {
        drop(open);
        Err(ret)
    };
    Ok(Attempt {
        result,
        verifier_log,
        libbpf_log: take_log(),
    })
}

fn ensure_ok(err: i32, what: &str) -> Result<()> {
    if err < 0 {
        bail!("{what} failed: {}", std::io::Error::from_raw_os_error(-err));
    }
    Ok(())
}

/// The raw fd of program `name` of `obj`.
pub fn prog_fd(obj: &Object, name: &str) -> Result<i32> {
    Ok(obj
        .progs()
        .find(|p| p.name() == name)
        .with_context(|| format!("no program {name}"))?
        .as_fd()
        .as_raw_fd())
}

/// Reads up to `len` bytes of BPF stream `stream` (1: stdout, 2: stderr)
/// of program `name`; the error is `bpf_prog_stream_read`'s (negative).
pub fn read_stream(
    obj: &Object,
    name: &str,
    stream: u32,
    len: usize,
) -> Result<std::result::Result<Vec<u8>, i32>> {
    let fd = prog_fd(obj, name)?;
    let mut buf = vec![0u8; len];
    // SAFETY: all-zero is a valid `bpf_prog_stream_read_opts`; `sz` is
    // set below.
    let mut opts: sys::bpf_prog_stream_read_opts = unsafe { std::mem::zeroed() };
    opts.sz = size_of::<sys::bpf_prog_stream_read_opts>() as _;
    // SAFETY: `fd` is a loaded program's, the buffer has `len` bytes and
    // outlives the call.
    let ret = unsafe {
        sys::bpf_prog_stream_read(fd, stream, buf.as_mut_ptr().cast(), len as u32, &mut opts)
    };
    Ok(if ret < 0 {
        Err(ret)
    } else {
        buf.truncate(ret as usize);
        Ok(buf)
    })
}

/// The instructions of program `name` of `obj` as the verifier left them
/// (`xlated_prog_insns`), 8 bytes each.
pub fn xlated(obj: &Object, name: &str) -> Result<Vec<u8>> {
    let fd = prog_fd(obj, name)?;
    // SAFETY: all-zero is a valid `bpf_prog_info`.
    let mut info: sys::bpf_prog_info = unsafe { std::mem::zeroed() };
    let mut len = size_of::<sys::bpf_prog_info>() as u32;
    // SAFETY: `info` has `len` bytes.
    let err = unsafe { sys::bpf_prog_get_info_by_fd(fd, &mut info, &mut len) };
    ensure_ok(err, "bpf_prog_get_info_by_fd")?;
    let size = info.xlated_prog_len as usize;
    if !size.is_multiple_of(8) {
        bail!("program length {size} is not a multiple of 8");
    }
    let mut insns = vec![0u8; size];
    // SAFETY: as above.
    info = unsafe { std::mem::zeroed() };
    info.xlated_prog_len = size as u32;
    info.xlated_prog_insns = insns.as_mut_ptr() as u64;
    len = size_of::<sys::bpf_prog_info>() as u32;
    // SAFETY: `info` has `len` bytes and points to `size` bytes of `insns`.
    let err = unsafe { sys::bpf_prog_get_info_by_fd(fd, &mut info, &mut len) };
    ensure_ok(err, "bpf_prog_get_info_by_fd")?;
    Ok(insns)
}
