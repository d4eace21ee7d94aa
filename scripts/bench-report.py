#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench: turns the raw figures scripts/bench.sh collected into a
table (printed), BENCHMARKS.md and Documentation/bench-call-cost.svg
(gnuplot).

    bench-report.py <work dir> <kfunc-rs root> <build.env>
"""

import datetime
import os
import re
import statistics
import subprocess
import sys


def read_env(path):
    env = {}
    for line in open(path):
        m = re.match(r"^([A-Z_]+)='(.*)'$", line.strip())
        if m:
            env[m.group(1)] = m.group(2)
    return env


def spread(values):
    """median, min, max"""
    return statistics.median(values), min(values), max(values)


def round_ratios(xs, ys):
    """The ratios of two modules' times, round by round."""
    return [x / y for x, y in zip(xs, ys)]


def cold_ratios(x, y):
    """Cold build ratios of two modules: per round of cold builds (the
    first builds were not back to back), or of the one build each."""
    return round_ratios(x[4][1:], y[4][1:]) or [x[0] / y[0]]


def cmd(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def jit_listings(guest, work):
    """Disassembles the `jited <variant> <addr> <hex>` lines of the guest
    with LLVM's tools; returns variant -> instruction lines, with call
    targets named from the `ksym <name> <addr>` lines."""
    ksyms = {}
    for line in guest:
        m = re.match(r"^ksym (\w+) ([0-9a-f]+)$", line.strip())
        if m:
            ksyms[int(m.group(2), 16)] = m.group(1)
    suffix = os.environ.get("LLVM_SUFFIX", "-19")
    bfd = {"x86_64": "elf64-x86-64", "arm64": "elf64-littleaarch64"}[os.environ.get("KERNEL_ARCH", "x86_64")]
    listings = {}
    for line in guest:
        m = re.match(r"^jited (\w+) ([0-9a-f]+) ([0-9a-f]+)$", line.strip())
        if not m:
            continue
        name, addr = m.group(1), int(m.group(2), 16)
        raw = os.path.join(work, f"jit-{name}.bin")
        elf = os.path.join(work, f"jit-{name}.o")
        with open(raw, "wb") as f:
            f.write(bytes.fromhex(m.group(3)))
        subprocess.run([f"llvm-objcopy{suffix}", "-I", "binary", "-O", bfd,
                        "--rename-section=.data=.text,alloc,load,readonly,code", raw, elf], check=True)
        text = subprocess.run([f"llvm-objdump{suffix}", "-d", "--no-show-raw-insn",
                               f"--adjust-vma={addr:#x}", elf],
                              capture_output=True, text=True, check=True).stdout
        insns = []
        for l in text.splitlines():
            mm = re.match(r"^\s*([0-9a-f]+):\s+(.*)$", l)
            if not mm:
                continue
            insn = re.sub(r"\s+<[^>]*>", "", mm.group(2)).strip()
            t = re.search(r"(call\w*|bl)\s+0x([0-9a-f]+)", insn)
            if t and int(t.group(2), 16) in ksyms:
                insn = f"{t.group(1)}\t{ksyms[int(t.group(2), 16)]}"
            # Branch targets inside the program, as offsets from its start.
            size = len(m.group(3)) // 2

            def rel(a):
                v = int(a.group(1), 16)
                return f"+{v - addr:#x}" if addr <= v < addr + size else a.group(0)
            insn = re.sub(r"0x([0-9a-f]{9,16})\b", rel, insn)
            insns.append(f"  {int(mm.group(1), 16) - addr:4x}: {insn}")
        listings[name] = insns
    return listings


def normalized(listing):
    """A JIT listing with the measured callee's name made neutral."""
    return [re.sub(r"\b(bench_add_\w+|bpf_get_numa_node_id)\b", "CALLEE", l) for l in listing]


def main():
    work, root, env_file = sys.argv[1:4]
    env = read_env(env_file)
    guest = open(os.path.join(work, "guest")).read().splitlines()

    # Call cost: per variant, ns per call of each round.
    calls = {}
    for line in guest:
        m = re.match(r"^bench (\w+) (\d+) ([\d.]+)$", line.strip())
        if m:
            calls.setdefault(m.group(1), []).append((int(m.group(2)), float(m.group(3))))
    if not calls:
        sys.exit("bench-report: the guest printed no bench lines")
    per_round = {v: dict(s) for v, s in calls.items()}
    rounds = sorted(set.intersection(*(set(d) for d in per_round.values())))

    def ratios(a, b):
        return [per_round[a][r] / per_round[b][r] for r in rounds]

    modules = {}
    for line in guest:
        m = re.match(r"^module (\w+) ([\d.]+) (\d+)$", line.strip())
        if m:
            modules[m.group(1)] = (float(m.group(2)), int(m.group(3)))

    builds = {}
    for line in open(os.path.join(work, "builds")):
        # The cold builds (the first, then one per round of cold builds)
        # and the rebuilds (one per round), comma-separated.
        name, colds, rebuilds, size, path = line.split()
        colds = [float(t) for t in colds.split(",")]
        times = [] if rebuilds == "-" else [float(t) for t in rebuilds.split(",")]
        builds[name] = (statistics.median(colds), times, int(size), path, colds)
    btf = {}
    for suffix in ("", "_incremental", "_shared", "_uncached"):
        for line in open(os.path.join(work, "btf-times" + suffix)):
            elf, pahole, ours = line.split()
            # The first build's (the cold one; a rebuild repeats the step).
            btf.setdefault(os.path.basename(elf).removesuffix(".ko") + suffix, (float(pahole), float(ours)))
    incremental_cache = int(open(os.path.join(work, "incremental-cache")).read())

    # Instructions of each function in the disassembly, up to its first
    # return or tail jump (what follows is int3/nop padding).
    insns, listing, current = {}, {}, None
    for line in open(os.path.join(work, "disasm")):
        m = re.match(r"^[0-9a-f]+ <(\w+)>:$", line.strip())
        if m:
            current = m.group(1)
            insns[current] = 0
            listing[current] = []
        elif current and re.match(r"^\s+[0-9a-f]+:\s", line):
            insns[current] += 1
            listing[current].append(line.rstrip())
            if re.search(r"\s(retq|ret|jmp)\b", line):
                current = None
        elif not line.strip():
            current = None

    jit = jit_listings(guest, work)

    alloc = {}
    for line in open(os.path.join(work, "alloc")):
        parts = line.split()
        alloc[parts[0]] = sum(int(p.split(":")[1], 16) for p in parts[1:])
    kfuncs = {}
    for line in open(os.path.join(work, "kfuncs")):
        name, n = line.split()
        kfuncs[name] = int(n)
    ko_size = {}
    for line in open(os.path.join(work, "sizes")):
        parts = line.split()
        ko_size[parts[0]] = int(parts[1])

    out = []
    w = out.append
    w("# kfunc-rs benchmarks")
    w("")
    w("Written by `make bench` (scripts/bench.sh, scripts/bench-report.py); every figure")
    w("below comes from one run. Do not edit.")
    w("")
    # When the run began (bench.sh writes it), not when this report ran.
    try:
        began = open(os.path.join(work, "date")).read().strip()
    except FileNotFoundError:
        began = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M}"
    w(f"- date: {began} UTC")
    w(f"- kernel: {os.path.basename(env.get('KBUILD', '?'))} (QEMU TCG guest, {os.cpu_count()} host cores)")
    w(f"- rustc: {cmd(os.environ.get('KRUSTC', '/usr/bin/rustc'), '--version')}")
    w(f"- clang: {cmd('clang' + os.environ.get('LLVM_SUFFIX', '-19'), '--version').splitlines()[0]}")
    w(f"- host: {cmd('uname', '-srm')}, {os.cpu_count()} cores")
    w("")
    w("## 1. Call cost")
    w("")
    w(f"A syscall program calls the function 2^22 times in an open-coded loop; one")
    w(f"BPF_PROG_TEST_RUN is timed from the guest. {len(rounds)} rounds, the variants")
    w("interleaved (the order rotates every round), in one boot. Under TCG the")
    w("times are a proxy: the machine code below is the other half of the answer.")
    w("")
    w("| variant | ns/call median | min | max |")
    w("|---|---|---|---|")
    for v in ["rust", "c", "shim", "helper", "empty"]:
        if v in per_round:
            med, lo, hi = spread([per_round[v][r] for r in rounds])
            w(f"| {v} | {med:.2f} | {lo:.2f} | {hi:.2f} |")
    w("")
    w("Ratios per round (median, min, max):")
    w("")
    w("| ratio | median | min | max |")
    w("|---|---|---|---|")
    pairs = [("rust", "c"), ("rust", "shim")]
    for a, b in pairs:
        med, lo, hi = spread(ratios(a, b))
        w(f"| {a}/{b} | {med:.3f} | {lo:.3f} | {hi:.3f} |")
    # Net of the empty loop's cost, which all share.
    net = [(per_round["rust"][r] - per_round["empty"][r]) / (per_round["c"][r] - per_round["empty"][r])
           for r in rounds if per_round["c"][r] > per_round["empty"][r]]
    if net:
        med, lo, hi = spread(net)
        w(f"| rust/c, net of the empty loop | {med:.3f} | {lo:.3f} | {hi:.3f} |")
    w("")
    w("![call cost](Documentation/bench-call-cost.svg)")
    w("")
    w("Machine code (llvm-objdump of the built modules; instructions):")
    w("")
    w("| function | instructions |")
    w("|---|---|")
    for f in ["bench_add_rs", "bench_add_c", "bench_add_shim", "bench_add_shim_impl"]:
        w(f"| {f} | {insns.get(f, '?')} |")
    w("")
    w("```")
    for f in ["bench_add_rs", "bench_add_c", "bench_add_shim", "bench_add_shim_impl"]:
        w(f"{f}:")
        out.extend(listing.get(f, []))
    w("```")
    w("")
    rs_fn, c_fn = listing.get("bench_add_rs", []), listing.get("bench_add_c", [])
    x86 = os.environ.get("KERNEL_ARCH", "x86_64") == "x86_64"
    fentry = x86 and any(re.search(r"\bnop[lw]?\s+(0x0)?\(%rax,%rax", l) for l in c_fn[:3])
    w(f"The Rust kfunc is {insns.get('bench_add_rs', '?')} instructions, the C one "
      f"{insns.get('bench_add_c', '?')}" + (": both are `endbr64` (IBT) and the addition." if x86 else "."))
    if fentry and not any("nop" in l for l in rs_fn):
        w("The C kfunc's extra instruction is the 5-byte `nop` that `-mfentry`/`-mrecord-mcount`")
        w("put at every C function's entry, which ftrace patches into a call when a")
        w("tracer or a BPF trampoline (fentry/fexit) attaches. The kernel builds Rust without")
        w("that instrumentation, so a Rust kfunc is one `nop` shorter and cannot be traced")
        w("by function: a difference of the kernel's Rust support, not of kfunc-rs")
        w("(Documentation/rust/kfuncs.rst, Limitations). No panic path, stack probe, bounds")
        w("check or frame setup is generated for the Rust kfunc.")
    if fentry:
        w("The C shim is the C wrapper (`endbr64`, the ftrace `nop`, a tail `jmp`) and")
        w("then the Rust function (`endbr64` and the addition): one jump and one")
        w("`endbr64` more than either direct kfunc.")
    w("")
    w("### The JITed loops")
    w("")
    w("Each loop program's machine code as the kernel's JIT made it (read back")
    w("from the guest with `bpf_prog_get_info_by_fd`, disassembled here), call")
    w("targets named from the guest's /proc/kallsyms:")
    w("")
    base = jit.get("c")
    for v in ["rust", "shim", "helper", "empty"]:
        if v in jit and base:
            same = normalized(jit[v]) == normalized(base)
            w(f"- `loop_{v}` against `loop_c`: "
              + ("identical but for the callee" if same else
                 f"{len(jit[v])} instructions against {len(base)}, see below"))
    w("")
    w("```")
    for v in ["rust", "c"]:
        if v in jit:
            w(f"loop_{v}:")
            out.extend(jit[v])
    w("```")
    w("")
    w("## 2. Build cost")
    w("")
    w("`samples` is this tree's Kbuild (the sample, the features module and")
    w("bpf_testmod_rs) built from scratch; `scale_<lang>_<n>` are generated")
    w("modules of n kfuncs (scripts/bench-gen.sh). A cold build starts from an")
    w("empty output folder; for Rust, the kfunc crate's bindings and metadata")
    w("come from the cache the test bed's own build filled (rust/kfunc.mk,")
    w("scripts/kfunc-rs-cache: once per kernel, toolchain and kfunc-rs), but for")
    w("`scale_rs_1000_uncached`, built without it (`KFUNC_RS_CRATE_CACHE=`), as")
    w("the first module built against a kernel is. A rebuild follows an edit of one kfunc's body, in rounds")
    w("that interleave the modules (median, min-max). The BTF step is pahole")
    w("plus kfunc-btf, timed inside the cold build. `scale_plain_1000` is the")
    w("same 1000 functions in Rust without kfunc-rs (`extern \"C\"`, no kfunc")
    w("set, declarations or records): what the compiler costs before kfunc-rs")
    w("adds anything. `scale_rs_1000_incremental` is `scale_rs_1000` built with")
    w("`KFUNC_RS_INCREMENTAL=1` (rust/kfunc.mk: rustc's incremental compilation,")
    w("for the edit-build loop; off by default). In `scale_rs_1000_shared` each")
    w("set also names the first kfunc of the next set (`fn name;`), which takes")
    w("`kfunc_set!`'s arm for sets mixing both kinds of entries.")
    w("")
    w("The 1000-kfunc modules in Rust (with and without the crate's cache) and C")
    w("were built from scratch again in rounds that interleave them: their cold")
    w("build is the median of all (min-max in the table).")
    w("")
    w("| module | cold build s | rebuild s (median, min-max) | pahole s | kfunc-btf s | BTF step share of the cold build |")
    w("|---|---|---|---|---|---|")
    for name in ["samples", "scale_rs_10", "scale_rs_100", "scale_rs_1000", "scale_rs_1000_incremental",
                 "scale_rs_1000_shared", "scale_rs_1000_uncached", "scale_c_1000", "scale_plain_1000"]:
        if name not in builds:
            continue
        total, rebuilds, colds = builds[name][0], builds[name][1], builds[name][4]
        cold_s = f"{total:.1f}" if len(colds) == 1 else f"{total:.1f} ({min(colds):.1f}-{max(colds):.1f})"
        if name == "samples":
            mods = ("rust_kfunc_sample", "rust_kfunc_features", "bpf_testmod_rs")
        else:
            mods = (name,)
        steps = [btf[m] for m in mods if m in btf]
        if rebuilds:
            med, lo, hi = spread(rebuilds)
            re_s = f"{med:.1f} ({lo:.1f}-{hi:.1f})"
        else:
            re_s = "-"
        if steps:
            pahole, ours = sum(s[0] for s in steps), sum(s[1] for s in steps)
            w(f"| {name} | {cold_s} | {re_s} | {pahole:.2f} | {ours:.3f} | {(pahole + ours) / total * 100:.0f} % |")
        else:
            w(f"| {name} | {cold_s} | {re_s} | - | - | - |")
    rs, c, plain = builds.get("scale_rs_1000"), builds.get("scale_c_1000"), builds.get("scale_plain_1000")
    if rs and c:
        # Per round: the modules of a round were rebuilt back to back.
        rebuild_ratios = round_ratios(rs[1], c[1])
        med, lo, hi = spread(rebuild_ratios)
        w("")
        cmed, clo, chi = spread(cold_ratios(rs, c))
        w(f"1000 kfuncs, Rust/C: cold build {cmed:.2f}x (per round: {clo:.2f}-{chi:.2f}x), "
          f"rebuild {med:.2f}x (per round: {lo:.2f}-{hi:.2f}x).")
        uncached = builds.get("scale_rs_1000_uncached")
        if uncached:
            umed, ulo, uhi = spread(cold_ratios(uncached, c))
            w(f"Cold build without the kfunc crate's cache (the first module built against a kernel), "
              f"Rust/C: {umed:.2f}x (per round: {ulo:.2f}-{uhi:.2f}x).")
        inc = builds.get("scale_rs_1000_incremental")
        if inc:
            med, lo, hi = spread(round_ratios(inc[1], c[1]))
            w(f"Built incrementally (`KFUNC_RS_INCREMENTAL=1`), Rust/C rebuild: {med:.2f}x "
              f"(per round: {lo:.2f}-{hi:.2f}x); its cache: {incremental_cache / 1e6:.0f} MB.")
        shared = builds.get("scale_rs_1000_shared")
        if shared:
            med, lo, hi = spread(round_ratios(shared[1], rs[1]))
            w(f"Sets naming kfuncs of other sets too, against definitions only: rebuild {med:.2f}x "
              f"(per round: {lo:.2f}-{hi:.2f}x).")
        if plain:
            w(f"Plain Rust (no kfunc-rs)/C rebuild: "
              f"{statistics.median(round_ratios(plain[1], c[1])):.2f}x; kfunc-rs's own part of the "
              f"Rust rebuild: {statistics.median(a - b for a, b in zip(rs[1], plain[1])):.1f} s.")
    w("")
    w("## 3. Scale and footprint")
    w("")
    w("`/proc/modules` gives the loaded size in pages; the allocated sections")
    w("(SHF_ALLOC, `.init*` excluded: what stays in memory) are exact.")
    w("")
    w("| module | kfuncs | insmod ms | loaded bytes (/proc/modules) | allocated section bytes | per kfunc | .ko bytes |")
    w("|---|---|---|---|---|---|---|")
    for name in ["rust_kfunc_sample", "kfunc_sample_c", "scale_rs_1000", "scale_c_1000"]:
        if name in modules and name in kfuncs:
            ms, size = modules[name]
            n = kfuncs[name]
            a = alloc.get(name)
            per = f"{a / n:.1f}" if a else "?"
            w(f"| {name} | {n} | {ms:.1f} | {size} | {a} | {per} | {ko_size.get(name, '?')} |")
    w("")
    w("## 4. Loop time")
    w("")
    w("Caches warm, `rs_task_tgid`'s body in the sample edited (a statement that")
    w("changes its code, not its result), then `make quick ONLY=sample` (the")
    w("README's edit-test loop: rebuild what changed, boot, run the sample's")
    w("guest tests) timed until it returned with the results printed.")
    w("")
    w("| round | seconds | guest results ok | failed |")
    w("|---|---|---|---|")
    loops = [line.split() for line in open(os.path.join(work, "loop"))]
    for i, (secs, ok, failed) in enumerate(loops, 1):
        w(f"| {i} | {float(secs):.1f} | {ok} | {failed} |")
    med, lo, hi = spread([float(x[0]) for x in loops])
    w("")
    w(f"Edit to results: {med:.1f} s (median of {len(loops)}, {lo:.1f}-{hi:.1f} s); goal < 30 s.")
    w("")
    open(os.path.join(root, "BENCHMARKS.md"), "w").write("\n".join(out) + "\n")
    print("\n".join(out))

    # The chart: each variant's per-round ns/call.
    data = os.path.join(work, "calls.dat")
    variants = [v for v in ["rust", "c", "shim", "helper", "empty"] if v in per_round]
    with open(data, "w") as f:
        for i, v in enumerate(variants):
            for r in rounds:
                f.write(f"{i} {per_round[v][r]}\n")
    svg = os.path.join(root, "Documentation", "bench-call-cost.svg")
    tics = ", ".join(f'"{v}" {i}' for i, v in enumerate(variants))
    # One box per variant: its rounds' median, quartiles and range.
    boxes = ", ".join(f"'{data}' using ({i}):($1 == {i} ? $2 : NaN) with boxplot lc rgb '#4060a0'"
                      for i in range(len(variants)))
    script = f"""
set terminal svg size 640,400 dynamic
set output '{svg}'
set title 'kfunc call cost, {len(rounds)} rounds interleaved in one boot (QEMU TCG)'
set ylabel 'ns per call'
set xtics ({tics})
set xrange [-0.5:{len(variants) - 0.5}]
set style fill solid 0.25
set style boxplot nooutliers
set boxwidth 0.5
set grid ytics
unset key
plot {boxes}, \\
     '{data}' using ($1 + 0.3):2 with points pt 7 ps 0.4 lc rgb '#a04040'
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


if __name__ == "__main__":
    main()
