// SPDX-License-Identifier: GPL-2.0

//! Host tests of the test_loader port: tag order and parsing, spec
//! defaults, message matching (pure data), and one real upstream object.

use super::*;
use std::ffi::c_int;

fn tags(list: &[&str]) -> Vec<String> {
    list.iter()
        .enumerate()
        .map(|(i, t)| format!("comment:{i}:{t}"))
        .collect()
}

fn spec(list: &[&str]) -> Spec {
    parse_spec(
        "prog",
        sys::BPF_PROG_TYPE_SCHED_CLS,
        &tags(list),
        RND_HI32,
        ARCH_X86_64,
    )
    .unwrap()
}

fn spec_err(list: &[&str]) -> String {
    parse_spec(
        "prog",
        sys::BPF_PROG_TYPE_SCHED_CLS,
        &tags(list),
        0,
        ARCH_X86_64,
    )
    .unwrap_err()
}

fn msg(text: &str) -> Pattern {
    Pattern::new(text, false, false).unwrap()
}

fn not_msg(text: &str) -> Pattern {
    Pattern::new(text, false, true).unwrap()
}

fn line(text: &str) -> Pattern {
    Pattern::new(text, true, false).unwrap()
}

fn failing_index(log: &str, patterns: &[Pattern]) -> Option<usize> {
    validate(log.as_bytes(), patterns).err().map(|m| m.index)
}

// ---------------------------------------------------------------------
// Tag order and prefix

extern "C" {
    /// glibc's, to check ours against.
    fn strverscmp(a: *const c_char, b: *const c_char) -> c_int;
}

#[test]
fn strverscmp_agrees_with_glibc() {
    let alphabet = [b'0', b'1', b'9', b'a', b':'];
    let mut strings = vec![Vec::new()];
    let mut last = vec![Vec::new()];
    for _ in 0..4 {
        let next: Vec<Vec<u8>> = last
            .iter()
            .flat_map(|s| {
                alphabet.iter().map(move |&c| {
                    let mut t = s.clone();
                    t.push(c);
                    t
                })
            })
            .collect();
        strings.extend(next.iter().cloned());
        last = next;
    }
    let c: Vec<CString> = strings
        .iter()
        .map(|s| CString::new(s.clone()).unwrap())
        .collect();
    for (a, ca) in strings.iter().zip(&c) {
        for (b, cb) in strings.iter().zip(&c) {
            // SAFETY: both are NUL-terminated.
            let want = unsafe { strverscmp(ca.as_ptr(), cb.as_ptr()) }.cmp(&0);
            assert_eq!(
                super::strverscmp(a, b),
                want,
                "{:?} vs {:?}",
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b)
            );
        }
    }
}

#[test]
fn strverscmp_orders_counters_as_numbers() {
    let mut t = vec![
        "comment:10:b",
        "comment:9:a",
        "comment:100:c",
        "comment:11:d",
    ];
    t.sort_by(|a, b| super::strverscmp(a.as_bytes(), b.as_bytes()));
    assert_eq!(
        t,
        [
            "comment:9:a",
            "comment:10:b",
            "comment:11:d",
            "comment:100:c"
        ]
    );
}

#[test]
fn decl_tag_prefix_is_comment_number_colon() {
    assert_eq!(
        skip_decl_tag_prefix("comment:12:test_expect_failure"),
        Some("test_expect_failure")
    );
    assert_eq!(skip_decl_tag_prefix("comment: -3:x=y"), Some("x=y"));
    assert_eq!(skip_decl_tag_prefix("comment:0:"), Some(""));
    // Older kernels' unnumbered tags.
    assert_eq!(
        skip_decl_tag_prefix("comment:test_expect_failure"),
        Some("test_expect_failure")
    );
    assert_eq!(skip_decl_tag_prefix("comment:other"), None);
    assert_eq!(
        without_value_counter("comment:test_expect_msg=3=R1 type=scalar".into()),
        "comment:test_expect_msg=R1 type=scalar"
    );
    assert_eq!(
        without_value_counter("comment:test_expect_msg_unpriv=0=a=b".into()),
        "comment:test_expect_msg_unpriv=a=b"
    );
    assert_eq!(
        without_value_counter("comment:7:test_expect_msg=x".into()),
        "comment:7:test_expect_msg=x"
    );
    assert_eq!(skip_decl_tag_prefix("comment:12test"), None);
    assert_eq!(skip_decl_tag_prefix("comment::x"), None);
    assert_eq!(skip_decl_tag_prefix("arg:ctx"), None);
}

/// An in-memory BTF: FUNCs `prog` and `other` with decl tags, some on a
/// parameter, added out of order.
#[test]
fn decl_tags_of_a_func_in_source_order() {
    // SAFETY: libbpf's BTF builder on an empty BTF of our own, freed at
    // the end; every string is NUL-terminated.
    unsafe {
        let btf = sys::btf__new_empty();
        assert!(!btf.is_null());
        let int = sys::btf__add_int(btf, c"int".as_ptr(), 4, 1);
        let proto = sys::btf__add_func_proto(btf, int);
        assert_eq!(sys::btf__add_func_param(btf, c"ctx".as_ptr(), int), 0);
        let prog = sys::btf__add_func(btf, c"prog".as_ptr(), sys::BTF_FUNC_GLOBAL, proto);
        let other = sys::btf__add_func(btf, c"other".as_ptr(), sys::BTF_FUNC_GLOBAL, proto);
        for (tag, on, component) in [
            (c"comment:10:test_expect_msg=second", prog, -1),
            (c"comment:9:test_expect_msg=first", prog, -1),
            (c"comment:100:test_expect_msg=third", prog, -1),
            (c"comment:8:test_expect_failure", other, -1),
            (c"arg:ctx", prog, 0),
            (c"comment:11:test_on_param", prog, 0),
            (c"not_a_test_tag", prog, -1),
        ] {
            assert!(sys::btf__add_decl_tag(btf, tag.as_ptr(), on, component) > 0);
        }
        assert_eq!(
            func_decl_tags(btf, "prog").unwrap(),
            [
                "comment:9:test_expect_msg=first",
                "comment:10:test_expect_msg=second",
                "comment:100:test_expect_msg=third",
                "not_a_test_tag",
            ]
        );
        assert_eq!(
            func_decl_tags(btf, "other").unwrap(),
            ["comment:8:test_expect_failure"]
        );
        assert_eq!(func_decl_tags(btf, "missing"), None);
        // The tags make the spec, the untagged-prefix one ignored.
        let tags = func_decl_tags(btf, "prog").unwrap();
        let s = parse_spec("prog", sys::BPF_PROG_TYPE_SCHED_CLS, &tags, 0, ARCH_X86_64).unwrap();
        let texts: Vec<&str> = s.privileged.msgs.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["first", "second", "third"]);
        sys::btf__free(btf);
    }
}

// ---------------------------------------------------------------------
// Specs

#[test]
fn an_unannotated_program_is_a_privileged_success() {
    let s = spec(&[]);
    assert_eq!(s.mode_mask, PRIV);
    assert!(!s.privileged.expect_failure && !s.privileged.execute);
    assert_eq!(s.privileged.name, "prog");
    assert_eq!(s.prog_flags, RND_HI32);
    assert_eq!((s.arch_mask, s.load_mask), (u32::MAX, JITED | NO_JITED));
    assert_eq!(s.log_level, 0);
}

#[test]
fn failure_and_messages_are_privileged_and_shared_with_unpriv() {
    let s = spec(&[
        "test_expect_failure",
        "test_expect_msg=R1 invalid",
        "test_description=a test",
    ]);
    assert_eq!(s.mode_mask, PRIV);
    assert!(s.privileged.expect_failure);
    assert_eq!(s.privileged.description.as_deref(), Some("a test"));
    // The unprivileged side is filled in (not run: no unpriv tag).
    assert!(s.unprivileged.expect_failure);
    assert_eq!(s.unprivileged.msgs.len(), 1);
    assert_eq!(s.unprivileged.name, "");
}

#[test]
fn unpriv_tags_make_an_unpriv_test_inheriting_the_rest() {
    let s = spec(&[
        "test_description=desc",
        "test_expect_success",
        "test_retval=0x10",
        "test_expect_msg=priv msg",
        "test_expect_failure_unpriv",
        "test_expect_msg_unpriv=unpriv msg",
    ]);
    assert_eq!(s.mode_mask, PRIV | UNPRIV);
    assert_eq!(s.unprivileged.name, "prog @unpriv");
    assert_eq!(s.unprivileged.description.as_deref(), Some("desc @unpriv"));
    assert!(!s.privileged.expect_failure && s.unprivileged.expect_failure);
    assert_eq!((s.privileged.retval, s.privileged.execute), (16, true));
    // The retval is inherited, the messages are not (it has its own).
    assert_eq!((s.unprivileged.retval, s.unprivileged.execute), (16, true));
    assert_eq!(s.unprivileged.msgs[0].text, "unpriv msg");
    assert_eq!(s.unprivileged.msgs.len(), 1);

    let s = spec(&["test_retval_unpriv=3"]);
    assert_eq!(s.mode_mask, UNPRIV);
    assert_eq!(s.privileged.name, "");
    assert_eq!((s.unprivileged.retval, s.unprivileged.execute), (3, true));
}

#[test]
fn the_last_result_tag_wins() {
    assert!(
        !spec(&["test_expect_failure", "test_expect_success"])
            .privileged
            .expect_failure
    );
    assert!(
        spec(&["test_expect_success", "test_expect_failure"])
            .privileged
            .expect_failure
    );
}

#[test]
fn retvals() {
    assert_eq!(spec(&["test_retval=_INT_MIN"]).privileged.retval, i32::MIN);
    assert_eq!(spec(&["test_retval=-1234"]).privileged.retval, -1234);
    assert_eq!(spec(&["test_retval=0xffffffff"]).privileged.retval, -1);
    assert_eq!(
        spec(&["test_retval=0xbadcafe"]).privileged.retval,
        POINTER_VALUE
    );
    assert_eq!(
        spec(&["test_retval=64"]).privileged.retval,
        TEST_DATA_LEN as i32
    );
    assert!(spec_err(&["test_retval=1 "]).contains("__retval"));
    assert!(spec_err(&["test_retval=INT_MIN"]).contains("__retval"));
    assert!(spec_err(&["test_retval=99999999999999999999"]).contains("__retval"));
}

#[test]
fn parse_int_follows_strtol() {
    assert_eq!(parse_int("12", "x"), Ok(12));
    assert_eq!(parse_int(" -12", "x"), Ok(-12));
    assert_eq!(parse_int("+7", "x"), Ok(7));
    assert_eq!(parse_int("0x1F", "x"), Ok(31));
    assert_eq!(parse_int("0x", "x"), Ok(0));
    assert_eq!(parse_int("", "x"), Ok(0));
    assert_eq!(parse_int("0x100000001", "x"), Ok(1));
    assert!(parse_int("1x", "x").is_err());
    assert!(parse_int("-0x1", "x").is_err());
    assert!(parse_int("9223372036854775808", "x").is_err());
    assert_eq!(parse_int("-9223372036854775808", "x"), Ok(0));
}

#[test]
fn flags_are_set_and_cleared() {
    let s = spec(&[
        "test_prog_flags=BPF_F_STRICT_ALIGNMENT",
        "test_prog_flags=BPF_F_TEST_STATE_FREQ",
        "test_prog_flags=!BPF_F_TEST_RND_HI32",
        "test_prog_flags=0x100",
    ]);
    let want = sys::BPF_F_STRICT_ALIGNMENT | sys::BPF_F_TEST_STATE_FREQ | 0x100;
    assert_eq!(s.prog_flags, want as i32);
    assert!(spec_err(&["test_prog_flags=BPF_F_NONSENSE"]).contains("test prog flags"));
}

#[test]
fn log_level() {
    assert_eq!(spec(&["test_log_level=2"]).log_level, 2);
    assert!(spec_err(&["test_log_level=two"]).contains("log level"));
}

#[test]
fn arch_and_jited() {
    let s = spec(&["test_arch=s390x", "test_jited=  foo"]);
    assert_eq!(s.arch_mask, ARCH_S390X);
    assert!(
        s.privileged.jited.is_empty(),
        "not collected for another arch"
    );
    let s = spec(&[
        "test_arch=X86_64",
        "test_jited=  endbr64",
        "test_jited=...",
        "test_jited=  ret",
    ]);
    assert_eq!(s.arch_mask, ARCH_X86_64);
    let j = &s.privileged.jited;
    assert_eq!(
        (j.len(), j[0].on_next_line, j[1].on_next_line),
        (2, true, false)
    );
    assert_eq!(s.unprivileged.jited.len(), 2);
    let s = spec(&["test_arch=X86_64", "test_arch=ARM64"]);
    assert_eq!(s.arch_mask, ARCH_X86_64 | ARCH_ARM64);
    assert_eq!(spec_err(&["test_jited=x"]), "__jited used before __arch_*");
    assert!(spec_err(&["test_arch=sparc"]).contains("bad arch"));
}

#[test]
fn xlated_lines_follow_each_other_unless_dotted() {
    let s = spec(&[
        "test_expect_xlated=0: r0 = 0",
        "test_expect_xlated=1: exit",
        "test_expect_xlated=...",
        "test_expect_xlated=5: exit",
    ]);
    let x = &s.privileged.xlated;
    assert_eq!(s.mode_mask, PRIV);
    assert_eq!(
        x.iter().map(|p| p.on_next_line).collect::<Vec<_>>(),
        [true, true, false]
    );
}

#[test]
fn load_mode_caps_and_linear_size() {
    assert_eq!(spec(&["load_mode=jited"]).load_mask, JITED);
    assert_eq!(spec(&["load_mode=no_jited"]).load_mask, NO_JITED);
    assert!(spec_err(&["load_mode=maybe"]).contains("bad load spec"));
    let s = spec(&["test_caps_unpriv=12 | 39"]);
    assert_eq!(s.unprivileged.caps, 1 << 12 | 1 << 39);
    assert_eq!(s.mode_mask, UNPRIV);
    assert!(spec_err(&["test_caps_unpriv=CAP_BPF"]).contains("define CAP_BPF"));
    assert!(spec_err(&["test_caps_unpriv=0"]).contains("caps"));
    assert_eq!(spec(&["test_linear_size=20"]).linear_size, 20);
    let e = parse_spec(
        "p",
        sys::BPF_PROG_TYPE_XDP,
        &tags(&["test_linear_size=20"]),
        0,
        ARCH_X86_64,
    );
    assert_eq!(e.unwrap_err(), "__linear_size for unsupported program type");
}

#[test]
fn streams_do_not_choose_a_mode() {
    let s = spec(&["test_expect_stderr=a", "test_expect_stdout=b"]);
    assert_eq!(s.mode_mask, PRIV);
    assert_eq!(
        (s.privileged.stderr.len(), s.privileged.stdout.len()),
        (1, 1)
    );
}

#[test]
fn auxiliary_and_unknown_tags() {
    let s = spec(&["test_auxiliary"]);
    assert!(s.auxiliary);
    assert_eq!(s.mode_mask, PRIV);
    assert_eq!(spec(&["test_auxiliary_unpriv"]).mode_mask, UNPRIV);
    let s = spec(&["test_something_new=1"]);
    assert_eq!(s.mode_mask, PRIV);
}

#[test]
fn btf_paths_are_kept() {
    let s = spec(&[
        "test_btf_path=btf__core_reloc_x.bpf.o",
        "test_btf_func_path=f.o",
    ]);
    assert_eq!(
        s.btf_custom_path.as_deref(),
        Some("btf__core_reloc_x.bpf.o")
    );
    assert_eq!(s.btf_custom_func_path.as_deref(), Some("f.o"));
}

// ---------------------------------------------------------------------
// Patterns

#[test]
fn regex_parts_are_translated() {
    assert_eq!(pattern_to_regex("foo{{[0-9]+}}").unwrap(), "foo[0-9]+");
    assert_eq!(
        pattern_to_regex("r1 = *(u32 *)(r10 -8){{ +}}; zext").unwrap(),
        r"r1 = \*\(u32 \*\)\(r10 -8\) +; zext"
    );
    assert_eq!(pattern_to_regex("a.b|c^{{x}}$").unwrap(), r"a\.b\|c\^x\$");
    assert_eq!(pattern_to_regex("{{a{2}}}}").unwrap(), r"a{2\}\}");
    assert!(pattern_to_regex("a{{b").unwrap_err().contains("no closing"));
    // Upstream stops at 254 bytes written, an escape may make it 255.
    let long = "{{x}}".to_string() + &"(".repeat(127);
    assert_eq!(pattern_to_regex(&long).unwrap().len(), 255);
    let too_long = "{{x}}".to_string() + &"(".repeat(128);
    assert!(pattern_to_regex(&too_long)
        .unwrap_err()
        .contains("too long"));
    assert!(Pattern::new("{{(}}", false, false)
        .unwrap_err()
        .contains("compilation error"));
    assert!(msg("a{{b}}").regex.is_some());
    assert!(msg("a{b}").regex.is_none());
}

#[test]
fn messages_match_in_order_each_after_the_previous() {
    let log = "0: R1=ctx\n1: r0 = 0\n2: exit\nprocessed 3 insns\n";
    assert_eq!(
        failing_index(log, &[msg("R1=ctx"), msg("exit"), msg("processed")]),
        None
    );
    assert_eq!(failing_index(log, &[msg("exit"), msg("R1=ctx")]), Some(1));
    // The same text twice needs two occurrences.
    assert_eq!(failing_index(log, &[msg("r0"), msg("r0")]), Some(1));
    assert_eq!(failing_index("r0 r0", &[msg("r0"), msg("r0")]), None);
    // A match may start right where the previous one ended.
    assert_eq!(failing_index("abab", &[msg("ab"), msg("ab")]), None);
    // A missing message does not move the search.
    assert_eq!(failing_index(log, &[msg("nope"), msg("R1")]), Some(0));
    // An empty log meets no message, and every empty list.
    assert_eq!(failing_index("", &[msg("x")]), Some(0));
    assert_eq!(failing_index("", &[]), None);
}

#[test]
fn regex_messages() {
    let log = "w1 = w0        ; zext\nr1 = r0 ; R1=scalar()\n";
    assert_eq!(failing_index(log, &[msg("w1 = w0{{ +}}; zext")]), None);
    assert_eq!(
        failing_index(log, &[msg("r1 = r0{{.*}}; zext")]),
        Some(0),
        ". stops at newlines"
    );
    assert_eq!(failing_index(log, &[msg("R1={{[a-z]+}}()")]), None);
    assert_eq!(
        failing_index(log, &[msg("{{^}}r1 = r0")]),
        None,
        "^ matches after a newline"
    );
    // ^ also matches where the search starts (upstream passes no
    // REG_NOTBOL).
    assert_eq!(failing_index("xab", &[msg("x"), msg("{{^}}ab")]), None);
    // POSIX: leftmost-longest, so the next search starts after "aaa".
    assert_eq!(
        failing_index("aaa", &[msg("{{a|aa|aaa}}"), msg("a")]),
        Some(1)
    );
}

#[test]
fn not_msg_is_checked_between_its_neighbours() {
    let log = "A bad B good C";
    // Whole log when alone.
    assert_eq!(failing_index(log, &[not_msg("bad")]), Some(0));
    assert_eq!(failing_index(log, &[not_msg("worse")]), None);
    // Between A and B: "bad" is there.
    assert_eq!(
        failing_index(log, &[msg("A"), not_msg("bad"), msg("B")]),
        Some(1)
    );
    // Between B and C: it is not.
    assert_eq!(
        failing_index(log, &[msg("B"), not_msg("bad"), msg("C")]),
        None
    );
    // Before the first message, after the last one.
    assert_eq!(failing_index(log, &[not_msg("bad"), msg("B")]), Some(0));
    assert_eq!(failing_index(log, &[not_msg("good"), msg("B")]), None);
    assert_eq!(failing_index(log, &[msg("B"), not_msg("good")]), Some(1));
    assert_eq!(failing_index(log, &[msg("B"), not_msg("bad")]), None);
    // A match crossing the end of the span does not count.
    assert_eq!(failing_index(log, &[not_msg("bad B"), msg("B")]), None);
    // A missing positive message fails at its own index.
    assert_eq!(
        failing_index(log, &[msg("A"), not_msg("zzz"), msg("D")]),
        Some(2)
    );
    // Regex not_msg.
    assert_eq!(failing_index(log, &[not_msg("{{b.d}}")]), Some(0));
}

#[test]
fn consecutive_not_msgs_search_for_the_first_only() {
    let log = "A bad B";
    // Upstream quirk: the second of two consecutive __not_msg is not
    // searched for...
    assert_eq!(failing_index(log, &[not_msg("fine"), not_msg("bad")]), None);
    // ... and the first's match is recorded for both.
    assert_eq!(
        failing_index(log, &[not_msg("bad"), not_msg("fine")]),
        Some(0)
    );
    // A positive message in between makes two strides.
    assert_eq!(
        failing_index(log, &[not_msg("fine"), msg("A"), not_msg("bad")]),
        Some(2)
    );
}

#[test]
fn line_patterns_must_be_on_consecutive_lines() {
    let text = "0: r0 = 0\n1: r1 = 1\n2: exit\n";
    assert_eq!(
        failing_index(
            text,
            &[line("0: r0 = 0"), line("1: r1 = 1"), line("2: exit")]
        ),
        None
    );
    let m = validate(text.as_bytes(), &[line("0: r0 = 0"), line("2: exit")]).unwrap_err();
    assert_eq!(m.index, 1);
    assert!(m.report[1].starts_with("WRONG LINE"), "{m:?}");
    assert!(m.report[2].contains("expecting match at line 1, actual match is at line 2"));
    // After "...", any later line.
    let dotted = [line("0: r0 = 0"), msg("2: exit")];
    assert_eq!(failing_index(text, &dotted), None);
    // The first pattern may match anywhere.
    assert_eq!(
        failing_index(text, &[line("1: r1 = 1"), line("2: exit")]),
        None
    );
}

#[test]
fn mismatch_reports_name_the_patterns() {
    let m = validate(b"abc", &[msg("a"), msg("{{z}}")]).unwrap_err();
    assert_eq!(
        m.report,
        ["MATCHED    SUBSTR: 'a'", "EXPECTED    REGEX: '{{z}}'"]
    );
    let m = validate(b"abc", &[not_msg("b")]).unwrap_err();
    assert_eq!(m.report, ["UNEXPECTED SUBSTR: 'b'"]);
}

#[test]
fn the_log_ends_at_its_nul() {
    assert_eq!(failing_index("abc\0def", &[msg("def")]), Some(0));
}

#[test]
fn cmdline_words_that_prefix_the_pattern_count() {
    assert!(cmdline_has_prefix_of(
        "console=ttyS0 mitigations=off\n",
        "mitigations=off"
    ));
    // Upstream's strncmp(word, pat, strlen(word)): a shorter word counts.
    assert!(cmdline_has_prefix_of("quiet mitig", "mitigations=off"));
    assert!(!cmdline_has_prefix_of(
        "mitigations=auto",
        "mitigations=off"
    ));
}

// ---------------------------------------------------------------------
// A real object

/// Compiles upstream's progs/<name>.c as scripts/conformance-build.sh
/// does, from the kfunc-rs cache (kernel source, the test kernel's
/// vmlinux.h, the tree's libbpf headers); `None`, saying why, when any of
/// them or clang is missing.
fn compile_upstream(name: &str) -> Option<PathBuf> {
    let cache = std::env::var_os("KFUNC_RS_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kfunc-rs")))?;
    let first = |dir: &str, rest: &str| -> Option<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(cache.join(dir))
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join(rest)))
            .filter(|p| p.exists())
            .collect();
        found.sort();
        found.pop()
    };
    let (Some(src), Some(vmlinux_h), Some(libbpf)) = (
        first("src", "tools/testing/selftests/bpf"),
        first("out", "include/vmlinux.h"),
        first("bpf-tools", "include/bpf/bpf_helpers.h"),
    ) else {
        eprintln!(
            "skipping: no kernel source, vmlinux.h or libbpf headers in {} (make check builds them)",
            cache.display()
        );
        return None;
    };
    let tools = src.join("../../..");
    let out = std::env::temp_dir().join(format!(
        "kfunc-rs-test-loader-{}-{name}.bpf.o",
        std::process::id()
    ));
    let status = std::process::Command::new(std::env::var("CLANG").unwrap_or("clang-19".into()))
        .args([
            "-g",
            "-O2",
            "-target",
            "bpf",
            "-D__TARGET_ARCH_x86",
            "-mcpu=v3",
        ])
        .args([
            "-Wno-missing-declarations",
            "-Wno-compare-distinct-pointer-types",
        ])
        .arg(format!("-I{}", vmlinux_h.parent()?.display()))
        .arg(format!("-I{}", libbpf.parent()?.parent()?.display()))
        .arg(format!("-I{}", src.display()))
        .arg(format!("-I{}", src.join("progs").display()))
        .arg(format!("-I{}", src.join("libarena/include").display()))
        .arg(format!("-I{}", tools.join("include/uapi").display()))
        .arg(format!("-I{}", tools.join("include").display()))
        .arg("-c")
        .arg(src.join(format!("progs/{name}.c")))
        .arg("-o")
        .arg(&out)
        .status();
    match status {
        Ok(s) if s.success() => Some(out),
        other => {
            eprintln!("skipping: compiling progs/{name}.c failed: {other:?}");
            None
        }
    }
}

#[test]
fn specs_of_real_upstream_objects() {
    let env = Env::new(true, Some("off".into()), RND_HI32 | REG_INVARIANTS);
    let Some(path) = compile_upstream("nested_acquire") else {
        return;
    };
    let specs = read_object("nested_acquire", &path, Driver::RunTests, &env).unwrap();
    let _ = std::fs::remove_file(&path);
    let names: Vec<&str> = specs.programs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["test_nested_acquire_nonzero", "test_nested_acquire_zero"]
    );
    for p in &specs.programs {
        let s = p.spec.as_ref().unwrap();
        assert_eq!(s.mode_mask, PRIV);
        assert!(!s.privileged.expect_failure && !s.privileged.execute);
        assert_eq!(s.prog_flags, RND_HI32 | REG_INVARIANTS);
    }
    let env = Rc::new(env);
    let tests = subtests(&Rc::new(specs), &env);
    assert_eq!(tests.len(), 2);
    assert_eq!(tests[1].name(), "test_nested_acquire_zero");
    assert_eq!(tests[1].skip_reason(), None);
    assert_eq!(tests[1].expectation(), "__success");

    let Some(path) = compile_upstream("verifier_default_trusted_ptr") else {
        return;
    };
    let specs = read_object(
        "verifier_default_trusted_ptr",
        &path,
        Driver::RunTests,
        &env,
    )
    .unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(specs.programs.len(), 1);
    let s = specs.programs[0].spec.as_ref().unwrap();
    assert_eq!(specs.programs[0].name, "test_default_trusted_ptr");
    assert_eq!((s.privileged.execute, s.privileged.retval), (true, 0));
    assert_eq!(
        subtests(&Rc::new(specs), &env)[0].expectation(),
        "__success __retval(0)"
    );
}
