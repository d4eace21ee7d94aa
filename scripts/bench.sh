#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the cost of a Rust kfunc against a C one and the C-shim
# pattern, in one run (never part of make check, which runs a smoke test
# of the same code). Prints a table and rewrites BENCHMARKS.md and
# Documentation/bench-call-cost.svg (scripts/bench-report.py):
#  1. call cost: testing/bench's kfunc in four ways, timed in one boot
#     (testing/guest/src/bench.rs), and the four functions' machine code;
#  2. build cost: the BTF step against the module build, for the sample
#     and for generated modules of 10, 100 and 1000 kfuncs (Rust, and
#     1000 built incrementally or in sets naming kfuncs of other sets),
#     and 1000 (C, and plain Rust without kfunc-rs); rebuilds after an
#     edit, in interleaved rounds;
#  3. scale and footprint: the 1000-kfunc modules' insmod time and sizes,
#     and the sample against its C twin;
#  4. loop time: `make quick ONLY=sample` after an edit of one sample
#     kfunc's body, until its guest results are printed.
. "$(dirname "$0")/common.sh"

# The loop time edits the sample in place (section 4): a copy outside the
# tree puts it back on exit, and at the start if a run was killed.
loop_src=$KFUNC_RS_ROOT/samples/rust_kfunc_sample.rs
loop_saved=$KFUNC_RS_CACHE/out/bench-loop-$(echo "$KFUNC_RS_ROOT" | sha256sum | cut -c1-8).rs
restore_sample() { if [ -f "$loop_saved" ]; then cp "$loop_saved" "$loop_src" && rm -f "$loop_saved"; fi; }
restore_sample
trap restore_sample EXIT

"$KFUNC_RS_ROOT/scripts/deps.sh" gnuplot-nox
env_file=$("$KFUNC_RS_ROOT/scripts/build.sh")
# shellcheck disable=SC1090
. "$env_file"
work=$OUT/bench-run
rm -rf "$work"
mkdir -p "$work"
date -u '+%Y-%m-%d %H:%M' >"$work/date"
bin=$(dirname "$KFUNC_BTF")
objdump=llvm-objdump$LLVM_SUFFIX
now() { date +%s.%N; }

log "build cost: generated modules of 10, 100 and 1000 kfuncs"
# <language>[-<variant>]:<kfuncs>. The variants of rs: inc, built with
# KFUNC_RS_INCREMENTAL=1; shared, whose sets also name kfuncs of other
# sets (bench-gen.sh shared: kfunc_set!'s arm for mixed sets); uncached,
# built without the kfunc crate's cache (KFUNC_RS_CRATE_CACHE=, as the
# first module built against a kernel is), for its cold build only. The
# others take the crate from the cache the build above filled.
specs="rs:10 rs:100 rs:1000 rs-inc:1000 rs-shared:1000 rs-uncached:1000 c:1000 plain:1000"
rebuild_specs=${specs/ rs-uncached:1000/}
# suffix <language>: the report's name suffix for a variant.
suffix() {
	case "$1" in
	rs-inc) echo _incremental ;;
	rs-shared) echo _shared ;;
	rs-uncached) echo _uncached ;;
	esac
}
for lang in rs rs-inc rs-shared rs-uncached; do
	: >"$work/btf-times$(suffix "$lang")"
done
: >"$work/builds"
# mk <src> <log> [make arguments]: builds generated module <src> into
# <src>/out.
mk() {
	local src=$1 log=$2
	shift 2
	# shellcheck disable=SC2046 # make arguments
	kmake "$KBUILD" "$src" "$src/out" "$log" KFUNC_RS="$KFUNC_RS_ROOT" $(btf_step_args "$KFUNC_BTF") "$@"
}
# mk_spec <spec> <log>: builds the module of <spec>.
mk_spec() {
	case "$1" in
	rs-inc:*) mk "$work/gen-${1/:/-}" "$2" KFUNC_RS_INCREMENTAL=1 ;;
	rs-uncached:*) mk "$work/gen-${1/:/-}" "$2" KFUNC_RS_CRATE_CACHE= ;;
	*) mk "$work/gen-${1/:/-}" "$2" ;;
	esac
}
# The crate's cache holds this kernel's entries once any module was built
# against it: a module of one kfunc, untimed, makes sure of it.
"$KFUNC_RS_ROOT/scripts/bench-gen.sh" "$work/gen-warm" rs 1
mk "$work/gen-warm" "$work/gen-warm/build.log" || die "building $work/gen-warm failed"
for spec in $specs; do
	lang=${spec%:*} n=${spec#*:}
	src=$work/gen-$lang-$n
	shared=
	[ "$lang" = rs-shared ] && shared=shared
	"$KFUNC_RS_ROOT/scripts/bench-gen.sh" "$src" "${lang%-*}" "$n" ${shared:+"$shared"}
	t0=$(now)
	KFUNC_RS_BTF_TIMES=$work/btf-times$(suffix "$lang") mk_spec "$spec" "$src/build.log" || die "building $src failed"
	echo "$(echo "$(now) - $t0" | bc)" >"$src/cold"
done
# The cold builds of 1000 kfuncs again, from an empty output folder, in
# rounds that interleave Rust, Rust without the crate's cache and C: one
# build each is too few on a machine whose speed drifts.
cold_rounds=4
for ((r = 1; r <= cold_rounds; r++)); do
	for spec in rs:1000 rs-uncached:1000 c:1000; do
		src=$work/gen-${spec/:/-}
		rm -rf "$src/out"
		t0=$(now)
		mk_spec "$spec" "$src/cold.log" || die "building $src from scratch failed"
		echo "$(echo "$(now) - $t0" | bc)" >>"$src/cold"
	done
done
# Rebuilt after an edit of one kfunc's body, the first kfunc's constant
# (the kfunc crate and its bindings stay built): what a module's author
# waits for. Rounds interleave the modules, so that a slower spell of the
# machine falls on all of them alike.
rebuild_rounds=9
for ((r = 1; r <= rebuild_rounds; r++)); do
	for spec in $rebuild_specs; do
		src=$work/gen-${spec/:/-}
		"$KFUNC_RS_ROOT/scripts/bench-gen.sh" edit "$src" 0 "$r"
		t0=$(now)
		mk_spec "$spec" "$src/rebuild.log" || die "rebuilding $src failed"
		echo "$(echo "$(now) - $t0" | bc)" >>"$src/rebuilds"
	done
done
cache=$work/gen-rs-inc-1000/out/.kfunc-rs-incremental
[ -d "$cache" ] || die "the incremental build left no cache in $cache"
du -sb "$cache" | cut -f1 >"$work/incremental-cache"
for spec in $specs; do
	lang=${spec%:*} n=${spec#*:}
	src=$work/gen-$lang-$n
	ko=$(built_modules "$src/out")
	name=scale_${lang%-*}_$n$(suffix "$lang")
	rebuilds=-
	[ -f "$src/rebuilds" ] && rebuilds=$(paste -sd, "$src/rebuilds")
	echo "$name $(paste -sd, "$src/cold") $rebuilds $(stat -c %s "$ko") $ko" >>"$work/builds"
done
log "build cost: the sample module, rebuilt"
sample=$work/sample
t0=$(now)
# shellcheck disable=SC2046 # make arguments
KFUNC_RS_BTF_TIMES=$work/btf-times kmake "$KBUILD" "$KFUNC_RS_ROOT" "$sample" "$sample.log" \
	$(btf_step_args "$KFUNC_BTF") || die "building the sample failed"
t1=$(now)
echo "samples $(echo "$t1 - $t0" | bc) - 0 -" >>"$work/builds"

log "machine code of the four functions"
{
	"$objdump" -d --no-show-raw-insn --disassemble-symbols=bench_add_rs "$OUT/bench/bench_rs.ko"
	"$objdump" -d --no-show-raw-insn --disassemble-symbols=bench_add_c,bench_add_shim,bench_add_shim_impl \
		"$OUT/bench/bench_c.ko"
} >"$work/disasm" || die "$objdump failed"

log "call cost and scale: booting the test kernel (QEMU, TCG)"
scale=$(awk '/^scale_(rs|c)_1000 / { print $5 }' "$work/builds")
sed -e "s|^MODULES='|MODULES='$(echo $scale) |" "$env_file" >"$work/bench.env"
"$KFUNC_RS_ROOT/scripts/boot.sh" "$work/bench.env" bench --show-output --timeout 900 --cpus 1 >"$work/guest" 2>&1 ||
	{ tail -n 40 "$work/guest" >&2; die "the bench boot failed"; }

for ko in "$OUT/modules/samples/rust_kfunc_sample.ko" "$OUT/c_twin/kfunc_sample_c.ko" $scale \
	"$OUT/bench/bench_rs.ko" "$OUT/bench/bench_c.ko"; do
	echo "$(basename "$ko" .ko) $(stat -c %s "$ko") $(llvm-size"$LLVM_SUFFIX" -A "$ko" | awk 'NR > 2 && $1 != "Total" { print $1 "=" $2 }' | tr '\n' ' ')"
done >"$work/sizes"
# Kfuncs per module (set entries; a kfunc in two sets counts twice).
for ko in "$OUT/modules/samples/rust_kfunc_sample.ko" "$OUT/c_twin/kfunc_sample_c.ko" $scale; do
	echo "$(basename "$ko" .ko) $("$KFUNC_BTF" sets "$ko" | grep -c ' id ')"
done >"$work/kfuncs"
# Sections the module loader keeps (SHF_ALLOC, not freed after init),
# per module: name:size (hex).
for ko in "$OUT/modules/samples/rust_kfunc_sample.ko" "$OUT/c_twin/kfunc_sample_c.ko" $scale; do
	echo "$(basename "$ko" .ko) $(readelf -SW "$ko" | sed -n 's/^ *\[ *[0-9]*\] //p' |
		awk '$7 ~ /A/ && $1 !~ /^\.init/ { print $1 ":" $5 }' | tr '\n' ' ')"
done >"$work/alloc"

log "loop time: an edit of one sample kfunc's body, then make quick ONLY=sample"
# The edit changes rs_task_tgid's code, not what it returns, so that its
# guest tests still pass; each round's is another. The tree's make quick,
# as the README gives it, for the target of this run.
loop_rounds=3
: >"$work/loop"
for ((r = 1; r <= loop_rounds; r++)); do
	[ -f "$loop_saved" ] || cp "$loop_src" "$loop_saved"
	awk -v r="$r" '{ print } /^    pub fn rs_task_tgid\(task: &Task\) -> i32 \{$/ { print "        let _ = core::hint::black_box(" r "u32);"; n++ }
		END { exit n != 1 }' "$loop_saved" >"$loop_src" || die "no rs_task_tgid in $loop_src to edit"
	t0=$(now)
	make -C "$KFUNC_RS_ROOT" --no-print-directory quick ONLY=sample TARGET="$TARGET" >"$work/loop-$r.log" 2>&1 ||
		{ tail -n 40 "$work/loop-$r.log" >&2; die "make quick ONLY=sample failed after the edit"; }
	echo "$(echo "$(now) - $t0" | bc) $(grep -c '^ *ok ' "$work/loop-$r.log") $(grep -c '^ *FAIL ' "$work/loop-$r.log")" >>"$work/loop"
done
restore_sample

KERNEL_ARCH=$KERNEL_ARCH LLVM_SUFFIX=$LLVM_SUFFIX KRUSTC=$KRUSTC python3 "$KFUNC_RS_ROOT/scripts/bench-report.py" "$work" "$KFUNC_RS_ROOT" "$env_file"
