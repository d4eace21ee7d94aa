// SPDX-License-Identifier: GPL-2.0

//! Upstream's test_loader (tools/testing/selftests/bpf/test_loader.c), for
//! the conformance tests: the expectations a program file states with the
//! annotations of progs/bpf_misc.h are read back from the compiled
//! object's BTF and checked the way test_loader checks them, so that a
//! program file upstream runs with `RUN_TESTS()` needs no hand-written
//! cases.
//!
//! # What upstream does, and so what this does
//!
//! - Each annotation is a BTF decl tag `"comment:<N>:<tag>"` on the
//!   program's FUNC (`N` is `__COUNTER__`). Tags are read in `strverscmp()`
//!   order, which is source order; tags without the `comment:<N>:` prefix
//!   are ignored, and so are unknown tags.
//! - Every program of the object has a spec. One without annotations is a
//!   privileged `__success` test; `__auxiliary` ones are no test but are
//!   loaded with every test of their mode. `__msg`, `__success`, ... make a
//!   privileged test, their `_unpriv` forms an unprivileged one (named
//!   `"<prog> @unpriv"`), which takes what it does not state from the
//!   privileged side: the result, the retval, and each kind of message
//!   list that it lacks as a whole.
//! - A test opens the object afresh, loads its program, the auxiliary
//!   programs of its mode and every map (unprivileged: only the map types
//!   an unprivileged user may create), with the program's own flags plus
//!   `__flag`s on top of the flags the kernel accepts among
//!   `BPF_F_TEST_RND_HI32 | BPF_F_TEST_REG_INVARIANTS` (`__flag(!X)`
//!   clears one), and its verifier log in a 2 MiB buffer at `__log_level`
//!   (0 by default: libbpf then asks for a level 1 log only when the load
//!   fails, so a successful load has an empty log).
//! - `__failure`: the load must fail (for any reason); otherwise it must
//!   succeed. Then the `__msg`s must be found in the log in order, each
//!   after the end of the previous match (a `__msg` not found leaves the
//!   search where it was); text inside `{{...}}` is a POSIX
//!   extended regex (compiled by the C library's `regcomp`, as upstream,
//!   with `REG_EXTENDED | REG_NEWLINE`), the rest is literal. A
//!   `__not_msg` must not occur between the end of the previous `__msg`'s
//!   match and the start of the next one's (the whole log when there is
//!   none). Upstream quirk, kept: of consecutive `__not_msg`s only the
//!   first is searched for.
//! - `__xlated`: the program's instructions after the verifier, as the
//!   kernel's disassembler prints them (see [`crate::disasm`]); each must
//!   match on the line after the previous one, unless a `"..."` pattern
//!   comes between them.
//! - `__retval` (unless the load is expected to fail): the program runs
//!   once under `BPF_PROG_TEST_RUN` with test_loader's input: 64 zero bytes
//!   of `data_in`, 256 bytes of `data_out`, no context (a `__linear_size`
//!   gives a `struct __sk_buff` context with that `data_end`); syscall
//!   programs run with no input at all. struct_ops maps are attached
//!   first. `__retval(POINTER_VALUE)` accepts any return value;
//!   `_INT_MIN` is `INT_MIN`. After the run, `__stderr`/`__stdout` are
//!   matched against the program's BPF streams, line by line like
//!   `__xlated`.
//! - Skipped, as upstream does, and shown as skipped (a passing case, its
//!   name saying so): `__arch_*` not naming the guest's architecture,
//!   `__load_if_JITed` without a JIT or `__load_if_no_JITed` with one
//!   (`net.core.bpf_jit_enable`), and every unprivileged test when
//!   unprivileged BPF is disabled (`kernel.unprivileged_bpf_disabled`, or
//!   CPU mitigations off or not known to be on), which is the case in the
//!   kfunc-rs guest. When unprivileged tests do run, the effective
//!   `CAP_SYS_ADMIN`, `CAP_NET_ADMIN`, `CAP_PERFMON` and `CAP_BPF` are
//!   dropped for the load, except the `__caps_unpriv` ones.
//!
//! - Objects that prog_tests/verifier.c runs with `RUN()` (not
//!   `RUN_TESTS()`) run without `CAP_SYS_ADMIN`, as there; the `.list`
//!   file says which.
//! - Loads are as `test_progs` without `-v`, which would raise the log
//!   level to at least 1 (`-vv`: 2) and show the logs.
//! - Implemented as upstream, but not exercised by the files listed so
//!   far: unprivileged runs with `__caps_unpriv` (the guest skips them),
//!   `__stderr`/`__stdout` (`bpf_prog_stream_read()`), `__linear_size`,
//!   `__load_if_*JITed`, `__auxiliary`, struct_ops attachment.
//!
//! # Not supported: such a case fails
//!
//! - `__jited` (after the `__arch_*` of the guest's architecture): it needs
//!   a disassembler of the JIT image (upstream uses LLVM's, and skips such
//!   a test only when built without it). `__jited` after another arch is
//!   ignored, as upstream.
//! - `__btf_path` and `__btf_func_path`: they name files of upstream's
//!   selftests build directory, which the guest does not have.
//! - A test run's `pre_execution_cb`: `RUN_TESTS()` and `RUN()` install
//!   none; the files whose prog_tests install one (verifier.c's
//!   `run_tests_aux()` with a callback filling maps) cannot be listed.

use crate::bpf::{self, Input, Logged, Setup};
use crate::disasm;
use anyhow::{bail, Context, Result};
use libbpf_rs::libbpf_sys as sys;
use libbpf_rs::MapCore;
use std::cell::OnceCell;
use std::cmp::Ordering;
use std::ffi::{c_char, CStr, CString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Privileged mode.
pub const PRIV: u8 = 1;
/// Unprivileged mode.
pub const UNPRIV: u8 = 2;
const JITED: u8 = 1;
const NO_JITED: u8 = 2;

/// test_loader's architecture bits.
pub const ARCH_UNKNOWN: u32 = 0x1;
/// x86_64.
pub const ARCH_X86_64: u32 = 0x2;
const ARCH_ARM64: u32 = 0x4;
const ARCH_RISCV64: u32 = 0x8;
const ARCH_S390X: u32 = 0x10;
const ARCH_LOONGARCH: u32 = 0x20;

/// `__retval(POINTER_VALUE)` accepts any return value.
pub const POINTER_VALUE: i32 = 0xbadcafe;
/// The size of the test run's input data.
pub const TEST_DATA_LEN: usize = 64;

const CAP_NET_ADMIN: u32 = 12;
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// `offsetof(struct __sk_buff, data_end)` and `sizeof(struct __sk_buff)`.
const SKB_DATA_END: usize = 80;
const SKB_SIZE: usize = 192;

// ---------------------------------------------------------------------
// Tag order

/// glibc's `strverscmp()`: strings compared bytewise, except that digit
/// runs compare as numbers, and runs with leading zeros as fractions
/// (which come before integers: "000" < "00" < "01" < "010" < "09" < "0"
/// < "1" < "9" < "10").
pub fn strverscmp(a: &[u8], b: &[u8]) -> Ordering {
    // Bytes past the end read as C's terminating NUL.
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = 0;
    while at(a, i) == at(b, i) {
        if at(a, i) == 0 {
            return Ordering::Equal;
        }
        i += 1;
    }
    let (ca, cb) = (at(a, i), at(b, i));
    let byte = ca.cmp(&cb);
    // The digit run common to both strings just before the difference.
    let mut start = i;
    while start > 0 && a[start - 1].is_ascii_digit() {
        start -= 1;
    }
    let run = &a[start..i];
    let (da, db) = (ca.is_ascii_digit(), cb.is_ascii_digit());
    // Numbers of equal length compare bytewise; otherwise the one with
    // more digits after the difference is larger.
    let by_length = || {
        let mut k = i + 1;
        loop {
            match (at(a, k).is_ascii_digit(), at(b, k).is_ascii_digit()) {
                (true, true) => k += 1,
                (true, false) => return Ordering::Greater,
                (false, true) => return Ordering::Less,
                (false, false) => return byte,
            }
        }
    };
    if run.is_empty() {
        // Not in a number yet: two numbers starting here compare by value,
        // unless one starts with a zero.
        if da && db && ca != b'0' && cb != b'0' {
            by_length()
        } else {
            byte
        }
    } else if run[0] != b'0' {
        // Inside an integer: the one that goes on is larger.
        match (da, db) {
            (true, true) => by_length(),
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => byte,
        }
    } else if run.iter().all(|&c| c == b'0') {
        // Only zeros so far: the one that goes on with digits is smaller.
        match (da, db) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => byte,
        }
    } else {
        // Inside a fraction: bytewise.
        byte
    }
}

/// The tag after the `"comment:<N>:"` prefix (`sscanf(s,
/// "comment:%*d:%n")`), or `None`. Kernels before the numbered tags (6.12's
/// bpf_misc.h) write `"comment:test_..."`: those are the tag after
/// `"comment:"` (see [`unnumbered_tag`]).
pub fn skip_decl_tag_prefix(tag: &str) -> Option<&str> {
    if let Some(t) = unnumbered_tag(tag) {
        return Some(t);
    }
    let rest = tag.strip_prefix("comment:")?;
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits || b.get(i) != Some(&b':') {
        return None;
    }
    Some(&rest[i + 1..])
}

/// An annotation of an older bpf_misc.h, `"comment:test_<...>"` with no
/// number: the part after `"comment:"`. Their test_loader read them in BTF
/// order, which is source order.
pub fn unnumbered_tag(tag: &str) -> Option<&str> {
    tag.strip_prefix("comment:")
        .filter(|t| t.starts_with("test_"))
}

/// An older kernel's tag as the newer format would spell its value: those
/// kernels made repeatable tags unique with a counter in the value,
/// `"comment:test_expect_msg=<N>=<msg>"` (their test_loader's
/// `skip_dynamic_pfx()`), which is dropped here.
pub fn without_value_counter(tag: String) -> String {
    const DYNAMIC: [&str; 6] = [
        "comment:test_expect_msg_unpriv=",
        "comment:test_expect_msg=",
        "comment:test_expect_xlated_unpriv=",
        "comment:test_expect_xlated=",
        "comment:test_jited_unpriv=",
        "comment:test_jited=",
    ];
    for p in DYNAMIC {
        if let Some(rest) = tag.strip_prefix(p) {
            if let Some((_, value)) = rest.split_once('=') {
                return format!("{p}{value}");
            }
        }
    }
    tag
}

// ---------------------------------------------------------------------
// Reading the tags from BTF

const BTF_KIND_FUNC: u32 = 12;
const BTF_KIND_DECL_TAG: u32 = 17;

/// The decl tags on the whole of FUNC `func` (not on a parameter) of
/// `btf`, in `strverscmp()` order; `None` if there is no such FUNC.
///
/// # Safety
///
/// `btf` must point to a valid libbpf `struct btf`.
pub unsafe fn func_decl_tags(btf: *const sys::btf, func: &str) -> Option<Vec<String>> {
    let name = CString::new(func).ok()?;
    // SAFETY: the caller guarantees `btf`; `name` is NUL-terminated.
    let id = unsafe { sys::btf__find_by_name_kind(btf, name.as_ptr(), BTF_KIND_FUNC) };
    if id < 0 {
        return None;
    }
    let mut tags = Vec::new();
    // SAFETY: as above.
    let count = unsafe { sys::btf__type_cnt(btf) };
    for i in 1..count {
        // SAFETY: `i` is below the type count, so the type exists: a
        // `struct btf_type` (name_off, info, size/type).
        let (t, name_off, info, target) = unsafe {
            let t = sys::btf__type_by_id(btf, i).cast::<u32>();
            (t, *t, *t.add(1), *t.add(2))
        };
        if (info >> 24) & 0x1f != BTF_KIND_DECL_TAG || target != id as u32 {
            continue;
        }
        // SAFETY: a DECL_TAG is followed by `struct btf_decl_tag`
        // (component_idx).
        let component = unsafe { *t.add(3) } as i32;
        if component != -1 {
            continue;
        }
        // SAFETY: `name_off` is the tag's, an offset in the string section.
        let s = unsafe { sys::btf__str_by_offset(btf, name_off) };
        if s.is_null() {
            continue;
        }
        // SAFETY: libbpf's strings are NUL-terminated.
        let tag = unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned();
        tags.push(without_value_counter(tag));
    }
    // Numbered tags are read in number order (upstream sorts them with
    // strverscmp); unnumbered ones, of older kernels, in BTF order. (A
    // stable sort keeps the unnumbered ones' order among themselves.)
    if !tags.iter().any(|t| unnumbered_tag(t).is_some()) {
        tags.sort_by(|a, b| strverscmp(a.as_bytes(), b.as_bytes()));
    }
    Some(tags)
}

// ---------------------------------------------------------------------
// Expected messages

/// A POSIX extended regex, compiled by the C library.
pub struct PosixRegex {
    source: String,
    re: Box<libc::regex_t>,
}

impl PosixRegex {
    /// `regcomp(source, REG_EXTENDED | REG_NEWLINE)`.
    pub fn new(source: &str) -> std::result::Result<Self, String> {
        let c = CString::new(source).map_err(|e| e.to_string())?;
        // SAFETY: `regex_t` is plain data that `regcomp` initializes.
        let mut re: Box<libc::regex_t> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: `re` is writable, `c` NUL-terminated.
        let err =
            unsafe { libc::regcomp(&mut *re, c.as_ptr(), libc::REG_EXTENDED | libc::REG_NEWLINE) };
        if err != 0 {
            let mut buf = [0u8; 256];
            // SAFETY: `re` is the failed compilation's, `buf` has its size.
            unsafe { libc::regerror(err, &*re, buf.as_mut_ptr().cast(), buf.len()) };
            let msg = CStr::from_bytes_until_nul(&buf)
                .map_or_else(|_| "?".into(), |m| m.to_string_lossy());
            return Err(format!("Regexp compilation error in '{source}': '{msg}'"));
        }
        Ok(Self {
            source: source.into(),
            re,
        })
    }

    /// The leftmost(-longest) match in `hay` (a C string, without the
    /// NUL), as byte offsets; `hay`'s start counts as a line start.
    pub fn find(&self, hay: &CStr) -> Option<(usize, usize)> {
        let mut m = [libc::regmatch_t {
            rm_so: -1,
            rm_eo: -1,
        }];
        // SAFETY: `re` is compiled, `hay` NUL-terminated, `m` has 1 slot.
        let err = unsafe { libc::regexec(&*self.re, hay.as_ptr(), 1, m.as_mut_ptr(), 0) };
        (err == 0).then(|| (m[0].rm_so as usize, m[0].rm_eo as usize))
    }
}

impl Drop for PosixRegex {
    fn drop(&mut self) {
        // SAFETY: `re` was compiled by `regcomp` (only successful ones are
        // kept) and is freed once.
        unsafe { libc::regfree(&mut *self.re) };
    }
}

impl fmt::Debug for PosixRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PosixRegex({:?})", self.source)
    }
}

/// The POSIX ERE of a pattern with `{{...}}` parts: the parts inside
/// verbatim, the rest with ERE's special characters escaped. Upstream
/// builds it in a 256-byte buffer and refuses longer ones.
pub fn pattern_to_regex(pattern: &str) -> std::result::Result<String, String> {
    let mut out = String::new();
    let mut rest = pattern;
    let mut in_regex = false;
    while !rest.is_empty() && out.len() < 254 {
        if !in_regex && rest.starts_with("{{") {
            in_regex = true;
            rest = &rest[2..];
            continue;
        }
        if in_regex && rest.starts_with("}}") {
            in_regex = false;
            rest = &rest[2..];
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        if !in_regex && ".[]\\()*+?{}|^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !rest.is_empty() {
        return Err(format!("Regexp too long: '{pattern}'"));
    }
    if in_regex {
        return Err(format!(
            "Regexp has open '{{{{' but no closing '}}}}': '{pattern}'"
        ));
    }
    Ok(out)
}

/// One expected (or, negative, unexpected) message.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// As written.
    pub text: String,
    /// Its regex, when it has `{{...}}` parts.
    pub regex: Option<Rc<PosixRegex>>,
    /// Must match on the line after the previous pattern's match.
    pub on_next_line: bool,
    /// `__not_msg`.
    pub negative: bool,
}

impl Pattern {
    /// A pattern; a regex one if it has `{{`.
    pub fn new(
        text: &str,
        on_next_line: bool,
        negative: bool,
    ) -> std::result::Result<Self, String> {
        let regex = if text.contains("{{") {
            Some(Rc::new(PosixRegex::new(&pattern_to_regex(text)?)?))
        } else {
            None
        };
        Ok(Self {
            text: text.into(),
            regex,
            on_next_line,
            negative,
        })
    }

    /// The first match in `log` at or after `from`: start and end.
    fn find(&self, log: &CStr, from: usize) -> Option<(usize, usize)> {
        let hay = &log.to_bytes()[from..];
        match &self.regex {
            None => {
                let n = self.text.len();
                let at = if n == 0 {
                    Some(0)
                } else {
                    hay.windows(n).position(|w| w == self.text.as_bytes())
                };
                at.map(|s| (from + s, from + s + n))
            }
            Some(re) => {
                let sub = &log.to_bytes_with_nul()[from..];
                let sub = CStr::from_bytes_with_nul(sub).ok()?;
                re.find(sub).map(|(s, e)| (from + s, from + e))
            }
        }
    }

    fn kind(&self) -> &'static str {
        if self.regex.is_some() {
            " REGEX"
        } else {
            "SUBSTR"
        }
    }
}

/// Where a pattern matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Match {
    start: usize,
    end: usize,
    line: usize,
}

/// Why a log does not meet its patterns, as upstream reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The failing pattern's index.
    pub index: usize,
    /// One line per pattern up to the failing one: `"MATCHED    SUBSTR:
    /// 'text'"`, ...
    pub report: Vec<String>,
    /// A one-line summary.
    pub summary: String,
}

/// Checks `log` against `patterns` as upstream's `validate_msgs()`.
pub fn validate(log: &[u8], patterns: &[Pattern]) -> std::result::Result<(), Mismatch> {
    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    let owned = CString::new(&log[..end]).unwrap_or_default();
    let log = owned.as_c_str();
    let n = patterns.len();
    let mut matches: Vec<Option<Match>> = vec![None; n];

    // Positive patterns in order, each after the end of the previous
    // match.
    let (mut pos, mut prev_start, mut line) = (0, 0, 0);
    for (i, p) in patterns.iter().enumerate() {
        if p.negative {
            continue;
        }
        if let Some((s, e)) = p.find(log, pos) {
            line += log.to_bytes()[prev_start..s]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            matches[i] = Some(Match {
                start: s,
                end: e,
                line,
            });
            pos = e;
            prev_start = s;
        }
    }

    // Negative patterns between the positive ones around them. (Upstream
    // searches each stride of consecutive negative patterns for its first
    // pattern only, and records the result for all of them.)
    let log_len = log.to_bytes().len();
    let mut span_start = 0;
    let mut i = 0;
    while i < n {
        if !patterns[i].negative {
            if let Some(m) = matches[i] {
                span_start = m.end;
            }
            i += 1;
            continue;
        }
        let next_positive = (i + 1..n).find(|&j| !patterns[j].negative).unwrap_or(n);
        // A next positive pattern that did not match ends the span at
        // NULL: nothing is found before it.
        let span_end = if next_positive < n {
            matches[next_positive].map(|m| m.start)
        } else {
            Some(log_len)
        };
        let found = patterns[i]
            .find(log, span_start)
            .filter(|&(_, e)| span_end.is_some_and(|end| e <= end));
        if let Some((start, end)) = found {
            for m in &mut matches[i..next_positive] {
                *m = Some(Match {
                    start,
                    end,
                    line: 0,
                });
            }
        }
        i = next_positive;
    }

    let mut prev: Option<Match> = None;
    for (i, p) in patterns.iter().enumerate() {
        let m = matches[i];
        let no_match = !p.negative && m.is_none();
        let wrong_line = !p.negative
            && p.on_next_line
            && prev.is_some_and(|pm| pm.line + 1 != m.map_or(0, |m| m.line));
        let unexpected = p.negative && m.is_some();
        if no_match || wrong_line || unexpected {
            let mut report: Vec<String> = patterns[..i]
                .iter()
                .map(|q| format!("MATCHED    {}: '{}'", q.kind(), q.text))
                .collect();
            let status = if wrong_line {
                "WRONG LINE"
            } else if no_match {
                "EXPECTED  "
            } else {
                "UNEXPECTED"
            };
            report.push(format!("{status} {}: '{}'", p.kind(), p.text));
            let summary = if wrong_line {
                let (want, got) = (prev.map_or(0, |pm| pm.line) + 1, m.map_or(0, |m| m.line));
                report.push(format!(
                    "expecting match at line {want}, actual match is at line {got}"
                ));
                format!("'{}' matches at line {got}, not on line {want}", p.text)
            } else if no_match {
                format!("'{}' not found", p.text)
            } else {
                format!("'{}' found, but upstream says it must not be", p.text)
            };
            return Err(Mismatch {
                index: i,
                report,
                summary,
            });
        }
        if !p.negative {
            prev = m;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------
// Specs

/// What one mode (privileged or not) of a test expects.
#[derive(Clone, Debug, Default)]
pub struct Subspec {
    /// `"<prog>"` or `"<prog> @unpriv"`.
    pub name: String,
    /// `__description`, with `" @unpriv"` for the unprivileged one.
    pub description: Option<String>,
    /// `__failure`.
    pub expect_failure: bool,
    /// `__msg` and `__not_msg`.
    pub msgs: Vec<Pattern>,
    /// `__xlated`.
    pub xlated: Vec<Pattern>,
    /// `__jited` (for the current arch).
    pub jited: Vec<Pattern>,
    /// `__stderr`.
    pub stderr: Vec<Pattern>,
    /// `__stdout`.
    pub stdout: Vec<Pattern>,
    /// `__retval`.
    pub retval: i32,
    /// Whether to run the program (`__retval` given).
    pub execute: bool,
    /// `__caps_unpriv`: capabilities kept in the unprivileged run.
    pub caps: u64,
}

/// The spec of one program, as upstream's `parse_test_spec()` makes it.
#[derive(Clone, Debug, Default)]
pub struct Spec {
    /// The program.
    pub prog_name: String,
    /// Privileged mode.
    pub privileged: Subspec,
    /// Unprivileged mode.
    pub unprivileged: Subspec,
    /// `__btf_path`.
    pub btf_custom_path: Option<String>,
    /// `__btf_func_path`.
    pub btf_custom_func_path: Option<String>,
    /// `__log_level`.
    pub log_level: i32,
    /// Load flags: the probed testing flags with `__flag`s applied.
    pub prog_flags: i32,
    /// [`PRIV`] and/or [`UNPRIV`].
    pub mode_mask: u8,
    /// Architectures to run on.
    pub arch_mask: u32,
    /// JIT / no-JIT.
    pub load_mask: u8,
    /// `__linear_size`.
    pub linear_size: i32,
    /// `__auxiliary`.
    pub auxiliary: bool,
    /// Whether the program has any test_loader annotation (a
    /// `comment:<N>:` decl tag) at all.
    pub annotated: bool,
}

/// C's `isspace()`.
fn is_c_space(c: u8) -> bool {
    c == b' ' || (b'\t'..=b'\r').contains(&c)
}

/// C's `strtol()`: the value (saturated), whether it overflowed
/// (`ERANGE`), and the number of bytes used (0 when there are no digits).
fn strtol(s: &str, base: u32) -> (i64, bool, usize) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let neg = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    if base == 16
        && b.get(i) == Some(&b'0')
        && matches!(b.get(i + 1), Some(b'x' | b'X'))
        && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        i += 2;
    }
    let start = i;
    // The magnitude, kept from growing past what any i64 needs.
    let cap = i128::from(i64::MAX) + 2;
    let mut magnitude = 0i128;
    while let Some(d) = b.get(i).and_then(|&c| char::from(c).to_digit(base)) {
        magnitude = (magnitude * i128::from(base) + i128::from(d)).min(cap);
        i += 1;
    }
    if i == start {
        return (0, false, 0);
    }
    let v = if neg { -magnitude } else { magnitude };
    match i64::try_from(v) {
        Ok(v) => (v, false, i),
        Err(_) => (if neg { i64::MIN } else { i64::MAX }, true, i),
    }
}

/// upstream's `parse_int()`: decimal, or hex after `0x`, the whole string,
/// truncated to `int`.
pub fn parse_int(s: &str, what: &str) -> std::result::Result<i32, String> {
    let (digits, base) = match s.strip_prefix("0x") {
        Some(h) => (h, 16),
        None => (s, 10),
    };
    let (v, overflow, used) = strtol(digits, base);
    if overflow || used != digits.len() {
        return Err(format!("failed to parse {what} from '{s}'"));
    }
    Ok(v as i32)
}

fn parse_retval(s: &str, what: &str) -> std::result::Result<i32, String> {
    if s == "_INT_MIN" {
        return Ok(i32::MIN);
    }
    parse_int(s, what)
}

fn parse_caps(s: &str) -> std::result::Result<u64, String> {
    let mut caps = 0u64;
    for token in s.split('|').filter(|t| !t.is_empty()) {
        if token.starts_with("CAP_") {
            return Err(format!(
                "define {token} constant in bpf_misc.h, failed to parse caps"
            ));
        }
        let (v, overflow, _) = strtol(token, 10);
        if v == 0 || overflow {
            return Err("failed to parse caps test caps".into());
        }
        caps |= u32::try_from(v)
            .ok()
            .and_then(|v| 1u64.checked_shl(v))
            .ok_or_else(|| format!("capability {v} out of range"))?;
    }
    Ok(caps)
}

/// The test flags upstream sets on every program.
pub const RND_HI32: i32 = sys::BPF_F_TEST_RND_HI32 as i32;
/// See [`RND_HI32`].
pub const REG_INVARIANTS: i32 = sys::BPF_F_TEST_REG_INVARIANTS as i32;

fn named_flag(name: &str) -> Option<i32> {
    Some(match name {
        "BPF_F_STRICT_ALIGNMENT" => sys::BPF_F_STRICT_ALIGNMENT,
        "BPF_F_ANY_ALIGNMENT" => sys::BPF_F_ANY_ALIGNMENT,
        "BPF_F_TEST_RND_HI32" => sys::BPF_F_TEST_RND_HI32,
        "BPF_F_TEST_STATE_FREQ" => sys::BPF_F_TEST_STATE_FREQ,
        "BPF_F_SLEEPABLE" => sys::BPF_F_SLEEPABLE,
        "BPF_F_XDP_HAS_FRAGS" => sys::BPF_F_XDP_HAS_FRAGS,
        "BPF_F_TEST_REG_INVARIANTS" => sys::BPF_F_TEST_REG_INVARIANTS,
        _ => return None,
    } as i32)
}

/// The architecture test_loader was built for.
pub fn current_arch() -> u32 {
    if cfg!(target_arch = "x86_64") {
        ARCH_X86_64
    } else if cfg!(target_arch = "aarch64") {
        ARCH_ARM64
    } else if cfg!(target_arch = "riscv64") {
        ARCH_RISCV64
    } else if cfg!(target_arch = "s390x") {
        ARCH_S390X
    } else if cfg!(target_arch = "loongarch64") {
        ARCH_LOONGARCH
    } else {
        ARCH_UNKNOWN
    }
}

fn push_disasm(
    text: &str,
    on_next_line: &mut bool,
    msgs: &mut Vec<Pattern>,
) -> std::result::Result<(), String> {
    if text == "..." {
        *on_next_line = false;
        return Ok(());
    }
    msgs.push(Pattern::new(text, *on_next_line, false)?);
    *on_next_line = true;
    Ok(())
}

/// upstream's `parse_test_spec()`: the spec of program `prog_name` (of
/// type `prog_type`) from its sorted decl `tags`, starting from load
/// flags `base_flags`, on architecture `arch`.
pub fn parse_spec(
    prog_name: &str,
    prog_type: u32,
    tags: &[String],
    base_flags: i32,
    arch: u32,
) -> std::result::Result<Spec, String> {
    let mut spec = Spec {
        prog_name: prog_name.into(),
        prog_flags: base_flags,
        ..Spec::default()
    };
    let mut description = None;
    let (mut has_unpriv_result, mut has_unpriv_retval) = (false, false);
    let (mut xlated_next, mut unpriv_xlated_next) = (true, true);
    let (mut jit_next, mut unpriv_jit_next) = (true, true);
    let (mut stderr_next, mut unpriv_stderr_next) = (true, true);
    let (mut stdout_next, mut unpriv_stdout_next) = (true, true);
    let mut collect_jit = false;
    let (mut arch_mask, mut load_mask) = (0u32, 0u8);

    for tag in tags {
        let Some(s) = skip_decl_tag_prefix(tag) else {
            continue;
        };
        spec.annotated = true;
        let val = |prefix: &str| s.strip_prefix(prefix);
        if let Some(v) = val("test_description=") {
            description = Some(v.to_string());
        } else if s == "test_expect_failure" {
            spec.privileged.expect_failure = true;
            spec.mode_mask |= PRIV;
        } else if s == "test_expect_success" {
            spec.privileged.expect_failure = false;
            spec.mode_mask |= PRIV;
        } else if s == "test_expect_failure_unpriv" {
            spec.unprivileged.expect_failure = true;
            spec.mode_mask |= UNPRIV;
            has_unpriv_result = true;
        } else if s == "test_expect_success_unpriv" {
            spec.unprivileged.expect_failure = false;
            spec.mode_mask |= UNPRIV;
            has_unpriv_result = true;
        } else if s == "test_auxiliary" {
            spec.auxiliary = true;
            spec.mode_mask |= PRIV;
        } else if s == "test_auxiliary_unpriv" {
            spec.auxiliary = true;
            spec.mode_mask |= UNPRIV;
        } else if let Some(m) = val("test_expect_msg=") {
            spec.privileged.msgs.push(Pattern::new(m, false, false)?);
            spec.mode_mask |= PRIV;
        } else if let Some(m) = val("test_expect_not_msg=") {
            spec.privileged.msgs.push(Pattern::new(m, false, true)?);
            spec.mode_mask |= PRIV;
        } else if let Some(m) = val("test_expect_msg_unpriv=") {
            spec.unprivileged.msgs.push(Pattern::new(m, false, false)?);
            spec.mode_mask |= UNPRIV;
        } else if let Some(m) = val("test_expect_not_msg_unpriv=") {
            spec.unprivileged.msgs.push(Pattern::new(m, false, true)?);
            spec.mode_mask |= UNPRIV;
        } else if let Some(m) = val("test_jited=") {
            if arch_mask == 0 {
                return Err("__jited used before __arch_*".into());
            }
            if collect_jit {
                push_disasm(m, &mut jit_next, &mut spec.privileged.jited)?;
                spec.mode_mask |= PRIV;
            }
        } else if let Some(m) = val("test_jited_unpriv=") {
            if arch_mask == 0 {
                return Err("__unpriv_jited used before __arch_*".into());
            }
            if collect_jit {
                push_disasm(m, &mut unpriv_jit_next, &mut spec.unprivileged.jited)?;
                spec.mode_mask |= UNPRIV;
            }
        } else if let Some(m) = val("test_expect_xlated=") {
            push_disasm(m, &mut xlated_next, &mut spec.privileged.xlated)?;
            spec.mode_mask |= PRIV;
        } else if let Some(m) = val("test_expect_xlated_unpriv=") {
            push_disasm(m, &mut unpriv_xlated_next, &mut spec.unprivileged.xlated)?;
            spec.mode_mask |= UNPRIV;
        } else if let Some(v) = val("test_retval=") {
            spec.privileged.retval = parse_retval(v, "__retval")?;
            spec.privileged.execute = true;
            spec.mode_mask |= PRIV;
        } else if let Some(v) = val("test_retval_unpriv=") {
            spec.unprivileged.retval = parse_retval(v, "__retval_unpriv")?;
            spec.mode_mask |= UNPRIV;
            spec.unprivileged.execute = true;
            has_unpriv_retval = true;
        } else if let Some(v) = val("test_log_level=") {
            spec.log_level = parse_int(v, "test log level")?;
        } else if let Some(v) = val("test_prog_flags=") {
            let (clear, name) = match v.strip_prefix('!') {
                Some(n) => (true, n),
                None => (false, v),
            };
            let flag = match named_flag(name) {
                Some(f) => f,
                None => parse_int(name, "test prog flags")?,
            };
            if clear {
                spec.prog_flags &= !flag;
            } else {
                spec.prog_flags |= flag;
            }
        } else if let Some(v) = val("test_arch=") {
            let a = match v {
                "X86_64" => ARCH_X86_64,
                "ARM64" => ARCH_ARM64,
                "RISCV64" => ARCH_RISCV64,
                "s390x" => ARCH_S390X,
                "LOONGARCH" => ARCH_LOONGARCH,
                _ => return Err(format!("bad arch spec: '{v}'")),
            };
            arch_mask |= a;
            collect_jit = arch == a;
            unpriv_jit_next = true;
            jit_next = true;
        } else if let Some(v) = val("test_btf_path=") {
            spec.btf_custom_path = Some(v.into());
        } else if let Some(v) = val("test_btf_func_path=") {
            spec.btf_custom_func_path = Some(v.into());
        } else if let Some(v) = val("test_caps_unpriv=") {
            spec.unprivileged.caps |= parse_caps(v)?;
            spec.mode_mask |= UNPRIV;
        } else if let Some(v) = val("load_mode=") {
            load_mask = match v {
                "jited" => JITED,
                "no_jited" => NO_JITED,
                _ => return Err(format!("bad load spec: '{v}'")),
            };
        } else if let Some(m) = val("test_expect_stderr=") {
            push_disasm(m, &mut stderr_next, &mut spec.privileged.stderr)?;
        } else if let Some(m) = val("test_expect_stderr_unpriv=") {
            push_disasm(m, &mut unpriv_stderr_next, &mut spec.unprivileged.stderr)?;
        } else if let Some(m) = val("test_expect_stdout=") {
            push_disasm(m, &mut stdout_next, &mut spec.privileged.stdout)?;
        } else if let Some(m) = val("test_expect_stdout_unpriv=") {
            push_disasm(m, &mut unpriv_stdout_next, &mut spec.unprivileged.stdout)?;
        } else if let Some(v) = val("test_linear_size=") {
            match prog_type {
                sys::BPF_PROG_TYPE_SCHED_ACT
                | sys::BPF_PROG_TYPE_SCHED_CLS
                | sys::BPF_PROG_TYPE_CGROUP_SKB => {
                    spec.linear_size = parse_int(v, "test linear size")?;
                }
                _ => return Err("__linear_size for unsupported program type".into()),
            }
        }
    }

    spec.arch_mask = if arch_mask == 0 { u32::MAX } else { arch_mask };
    spec.load_mask = if load_mask == 0 {
        JITED | NO_JITED
    } else {
        load_mask
    };
    if spec.mode_mask == 0 {
        spec.mode_mask = PRIV;
    }
    if spec.mode_mask & PRIV != 0 {
        spec.privileged.name = prog_name.into();
        spec.privileged.description = description.clone();
    }
    if spec.mode_mask & UNPRIV != 0 {
        spec.unprivileged.name = format!("{prog_name} @unpriv");
        spec.unprivileged.description = description.map(|d| format!("{d} @unpriv"));
    }
    let (p, u) = (&spec.privileged, &mut spec.unprivileged);
    if !has_unpriv_result {
        u.expect_failure = p.expect_failure;
    }
    if !has_unpriv_retval {
        u.retval = p.retval;
        u.execute = p.execute;
    }
    for (mine, theirs) in [
        (&mut u.msgs, &p.msgs),
        (&mut u.xlated, &p.xlated),
        (&mut u.jited, &p.jited),
        (&mut u.stderr, &p.stderr),
        (&mut u.stdout, &p.stdout),
    ] {
        if mine.is_empty() {
            mine.clone_from(theirs);
        }
    }
    Ok(spec)
}

// ---------------------------------------------------------------------
// The environment

/// What upstream reads of the machine it runs on.
pub struct Env {
    /// [`current_arch`].
    pub arch: u32,
    /// `net.core.bpf_jit_enable` is not 0.
    pub jit_enabled: bool,
    /// Why unprivileged tests cannot run, if they cannot.
    pub unpriv_disabled: Option<String>,
    /// `testing_prog_flags()`: the test flags the kernel accepts.
    pub prog_flags: i32,
    /// The disassembler's helper names by id (from vmlinux BTF).
    helpers: OnceCell<std::result::Result<Vec<String>, String>>,
}

impl Env {
    /// An environment with the given facts (for tests).
    pub fn new(jit_enabled: bool, unpriv_disabled: Option<String>, prog_flags: i32) -> Self {
        Self {
            arch: current_arch(),
            jit_enabled,
            unpriv_disabled,
            prog_flags,
            helpers: OnceCell::new(),
        }
    }

    /// Reads the facts as upstream does.
    pub fn probe() -> Self {
        Self::new(jit_enabled(), unpriv_disabled(), testing_prog_flags())
    }

    fn helpers(&self) -> std::result::Result<&[String], String> {
        self.helpers
            .get_or_init(|| helper_names().map_err(|e| format!("{e:#}")))
            .as_deref()
            .map_err(Clone::clone)
    }
}

/// upstream's `is_jit_enabled()`.
fn jit_enabled() -> bool {
    std::fs::read("/proc/sys/net/core/bpf_jit_enable")
        .ok()
        .and_then(|b| b.first().copied())
        .is_some_and(|c| c != b'0')
}

/// upstream's `get_unpriv_disabled()`, as a reason.
fn unpriv_disabled() -> Option<String> {
    const SYSCTL: &str = "/proc/sys/kernel/unprivileged_bpf_disabled";
    match std::fs::read(SYSCTL) {
        // fgets of one byte, then atoi.
        Ok(b) if b.first().is_some_and(|c| (b'1'..=b'9').contains(c)) => {
            return Some(format!(
                "kernel.unprivileged_bpf_disabled is {}",
                String::from_utf8_lossy(&b).trim()
            ))
        }
        Ok(_) => {}
        Err(e) => return Some(format!("{SYSCTL}: {e}")),
    }
    // Some unprivileged tests rely on Spectre mitigations, so upstream
    // runs them only when mitigations are known to be on.
    let cmdline = std::fs::read_to_string("/proc/cmdline").unwrap_or_default();
    if cmdline_has_prefix_of(&cmdline, "mitigations=off") {
        return Some("mitigations=off on the kernel command line".into());
    }
    if !config_contains("CONFIG_CPU_MITIGATIONS=y") {
        return Some("CONFIG_CPU_MITIGATIONS=y not found in the kernel config".into());
    }
    None
}

/// upstream's `cmdline_contains()`: a word of the command line that is a
/// prefix of `pat` (`strncmp(word, pat, strlen(word))`).
pub fn cmdline_has_prefix_of(cmdline: &str, pat: &str) -> bool {
    cmdline
        .split([' ', '\n'])
        .filter(|w| !w.is_empty())
        .any(|w| pat.as_bytes().starts_with(w.as_bytes()))
}

/// upstream's `config_contains()` > 0: the line is in
/// /boot/config-$(uname -r) or /proc/config.gz. (Upstream's returns "not
/// known" when the line is missing, which it treats alike.)
fn config_contains(line: &str) -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let text = std::fs::read_to_string(format!("/boot/config-{}", release.trim()))
        .ok()
        .or_else(|| {
            let out = std::process::Command::new("zcat")
                .arg("/proc/config.gz")
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
        });
    text.is_some_and(|t| t.lines().any(|l| l == line))
}

/// upstream's `testing_prog_flags()`: which of `BPF_F_TEST_RND_HI32` and
/// `BPF_F_TEST_REG_INVARIANTS` the kernel accepts on a trivial socket
/// filter.
fn testing_prog_flags() -> i32 {
    // r0 = 0; exit
    let insns: [u64; 2] = [0xb7, 0x95];
    let mut flags = 0;
    for flag in [RND_HI32, REG_INVARIANTS] {
        // SAFETY: all-zero is a valid `bpf_prog_load_opts`; `sz` is set.
        let mut opts: sys::bpf_prog_load_opts = unsafe { std::mem::zeroed() };
        opts.sz = size_of::<sys::bpf_prog_load_opts>() as _;
        opts.prog_flags = flag as u32;
        // SAFETY: the strings are NUL-terminated, `insns` holds 2
        // instructions, `opts` is valid; the fd is closed below.
        let fd = unsafe {
            sys::bpf_prog_load(
                sys::BPF_PROG_TYPE_SOCKET_FILTER,
                c"flag-test".as_ptr(),
                c"GPL".as_ptr(),
                insns.as_ptr().cast(),
                insns.len() as _,
                &mut opts,
            )
        };
        if fd >= 0 {
            flags |= flag;
            // SAFETY: `fd` is ours.
            unsafe { libc::close(fd) };
        }
    }
    flags
}

/// The kernel's helper names by id: `enum bpf_func_id` of vmlinux BTF,
/// `BPF_FUNC_<x>` becoming `bpf_<x>` (both come from the same
/// `__BPF_FUNC_MAPPER`).
fn helper_names() -> Result<Vec<String>> {
    // SAFETY: no preconditions; the result is checked and freed below.
    let btf = unsafe { sys::btf__load_vmlinux_btf() };
    if btf.is_null() {
        bail!("cannot load vmlinux BTF");
    }
    // SAFETY: `btf` is valid until freed at the end.
    let names = unsafe { enum_values(btf, "bpf_func_id") };
    // SAFETY: loaded above, freed once.
    unsafe { sys::btf__free(btf) };
    let mut values = names.context("vmlinux BTF has no enum bpf_func_id")?;
    let max = values
        .iter()
        .find(|(n, _)| n == "__BPF_FUNC_MAX_ID")
        .map(|&(_, v)| v)
        .context("enum bpf_func_id has no __BPF_FUNC_MAX_ID")?;
    values.retain(|(n, _)| n.starts_with("BPF_FUNC_"));
    let mut table = vec![String::new(); max.max(0) as usize];
    for (n, v) in values {
        if let Some(slot) = usize::try_from(v).ok().and_then(|v| table.get_mut(v)) {
            *slot = format!("bpf_{}", &n["BPF_FUNC_".len()..]);
        }
    }
    Ok(table)
}

/// The enumerators of enum `name` in `btf`.
///
/// # Safety
///
/// `btf` must point to a valid libbpf `struct btf`.
unsafe fn enum_values(btf: *const sys::btf, name: &str) -> Option<Vec<(String, i64)>> {
    const BTF_KIND_ENUM: u32 = 6;
    let c = CString::new(name).ok()?;
    // SAFETY: the caller guarantees `btf`; `c` is NUL-terminated.
    let id = unsafe { sys::btf__find_by_name_kind(btf, c.as_ptr(), BTF_KIND_ENUM) };
    if id < 0 {
        return None;
    }
    // SAFETY: `id` is an ENUM of `btf`: `struct btf_type` then `vlen`
    // `struct btf_enum` (name_off, val).
    unsafe {
        let t = sys::btf__type_by_id(btf, id as u32).cast::<u32>();
        let vlen = *t.add(1) & 0xffff;
        let mut out = Vec::new();
        for k in 0..vlen as usize {
            let e = t.add(3 + 2 * k);
            let s: *const c_char = sys::btf__str_by_offset(btf, *e);
            if s.is_null() {
                continue;
            }
            out.push((
                CStr::from_ptr(s).to_string_lossy().into_owned(),
                i64::from(*e.add(1) as i32),
            ));
        }
        Some(out)
    }
}

// ---------------------------------------------------------------------
// Objects and their tests

/// A program of an object and its spec (or why upstream cannot make it).
#[derive(Debug)]
pub struct Program {
    /// Its name.
    pub name: String,
    /// Its `BPF_PROG_TYPE_*`.
    pub prog_type: u32,
    /// Its spec.
    pub spec: std::result::Result<Spec, String>,
}

/// How upstream's prog_tests/*.c runs an object's tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Driver {
    /// `RUN_TESTS(name)`: with the test runner's capabilities.
    #[default]
    RunTests,
    /// prog_tests/verifier.c's `RUN(name)`: without `CAP_SYS_ADMIN`, as
    /// test_verifier runs its tests.
    Run,
}

/// The specs of an object's programs, in the object's order.
#[derive(Debug)]
pub struct ObjectSpecs {
    /// The object's name: `<name>.bpf.o`.
    pub object: String,
    /// Its file.
    pub path: PathBuf,
    /// How upstream runs it.
    pub driver: Driver,
    /// Its programs.
    pub programs: Vec<Program>,
}

/// Opens the object at `path` (named `object`, run by `driver`) and makes
/// the spec of each of its programs.
pub fn read_object(object: &str, path: &Path, driver: Driver, env: &Env) -> Result<ObjectSpecs> {
    let mut builder = libbpf_rs::ObjectBuilder::default();
    builder.name(object)?;
    let open = builder
        .open_file(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let raw = libbpf_rs::AsRawLibbpf::as_libbpf_object(&open);
    // SAFETY: `raw` is the open object; its BTF lives as long as it.
    let btf = unsafe { sys::bpf_object__btf(raw.as_ptr()) };
    let mut programs = Vec::new();
    for p in open.progs() {
        let name = p.name().to_string_lossy().into_owned();
        // SAFETY: a program of the open object.
        let prog_type = unsafe {
            sys::bpf_program__type(libbpf_rs::AsRawLibbpf::as_libbpf_object(&p).as_ptr())
        };
        let spec = if btf.is_null() {
            Err("BPF object has no BTF".to_string())
        } else {
            // SAFETY: `btf` is the open object's, valid while it is open.
            match unsafe { func_decl_tags(btf, &name) } {
                None => Err(format!("failed to find FUNC BTF type for '{name}'")),
                Some(tags) => parse_spec(&name, prog_type, &tags, env.prog_flags, env.arch),
            }
        };
        programs.push(Program {
            name,
            prog_type,
            spec,
        });
    }
    Ok(ObjectSpecs {
        object: object.into(),
        path: path.into(),
        driver,
        programs,
    })
}

/// One test of an object: a program in one mode, as upstream's subtests.
#[derive(Clone)]
pub struct Subtest {
    /// The object's specs.
    pub specs: Rc<ObjectSpecs>,
    /// The program's index.
    pub index: usize,
    /// Unprivileged mode.
    pub unpriv: bool,
    /// The machine.
    pub env: Rc<Env>,
}

/// The tests of `specs`: per program, privileged then unprivileged; a
/// program whose spec cannot be made is a (failing) test too.
pub fn subtests(specs: &Rc<ObjectSpecs>, env: &Rc<Env>) -> Vec<Subtest> {
    let mut out = Vec::new();
    for (index, p) in specs.programs.iter().enumerate() {
        let test = |unpriv| Subtest {
            specs: specs.clone(),
            index,
            unpriv,
            env: env.clone(),
        };
        match &p.spec {
            Err(_) => out.push(test(false)),
            Ok(s) if s.auxiliary => {}
            Ok(s) => {
                if s.mode_mask & PRIV != 0 {
                    out.push(test(false));
                }
                if s.mode_mask & UNPRIV != 0 {
                    out.push(test(true));
                }
            }
        }
    }
    out
}

/// A test's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// What was observed, in a line; equal for equal behaviour.
    pub result: String,
    /// Whether it meets upstream's expectation.
    pub ok: bool,
    /// More on a failure: the verifier log's end, the patterns.
    pub detail: String,
}

impl Outcome {
    fn fail(result: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            result: result.into(),
            ok: false,
            detail: detail.into(),
        }
    }
}

fn errno_name(ret: i32) -> String {
    let name = match -ret {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        7 => "E2BIG",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        17 => "EEXIST",
        22 => "EINVAL",
        28 => "ENOSPC",
        95 => "EOPNOTSUPP",
        524 => "ENOTSUPP",
        _ => return format!("error {ret}"),
    };
    format!("-{name}")
}

/// The last `n` lines of `log`, indented, for a failure's detail.
fn tail(what: &str, log: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(log);
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(n);
    let mut out = format!(
        "{what} ({} lines{}):\n",
        lines.len(),
        if from > 0 { ", the last ones" } else { "" }
    );
    for l in &lines[from..] {
        out.push_str("  ");
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// The end of libbpf's messages, without its "skipped loading" lines.
fn libbpf_tail(log: &str) -> String {
    let kept: Vec<&str> = log
        .lines()
        .filter(|l| !l.ends_with("skipped loading"))
        .collect();
    tail("libbpf", kept.join("\n").as_bytes(), 10)
}

fn is_unpriv_capable_map(kind: u32, flags: u32) -> bool {
    match kind {
        sys::BPF_MAP_TYPE_HASH | sys::BPF_MAP_TYPE_PERCPU_HASH | sys::BPF_MAP_TYPE_HASH_OF_MAPS => {
            flags & sys::BPF_F_ZERO_SEED == 0
        }
        sys::BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE
        | sys::BPF_MAP_TYPE_ARRAY
        | sys::BPF_MAP_TYPE_RINGBUF
        | sys::BPF_MAP_TYPE_PROG_ARRAY
        | sys::BPF_MAP_TYPE_CGROUP_ARRAY
        | sys::BPF_MAP_TYPE_PERCPU_ARRAY
        | sys::BPF_MAP_TYPE_USER_RINGBUF
        | sys::BPF_MAP_TYPE_ARRAY_OF_MAPS
        | sys::BPF_MAP_TYPE_CGROUP_STORAGE
        | sys::BPF_MAP_TYPE_PERF_EVENT_ARRAY => true,
        _ => false,
    }
}

impl Subtest {
    fn program(&self) -> &Program {
        &self.specs.programs[self.index]
    }

    fn subspec(&self) -> Option<&Subspec> {
        let spec = self.program().spec.as_ref().ok()?;
        Some(if self.unpriv {
            &spec.unprivileged
        } else {
            &spec.privileged
        })
    }

    /// upstream's subtest name: `"<prog>"` or `"<prog> @unpriv"`.
    pub fn name(&self) -> String {
        self.subspec()
            .map_or_else(|| self.program().name.clone(), |s| s.name.clone())
    }

    /// `__description`.
    pub fn description(&self) -> Option<String> {
        self.subspec().and_then(|s| s.description.clone())
    }

    /// Why upstream skips this test here, if it does.
    pub fn skip_reason(&self) -> Option<String> {
        let spec = self.program().spec.as_ref().ok()?;
        if spec.arch_mask & self.env.arch == 0 {
            return Some(format!("its __arch_* excludes {}", std::env::consts::ARCH));
        }
        let runtime = if self.env.jit_enabled {
            JITED
        } else {
            NO_JITED
        };
        if spec.load_mask & runtime == 0 {
            return Some(if self.env.jit_enabled {
                "__load_if_no_JITed, and the JIT is on".into()
            } else {
                "__load_if_JITed, and the JIT is off".into()
            });
        }
        if self.unpriv {
            // BPF_F_ANY_ALIGNMENT would also prevent it without efficient
            // unaligned access, which x86_64 has.
            if let Some(why) = &self.env.unpriv_disabled {
                return Some(format!("unprivileged BPF is off: {why}"));
            }
        }
        None
    }

    /// Upstream's expectation, in words.
    pub fn expectation(&self) -> String {
        let Some(sub) = self.subspec() else {
            return "a valid spec".into();
        };
        let mut e = vec![if sub.expect_failure {
            "__failure".to_string()
        } else {
            "__success".to_string()
        }];
        for p in &sub.msgs {
            let kind = if p.negative { "__not_msg" } else { "__msg" };
            e.push(format!("{kind}(\"{}\")", p.text));
        }
        for p in &sub.xlated {
            e.push(format!("__xlated(\"{}\")", p.text));
        }
        if sub.execute && !sub.expect_failure {
            e.push(format!("__retval({})", sub.retval));
        }
        e.join(" ")
    }

    /// Runs the test as upstream's `run_subtest()`, against whatever
    /// module is loaded.
    pub fn run(&self) -> Outcome {
        let prog = self.program();
        let spec = match &prog.spec {
            Ok(s) => s,
            Err(e) => return Outcome::fail(format!("upstream cannot parse its spec: {e}"), ""),
        };
        if let Some(why) = self.skip_reason() {
            return Outcome {
                result: format!("skipped: {why}"),
                ok: true,
                detail: String::new(),
            };
        }
        let sub = self.subspec().expect("the spec is valid");
        if let Some(p) = &spec.btf_custom_path {
            return Outcome::fail(format!("unsupported: __btf_path(\"{p}\")"), "");
        }
        if let Some(p) = &spec.btf_custom_func_path {
            return Outcome::fail(format!("unsupported: __btf_func_path(\"{p}\")"), "");
        }
        if !sub.jited.is_empty() {
            return Outcome::fail(
                "unsupported: __jited (no disassembler for the JIT image in the guest)",
                "",
            );
        }
        let without_sys_admin = match self.specs.driver {
            Driver::RunTests => None,
            Driver::Run => match cap_disable_effective(1 << CAP_SYS_ADMIN) {
                Ok(old) => Some(Caps(Some(old))),
                Err(e) => return Outcome::fail(format!("failed to drop CAP_SYS_ADMIN: {e}"), ""),
            },
        };
        let outcome = match self.load_and_check(spec, sub) {
            Ok(o) => o,
            Err(e) => Outcome::fail(format!("{e:#}"), ""),
        };
        match without_sys_admin.map(Caps::restore) {
            Some(Err(e)) => Outcome::fail(format!("failed to restore CAP_SYS_ADMIN: {e}"), ""),
            _ => outcome,
        }
    }

    fn load_and_check(&self, spec: &Spec, sub: &Subspec) -> Result<Outcome> {
        let mode = if self.unpriv { UNPRIV } else { PRIV };
        let mut caps = if self.unpriv {
            let c = Caps::drop_privileges().context("failed to drop capabilities")?;
            if sub.caps != 0 {
                cap_enable_effective(sub.caps).context("failed to set capabilities")?;
            }
            Some(c)
        } else {
            None
        };
        let programs = &self.specs.programs;
        let autoload = |name: &str| {
            programs.iter().any(|p| {
                p.name == name
                    && p.spec.as_ref().is_ok_and(|s| {
                        name == spec.prog_name || (s.auxiliary && s.mode_mask & mode != 0)
                    })
            })
        };
        let unpriv = self.unpriv;
        let autocreate = |kind: u32, flags: u32| !unpriv || is_unpriv_capable_map(kind, flags);
        let setup = Setup {
            name: &self.specs.object,
            autoload: &autoload,
            logged: Some(Logged {
                prog: &spec.prog_name,
                log_level: spec.log_level as u32,
                flags: spec.prog_flags as u32,
            }),
            autocreate: &autocreate,
        };
        let attempt = bpf::load_with(&self.specs.path, &setup)?;
        let log = &attempt.verifier_log;
        let mut r = Report::default();
        let mut loaded = match (attempt.result, sub.expect_failure) {
            (Ok(_), true) => {
                return Ok(Outcome::fail(
                    "loads, but upstream expects the load to fail",
                    tail("verifier log", log, 30),
                ))
            }
            (Err(e), false) => {
                return Ok(Outcome::fail(
                    format!(
                        "load fails ({}), but upstream expects it to load",
                        errno_name(e)
                    ),
                    tail("verifier log", log, 30) + &libbpf_tail(&attempt.libbpf_log),
                ))
            }
            (Err(e), true) => {
                r.done.push(format!("load fails ({})", errno_name(e)));
                None
            }
            (Ok(l), false) => {
                r.done.push("loads".into());
                Some(l)
            }
        };
        r.check("log", log, &sub.msgs);
        if log.is_empty() && !r.failures.is_empty() {
            // Failed before the verifier, or loaded without a log.
            r.detail.push_str(&libbpf_tail(&attempt.libbpf_log));
        }

        // Upstream reads the program back with all capabilities, and runs
        // it so too.
        if let Some(c) = caps.take() {
            c.restore().context("failed to restore capabilities")?;
        }

        if !sub.xlated.is_empty() {
            let l = loaded
                .as_ref()
                .context("get_xlated_program: the program is not loaded")?;
            let insns = bpf::xlated(&l.object, &spec.prog_name)?;
            let helpers = self.env.helpers().map_err(anyhow::Error::msg)?;
            let text = disasm::program_text(&insns, helpers);
            r.check("xlated", text.as_bytes(), &sub.xlated);
        }

        match loaded.as_mut() {
            Some(l) if sub.execute && !sub.expect_failure => self.test_run(spec, sub, l, &mut r)?,
            _ => {}
        }
        Ok(if r.failures.is_empty() {
            Outcome {
                result: r.done.join(", "),
                ok: true,
                detail: r.detail,
            }
        } else {
            Outcome::fail(r.failures.join("; "), r.detail)
        })
    }

    /// The test run and what follows it.
    fn test_run(
        &self,
        spec: &Spec,
        sub: &Subspec,
        l: &mut bpf::Loaded,
        r: &mut Report,
    ) -> Result<()> {
        let mut links = Vec::new();
        for mut m in l.object.maps_mut() {
            if m.autocreate() && m.map_type() == libbpf_rs::MapType::StructOps {
                links.push(
                    m.attach_struct_ops()
                        .context("bpf_map__attach_struct_ops")?,
                );
            }
        }
        let syscall = l
            .object
            .progs()
            .find(|p| p.name() == spec.prog_name.as_str())
            .is_some_and(|p| p.prog_type() == libbpf_rs::ProgramType::Syscall);
        let data_in = [0u8; TEST_DATA_LEN];
        let mut data_out = [0u8; TEST_DATA_LEN << 2];
        let mut skb = [0u8; SKB_SIZE];
        skb[SKB_DATA_END..SKB_DATA_END + 4]
            .copy_from_slice(&(spec.linear_size as u32).to_ne_bytes());
        let input = if syscall {
            Input::Nothing
        } else {
            Input::Data {
                data_in: &data_in,
                data_out: &mut data_out,
                ctx_in: (spec.linear_size != 0).then_some(&skb[..]),
            }
        };
        match bpf::run(&l.object, &spec.prog_name, input)? {
            Err(e) => r
                .failures
                .push(format!("BPF_PROG_TEST_RUN fails: {}", errno_name(e))),
            Ok(v) if v != sub.retval && sub.retval != POINTER_VALUE => {
                // Upstream stops here.
                r.failures
                    .push(format!("retval {v}, upstream expects {}", sub.retval));
                return Ok(());
            }
            Ok(v) if sub.retval == POINTER_VALUE => r.done.push(format!("retval {v} (any)")),
            Ok(v) => r.done.push(format!("retval {v}")),
        }
        for (id, what, patterns, len) in [
            (2, "stderr", &sub.stderr, bpf::LOG_BUF_SIZE - 1),
            (1, "stdout", &sub.stdout, bpf::LOG_BUF_SIZE),
        ] {
            if patterns.is_empty() {
                continue;
            }
            match bpf::read_stream(&l.object, &spec.prog_name, id, len)? {
                Ok(text) if !text.is_empty() => r.check(what, &text, patterns),
                Ok(_) => r.failures.push(format!("{what}: the stream is empty")),
                Err(e) => r
                    .failures
                    .push(format!("{what}: stream read fails: {}", errno_name(e))),
            }
        }
        drop(links);
        Ok(())
    }
}

/// What a test has found so far.
#[derive(Default)]
struct Report {
    /// Checks passed, in words.
    done: Vec<String>,
    /// Checks failed, in words.
    failures: Vec<String>,
    /// The failures' details.
    detail: String,
}

impl Report {
    /// Matches `text` (the log, xlated code, a stream) against `patterns`.
    fn check(&mut self, what: &str, text: &[u8], patterns: &[Pattern]) {
        if patterns.is_empty() {
            return;
        }
        match validate(text, patterns) {
            Ok(()) => self
                .done
                .push(format!("{what} has the {} pattern(s)", patterns.len())),
            Err(m) => {
                self.failures.push(format!("{what}: {}", m.summary));
                self.detail
                    .push_str(&format!("{what} patterns:\n  {}\n", m.report.join("\n  ")));
                self.detail.push_str(&tail(what, text, 30));
            }
        }
    }
}

// ---------------------------------------------------------------------
// Capabilities (test_loader's cap_helpers.c)

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_VERSION_3: u32 = 0x2008_0522;

fn capget() -> std::io::Result<[CapData; 2]> {
    let mut hdr = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: version 3 takes a header and two data structs.
    let err = unsafe { libc::syscall(libc::SYS_capget, &raw mut hdr, data.as_mut_ptr()) };
    if err != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(data)
}

fn capset(data: &[CapData; 2]) -> std::io::Result<()> {
    let mut hdr = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    // SAFETY: version 3 takes a header and two data structs.
    let err = unsafe { libc::syscall(libc::SYS_capset, &raw mut hdr, data.as_ptr()) };
    if err != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn effective(data: &[CapData; 2]) -> u64 {
    (u64::from(data[1].effective) << 32) | u64::from(data[0].effective)
}

fn cap_enable_effective(caps: u64) -> std::io::Result<u64> {
    let mut data = capget()?;
    let old = effective(&data);
    if old & caps == caps {
        return Ok(old);
    }
    data[0].effective |= caps as u32;
    data[1].effective |= (caps >> 32) as u32;
    capset(&data)?;
    Ok(old)
}

fn cap_disable_effective(caps: u64) -> std::io::Result<u64> {
    let mut data = capget()?;
    let old = effective(&data);
    if old & caps == 0 {
        return Ok(old);
    }
    data[0].effective &= !(caps as u32);
    data[1].effective &= !((caps >> 32) as u32);
    capset(&data)?;
    Ok(old)
}

/// The effective capabilities before some were dropped, restored when
/// dropped.
struct Caps(Option<u64>);

impl Caps {
    fn drop_privileges() -> std::io::Result<Self> {
        let drop = [CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_PERFMON, CAP_BPF]
            .iter()
            .fold(0u64, |m, &c| m | 1 << c);
        cap_disable_effective(drop).map(|old| Self(Some(old)))
    }

    fn restore(mut self) -> std::io::Result<()> {
        match self.0.take() {
            Some(old) => cap_enable_effective(old).map(drop),
            None => Ok(()),
        }
    }
}

impl Drop for Caps {
    fn drop(&mut self) {
        if let Some(old) = self.0.take() {
            let _ = cap_enable_effective(old);
        }
    }
}

#[cfg(test)]
mod tests;
