// SPDX-License-Identifier: GPL-2.0

//! Loading BPF programs with libbpf-rs and running them: one program of an
//! object at a time, with the verifier's log kept for the tests.

use anyhow::{anyhow, bail, ensure, Context, Result};
use libbpf_rs::libbpf_sys as sys;
use libbpf_rs::{AsRawLibbpf, Link, MapCore, Object, ObjectBuilder, OpenObject, PrintLevel};
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, AsRawFd};
use std::path::Path;
use std::ptr::NonNull;
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
/// containing one of `expected` (the wordings of the kernels kfunc-rs
/// supports). Returns the log.
pub fn load_rejected(path: &Path, prog: &str, expected: &[&str]) -> Result<String> {
    match load(path, &[prog]) {
        Ok(_) => bail!("{prog} loaded, but the verifier should have rejected it ({expected:?})"),
        Err(e) if expected.iter().any(|x| e.log.contains(x)) => Ok(e.log),
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

/// Runs syscall program `name` of `obj` once without a context; returns
/// its return value and the run's wall time (syscall programs take no
/// `repeat`, and the kernel times only repeated runs).
pub fn run_timed(obj: &Object, name: &str) -> Result<(i32, std::time::Duration)> {
    let start = std::time::Instant::now();
    let ret = run(obj, name, Input::Nothing)?
        .map_err(|errno| anyhow!("BPF_PROG_TEST_RUN of {name} failed: errno {errno}"))?;
    Ok((ret, start.elapsed()))
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
    bss_map(obj)?
        .lookup(&0u32.to_ne_bytes(), libbpf_rs::MapFlags::ANY)?
        .context("empty .bss")
}

/// Writes the global variables of `obj` (its `.bss` map) with `bytes`.
pub fn set_bss(obj: &Object, bytes: &[u8]) -> Result<()> {
    Ok(bss_map(obj)?.update(&0u32.to_ne_bytes(), bytes, libbpf_rs::MapFlags::ANY)?)
}

/// The `.bss` map of `obj`.
fn bss_map(obj: &Object) -> Result<libbpf_rs::Map<'_>> {
    obj.maps()
        .find(|m| m.name().to_string_lossy().ends_with(".bss"))
        .context("object has no .bss")
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
    let insns = image(obj, name, Image::Xlated)?;
    if !insns.len().is_multiple_of(8) {
        bail!("program length {} is not a multiple of 8", insns.len());
    }
    Ok(insns)
}

/// The machine code the JIT made of program `name` of `obj`
/// (`jited_prog_insns`; empty if it runs in the interpreter) and the
/// kernel address it runs at (its first `jited_ksyms`).
pub fn jited(obj: &Object, name: &str) -> Result<(u64, Vec<u8>)> {
    let code = image(obj, name, Image::Jited)?;
    let fd = prog_fd(obj, name)?;
    let mut addr = 0u64;
    // SAFETY: all-zero is a valid `bpf_prog_info`.
    let mut info: sys::bpf_prog_info = unsafe { std::mem::zeroed() };
    info.nr_jited_ksyms = 1;
    info.jited_ksyms = &raw mut addr as u64;
    let mut len = size_of::<sys::bpf_prog_info>() as u32;
    // SAFETY: `info` has `len` bytes and points to one u64, `addr`.
    let err = unsafe { sys::bpf_prog_get_info_by_fd(fd, &mut info, &mut len) };
    ensure_ok(err, "bpf_prog_get_info_by_fd")?;
    Ok((addr, code))
}

/// One of the two images of a loaded program `bpf_prog_info` gives.
#[derive(Clone, Copy)]
enum Image {
    Xlated,
    Jited,
}

/// Reads image `which` of program `name` of `obj`: its length, then its
/// bytes.
fn image(obj: &Object, name: &str, which: Image) -> Result<Vec<u8>> {
    let fd = prog_fd(obj, name)?;
    // SAFETY: all-zero is a valid `bpf_prog_info`.
    let mut info: sys::bpf_prog_info = unsafe { std::mem::zeroed() };
    let mut len = size_of::<sys::bpf_prog_info>() as u32;
    // SAFETY: `info` has `len` bytes.
    let err = unsafe { sys::bpf_prog_get_info_by_fd(fd, &mut info, &mut len) };
    ensure_ok(err, "bpf_prog_get_info_by_fd")?;
    let size = match which {
        Image::Xlated => info.xlated_prog_len,
        Image::Jited => info.jited_prog_len,
    } as usize;
    let mut insns = vec![0u8; size];
    // SAFETY: as above.
    info = unsafe { std::mem::zeroed() };
    match which {
        Image::Xlated => {
            info.xlated_prog_len = size as u32;
            info.xlated_prog_insns = insns.as_mut_ptr() as u64;
        }
        Image::Jited => {
            info.jited_prog_len = size as u32;
            info.jited_prog_insns = insns.as_mut_ptr() as u64;
        }
    }
    len = size_of::<sys::bpf_prog_info>() as u32;
    // SAFETY: `info` has `len` bytes and points to `size` bytes of `insns`.
    let err = unsafe { sys::bpf_prog_get_info_by_fd(fd, &mut info, &mut len) };
    ensure_ok(err, "bpf_prog_get_info_by_fd")?;
    Ok(insns)
}

// ---------------------------------------------------------------------
// Objects driven step by step (the conformance stage's `.cases` tests):
// global variables, attachment, maps, and loads outside libbpf's object.

/// An object that is open (its global variables hold their initial
/// values) or loaded.
pub enum AnyObject {
    /// Opened, maybe prepared, not loaded.
    Open(OpenObject),
    /// Loaded.
    Loaded(Object),
}

impl AnyObject {
    fn raw(&self) -> *mut sys::bpf_object {
        match self {
            AnyObject::Open(o) => o.as_libbpf_object().as_ptr(),
            AnyObject::Loaded(o) => o.as_libbpf_object().as_ptr(),
        }
    }

    /// The loaded object.
    pub fn loaded(&self) -> Result<&Object> {
        match self {
            AnyObject::Loaded(o) => Ok(o),
            AnyObject::Open(_) => bail!("the object is not loaded"),
        }
    }
}

/// Opens the object at `path` under `name` (libbpf names its global data
/// maps after it, as a skeleton's).
pub fn open(path: &Path, name: &str) -> Result<OpenObject> {
    let mut builder = ObjectBuilder::default();
    builder.name(name)?;
    builder
        .open_file(path)
        .with_context(|| format!("opening {}", path.display()))
}

/// Loads `open` (`bpf_object__load`): the object, or libbpf's negative
/// error; the failed object is closed.
pub fn load_open(open: OpenObject) -> std::result::Result<Object, i32> {
    // SAFETY: the object is open and not yet loaded.
    let ret = unsafe { sys::bpf_object__load(open.as_libbpf_object().as_ptr()) };
    if ret == 0 {
        // SAFETY: `bpf_object__load` succeeded, so the pointer is a loaded
        // object, which `Object` now owns.
        Ok(unsafe { Object::from_ptr(open.take_ptr()) })
    } else {
        Err(ret)
    }
}

/// `bpf_object__prepare`: maps created and programs relocated, not loaded.
pub fn prepare(open: &mut OpenObject) -> Result<()> {
    // SAFETY: the object is open and not yet loaded.
    let err = unsafe { sys::bpf_object__prepare(open.as_libbpf_object().as_ptr()) };
    ensure_ok(err, "bpf_object__prepare")
}

const BTF_KIND_INT: u32 = 1;
const BTF_KIND_ENUM: u32 = 6;
const BTF_KIND_DATASEC: u32 = 15;
const BTF_KIND_ENUM64: u32 = 19;

/// A global variable: its bytes in the object's mapped section, and how
/// its C type reads them.
struct GlobalVar {
    ptr: *mut u8,
    size: usize,
    signed: bool,
}

/// C string of `s`, for libbpf.
fn c_str(s: &str) -> Result<CString> {
    CString::new(s).with_context(|| format!("{s:?} has a NUL"))
}

/// Finds global variable `var` of section `.<section>` (`bss`, `data`,
/// `rodata`) of `obj`: its place in the section's internal map (the
/// initial value while open, the kernel map's memory once loaded) and its
/// type from the object's BTF.
fn global_var(obj: *mut sys::bpf_object, section: &str, var: &str) -> Result<GlobalVar> {
    // SAFETY: `obj` is a live object (the caller's); its BTF lives as long.
    let btf = unsafe { sys::bpf_object__btf(obj) };
    ensure!(!btf.is_null(), "the object has no BTF");
    let sec = c_str(&format!(".{section}"))?;
    // SAFETY: `btf` is valid, `sec` NUL-terminated.
    let sec_id = unsafe { sys::btf__find_by_name_kind(btf, sec.as_ptr(), BTF_KIND_DATASEC) };
    ensure!(sec_id > 0, "the object has no .{section} section");
    // SAFETY: `sec_id` is a DATASEC of `btf`: a `struct btf_type` (name_off,
    // info, size) followed by `vlen` `struct btf_var_secinfo` (type,
    // offset, size).
    let secinfos = unsafe {
        let t = sys::btf__type_by_id(btf, sec_id as u32).cast::<u32>();
        let vlen = (*t.add(1) & 0xffff) as usize;
        (0..vlen)
            .map(|i| {
                let s = t.add(3 + 3 * i);
                (*s, *s.add(1) as usize, *s.add(2) as usize)
            })
            .collect::<Vec<_>>()
    };
    let mut found = None;
    for (ty, offset, size) in secinfos {
        // SAFETY: `ty` is a VAR of `btf` (name_off, info, type).
        let (name_off, var_type) = unsafe {
            let v = sys::btf__type_by_id(btf, ty).cast::<u32>();
            (*v, *v.add(2))
        };
        // SAFETY: `name_off` is an offset in `btf`'s strings.
        let name = unsafe { sys::btf__name_by_offset(btf, name_off) };
        // SAFETY: libbpf's strings are NUL-terminated.
        if !name.is_null() && unsafe { CStr::from_ptr(name) }.to_bytes() == var.as_bytes() {
            found = Some((var_type, offset, size));
            break;
        }
    }
    let (var_type, offset, size) =
        found.with_context(|| format!("the object has no variable {var} in .{section}"))?;
    ensure!(
        matches!(size, 1 | 2 | 4 | 8),
        "{section}:{var} is not an integer ({size} bytes)"
    );
    // SAFETY: `var_type` is a type of `btf`; `btf__resolve_type` skips
    // typedefs and modifiers and returns a type id of `btf` or an error.
    let resolved = unsafe { sys::btf__resolve_type(btf, var_type) };
    let signed = if resolved > 0 {
        // SAFETY: `resolved` is a type of `btf`: `struct btf_type`, then for
        // an INT its encoding word (bit 24: signed).
        unsafe {
            let t = sys::btf__type_by_id(btf, resolved as u32).cast::<u32>();
            let info = *t.add(1);
            match (info >> 24) & 0x1f {
                BTF_KIND_INT => (*t.add(3) >> 24) & 1 != 0,
                BTF_KIND_ENUM | BTF_KIND_ENUM64 => info >> 31 != 0,
                _ => false,
            }
        }
    } else {
        false
    };
    let suffix = format!(".{section}");
    // SAFETY: iterating the maps of a live object.
    let mut map = unsafe { sys::bpf_object__next_map(obj, std::ptr::null()) };
    while !map.is_null() {
        // SAFETY: `map` is a map of `obj`; its name is NUL-terminated.
        let name = unsafe { CStr::from_ptr(sys::bpf_map__name(map)) };
        if name.to_bytes().ends_with(suffix.as_bytes()) {
            let mut len = 0u64;
            // SAFETY: as above; libbpf returns the section's mapping (NULL
            // if it has none) and its size.
            let data = unsafe { sys::bpf_map__initial_value(map, &mut len) }.cast::<u8>();
            let len = len as usize;
            ensure!(!data.is_null(), "the .{section} map has no mapping");
            ensure!(offset + size <= len, "{section}:{var} lies outside its map");
            return Ok(GlobalVar {
                // SAFETY: within the mapping, just checked.
                ptr: unsafe { data.add(offset) },
                size,
                signed,
            });
        }
        // SAFETY: as above.
        map = unsafe { sys::bpf_object__next_map(obj, map) };
    }
    bail!("the object has no .{section} map")
}

/// Reads global variable `var` of section `section` of `obj`, as its C
/// type reads: sign- or zero-extended.
pub fn read_global(obj: &AnyObject, section: &str, var: &str) -> Result<i128> {
    let g = global_var(obj.raw(), section, var)?;
    let mut bytes = [0u8; 8];
    for (i, b) in bytes.iter_mut().enumerate().take(g.size) {
        // SAFETY: `g.ptr` has `g.size` mapped bytes while `obj` lives; the
        // kernel may write them concurrently, hence the volatile reads.
        *b = unsafe { g.ptr.add(i).read_volatile() };
    }
    Ok(as_c_type(
        i128::from(u64::from_ne_bytes(bytes)),
        g.size,
        g.signed,
    ))
}

/// Writes global variable `var` of section `section` of `obj` (the
/// initial value while open; the kernel map's memory once loaded, except
/// `.rodata`, which is frozen then). `value` is converted as C converts to
/// the variable's type.
pub fn write_global(obj: &AnyObject, section: &str, var: &str, value: i128) -> Result<()> {
    if matches!(obj, AnyObject::Loaded(_)) && section == "rodata" {
        bail!("rodata:{var} is read-only once the object is loaded");
    }
    let g = global_var(obj.raw(), section, var)?;
    let bytes = (value as u64).to_ne_bytes();
    for (i, b) in bytes.iter().enumerate().take(g.size) {
        // SAFETY: `g.ptr` has `g.size` writable bytes while `obj` lives.
        unsafe { g.ptr.add(i).write_volatile(*b) };
    }
    Ok(())
}

/// `v` converted as C converts it to an integer type of `size` bytes and
/// the given signedness (truncation, then sign or zero extension).
pub fn as_c_type(v: i128, size: usize, signed: bool) -> i128 {
    let bits = 8 * size as u32;
    let truncated = (v as u128) & ((1u128 << bits) - 1);
    if signed && truncated >> (bits - 1) != 0 {
        truncated as i128 - (1i128 << bits)
    } else {
        truncated as i128
    }
}

/// The size and signedness of global variable `var` of `section`.
pub fn global_type(obj: &AnyObject, section: &str, var: &str) -> Result<(usize, bool)> {
    let g = global_var(obj.raw(), section, var)?;
    Ok((g.size, g.signed))
}

/// A link made by [`attach_prog`], destroyed when dropped.
pub struct RawLink(NonNull<sys::bpf_link>);

impl RawLink {
    /// The link's fd.
    pub fn fd(&self) -> i32 {
        // SAFETY: a live link.
        unsafe { sys::bpf_link__fd(self.0.as_ptr()) }
    }
}

impl Drop for RawLink {
    fn drop(&mut self) {
        // SAFETY: a live link, destroyed once.
        unsafe { sys::bpf_link__destroy(self.0.as_ptr()) };
    }
}

fn find_prog(obj: &Object, name: &str) -> Result<*mut sys::bpf_program> {
    let c = c_str(name)?;
    // SAFETY: a live object; `c` is NUL-terminated.
    let p = unsafe {
        sys::bpf_object__find_program_by_name(obj.as_libbpf_object().as_ptr(), c.as_ptr())
    };
    ensure!(!p.is_null(), "no program {name}");
    Ok(p)
}

/// `bpf_program__attach()`: attaches a program where its section says;
/// `None` when libbpf cannot attach it by its section (-EOPNOTSUPP).
fn attach_raw(prog: *mut sys::bpf_program) -> std::io::Result<Option<RawLink>> {
    // SAFETY: `prog` is a program of a live, loaded object.
    let link = unsafe { sys::bpf_program__attach(prog) };
    match NonNull::new(link) {
        Some(l) => Ok(Some(RawLink(l))),
        None => {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EOPNOTSUPP) {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// Attaches program `name` of `obj` where its section says.
pub fn attach_prog(obj: &Object, name: &str) -> Result<RawLink> {
    attach_raw(find_prog(obj, name)?)
        .with_context(|| format!("attaching {name}"))?
        .with_context(|| format!("attaching {name}: libbpf cannot attach it by its section"))
}

/// Attaches as a skeleton's `__attach()` does: every loaded program that
/// libbpf can attach by its section; the others are left alone.
pub fn attach_all(obj: &Object) -> Result<Vec<(String, RawLink)>> {
    let mut links = Vec::new();
    let raw = obj.as_libbpf_object().as_ptr();
    // SAFETY: iterating the programs of a live object.
    let mut prog = unsafe { sys::bpf_object__next_program(raw, std::ptr::null_mut()) };
    while !prog.is_null() {
        // SAFETY: `prog` is a program of `obj`; its name is NUL-terminated.
        let (name, wanted) = unsafe {
            (
                CStr::from_ptr(sys::bpf_program__name(prog))
                    .to_string_lossy()
                    .into_owned(),
                sys::bpf_program__autoload(prog) && sys::bpf_program__autoattach(prog),
            )
        };
        if wanted {
            if let Some(l) = attach_raw(prog).with_context(|| format!("attaching {name}"))? {
                links.push((name, l));
            }
        }
        // SAFETY: as above.
        prog = unsafe { sys::bpf_object__next_program(raw, prog) };
    }
    Ok(links)
}

/// The `kprobe.missed` count of a perf-event kprobe link.
pub fn kprobe_missed(link: &RawLink) -> Result<u64> {
    // SAFETY: all-zero is a valid `bpf_link_info`.
    let mut info: sys::bpf_link_info = unsafe { std::mem::zeroed() };
    let mut len = size_of::<sys::bpf_link_info>() as u32;
    // SAFETY: `info` has `len` bytes.
    let err = unsafe { sys::bpf_link_get_info_by_fd(link.fd(), &mut info, &mut len) };
    ensure_ok(err, "bpf_link_get_info_by_fd")?;
    ensure!(
        info.type_ == sys::BPF_LINK_TYPE_PERF_EVENT,
        "link type {}, not a perf event",
        info.type_
    );
    // SAFETY: a perf-event link's info is the `perf_event` member.
    let pe = unsafe { info.__bindgen_anon_1.perf_event };
    ensure!(
        pe.type_ == sys::BPF_PERF_EVENT_KPROBE,
        "perf event type {}, not a kprobe",
        pe.type_
    );
    // SAFETY: a kprobe perf event's info is the `kprobe` member.
    Ok(unsafe { pe.__bindgen_anon_1.kprobe.missed })
}

fn find_map(obj: *mut sys::bpf_object, name: &str) -> Result<*mut sys::bpf_map> {
    let c = c_str(name)?;
    // SAFETY: a live object; `c` is NUL-terminated.
    let m = unsafe { sys::bpf_object__find_map_by_name(obj, c.as_ptr()) };
    ensure!(!m.is_null(), "no map {name}");
    Ok(m)
}

/// The kernel's id of map `name` of `obj`.
pub fn map_id(obj: &Object, name: &str) -> Result<u32> {
    let map = find_map(obj.as_libbpf_object().as_ptr(), name)?;
    // SAFETY: all-zero is a valid `bpf_map_info`.
    let mut info: sys::bpf_map_info = unsafe { std::mem::zeroed() };
    let mut len = size_of::<sys::bpf_map_info>() as u32;
    // SAFETY: `map` is a created map of a loaded object; `info` has `len`
    // bytes.
    let err = unsafe { sys::bpf_map_get_info_by_fd(sys::bpf_map__fd(map), &mut info, &mut len) };
    ensure_ok(err, "bpf_map_get_info_by_fd")?;
    Ok(info.id)
}

/// `libbpf_num_possible_cpus()`.
pub fn possible_cpus() -> Result<usize> {
    // SAFETY: no arguments; reads sysfs.
    let n = unsafe { sys::libbpf_num_possible_cpus() };
    ensure_ok(n, "libbpf_num_possible_cpus")?;
    Ok(n as usize)
}

fn is_percpu(kind: u32) -> bool {
    matches!(
        kind,
        sys::BPF_MAP_TYPE_PERCPU_ARRAY
            | sys::BPF_MAP_TYPE_PERCPU_HASH
            | sys::BPF_MAP_TYPE_LRU_PERCPU_HASH
            | sys::BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE
    )
}

/// Updates element `key` (a 4-byte key) of map `name` of `obj` with a
/// zeroed value, for every CPU of a per-CPU map (`bpf_map__update_elem`,
/// flags 0).
pub fn map_update_zeroed(obj: &Object, name: &str, key: u32) -> Result<()> {
    let map = find_map(obj.as_libbpf_object().as_ptr(), name)?;
    // SAFETY: `map` is a map of a loaded object.
    let (kind, value_size) = unsafe { (sys::bpf_map__type(map), sys::bpf_map__value_size(map)) };
    let size = if is_percpu(kind) {
        value_size.next_multiple_of(8) as usize * possible_cpus()?
    } else {
        value_size as usize
    };
    let value = vec![0u8; size];
    let key = key.to_ne_bytes();
    // SAFETY: the key and value buffers have the sizes passed; libbpf
    // checks them against the map's.
    let err = unsafe {
        sys::bpf_map__update_elem(
            map,
            key.as_ptr().cast(),
            key.len() as _,
            value.as_ptr().cast(),
            value.len() as _,
            0,
        )
    };
    ensure_ok(err, "bpf_map__update_elem")
}

/// Deletes element `key` (a 4-byte key) of map `name` of `obj`.
pub fn map_delete(obj: &Object, name: &str, key: u32) -> Result<()> {
    let map = find_map(obj.as_libbpf_object().as_ptr(), name)?;
    let key = key.to_ne_bytes();
    // SAFETY: the key buffer has the size passed.
    let err = unsafe { sys::bpf_map__delete_elem(map, key.as_ptr().cast(), key.len() as _, 0) };
    ensure_ok(err, "bpf_map__delete_elem")
}

/// Creates a map of `kind` without BTF and makes map `name` of the
/// prepared `open` use it (`bpf_map_create` + `bpf_map__reuse_fd`).
pub fn replace_map(
    open: &mut OpenObject,
    name: &str,
    kind: u32,
    new_name: &str,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
) -> Result<()> {
    let map = find_map(open.as_libbpf_object().as_ptr(), name)?;
    let c = c_str(new_name)?;
    // SAFETY: `c` is NUL-terminated; no options.
    let fd = unsafe {
        sys::bpf_map_create(
            kind,
            c.as_ptr(),
            key_size,
            value_size,
            max_entries,
            std::ptr::null(),
        )
    };
    ensure_ok(fd, "bpf_map_create")?;
    // SAFETY: `map` is a map of the open object; libbpf duplicates `fd`.
    let err = unsafe { sys::bpf_map__reuse_fd(map, fd) };
    // SAFETY: `fd` is ours, no longer needed.
    unsafe { libc::close(fd) };
    ensure_ok(err, "bpf_map__reuse_fd")
}

/// The size of [`raw_load`]'s log buffer: what upstream's raw loads use.
pub const RAW_LOG_SIZE: usize = 8192;

/// Loads the instructions of program `name` of the prepared `open` as a
/// program of `prog_type` (`bpf_prog_load`, license "GPL", no BTF) with
/// a verifier log at `log_level`; returns whether it loaded (the program
/// is closed again) or the negative error, and the log.
pub fn raw_load(
    open: &OpenObject,
    name: &str,
    prog_type: u32,
    log_level: u32,
) -> Result<(std::result::Result<(), i32>, String)> {
    let c = c_str(name)?;
    let raw = open.as_libbpf_object().as_ptr();
    // SAFETY: a live object; `c` is NUL-terminated.
    let prog = unsafe { sys::bpf_object__find_program_by_name(raw, c.as_ptr()) };
    ensure!(!prog.is_null(), "no program {name}");
    // SAFETY: `prog` is a program of the prepared object.
    let (insns, count) = unsafe {
        (
            sys::bpf_program__insns(prog),
            sys::bpf_program__insn_cnt(prog),
        )
    };
    ensure!(!insns.is_null() && count > 0, "{name} has no instructions");
    let mut log = vec![0u8; RAW_LOG_SIZE];
    // SAFETY: all-zero is a valid `bpf_prog_load_opts`; `sz` is set below.
    let mut opts: sys::bpf_prog_load_opts = unsafe { std::mem::zeroed() };
    opts.sz = size_of::<sys::bpf_prog_load_opts>() as _;
    opts.log_buf = log.as_mut_ptr().cast();
    opts.log_size = log.len() as u32;
    opts.log_level = log_level;
    let license = c"GPL";
    // SAFETY: `insns` has `count` instructions (libbpf's, alive with the
    // object); `opts` and the log buffer outlive the call.
    let fd = unsafe {
        sys::bpf_prog_load(
            prog_type,
            std::ptr::null(),
            license.as_ptr(),
            insns,
            count,
            &mut opts,
        )
    };
    let text =
        String::from_utf8_lossy(&log[..log.iter().position(|&b| b == 0).unwrap_or(0)]).into_owned();
    if fd < 0 {
        return Ok((Err(fd), text));
    }
    // SAFETY: `fd` is the program just loaded, ours to close.
    unsafe { libc::close(fd) };
    Ok((Ok(()), text))
}
