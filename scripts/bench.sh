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
#     and the sample against its C twin.
. "$(dirname "$0")/common.sh"

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
	echo "$name $(cat "$src/cold") $rebuilds $(stat -c %s "$ko") $ko" >>"$work/builds"
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

KERNEL_ARCH=$KERNEL_ARCH LLVM_SUFFIX=$LLVM_SUFFIX KRUSTC=$KRUSTC python3 "$KFUNC_RS_ROOT/scripts/bench-report.py" "$work" "$KFUNC_RS_ROOT" "$env_file"
