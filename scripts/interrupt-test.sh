#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The BTF step killed half way: `kfunc-btf add` (on the sample module's
# detached BTF, made by pahole as the module build makes it) and
# `kfunc-btf unload-records` (on the module's object) are killed with
# SIGKILL <runs> times each, at points swept from 10 % to 150 % of the
# slowest of three uninterrupted runs (the file is written at their end),
# and 5 times more over 80-100 % of the fastest, around the write;
# every time the file must be either as it was or as a complete run leaves
# it, never a mix. Both must have been seen: while one is missing, further
# kills come earlier (or later) until it is, at most 8 times each way, so a
# run much faster or slower than the measured ones cannot fail the test.
#
#   interrupt-test.sh <build.env> [<runs>]
. "$(dirname "$0")/common.sh"

# shellcheck disable=SC1090
. "$1"
runs=${2:-25}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now_us() { echo $(($(date +%s%N) / 1000)); }

# kill_once <after-seconds> <command...>: one run of the command killed
# after the given time, on a fresh copy of $orig at $file; counts in old/new
# which file it left, and dies on a mix.
kill_once() {
	local after=$1
	shift
	cp "$orig" "$file"
	# (--foreground: the signal goes to the command alone)
	timeout --foreground --signal=KILL "$after" "$@" >/dev/null 2>&1 || true
	if cmp -s "$file" "$orig"; then
		old=$((old + 1))
	elif cmp -s "$file" "$want"; then
		new=$((new + 1))
	else
		die "$name: killed after $after s (a whole run: up to $took us), the file is neither the old one nor the new one"
	fi
}

# kill_test <name> <original> <expected> <file> <command...>: runs the
# command <runs> times on a fresh copy of <original> at <file>, killing it
# after a growing part of its duration; <file> must then equal <original>
# or <expected>.
kill_test() {
	local name=$1 orig=$2 want=$3 file=$4 start took=0 fast= t old=0 new=0 i extra
	shift 4
	# The duration as the kills see it: through timeout, the slowest of 3.
	for i in 1 2 3; do
		cp "$orig" "$file"
		start=$(now_us)
		timeout --foreground --signal=KILL 600 "$@" >/dev/null 2>&1 || die "$name: the command failed: $*"
		t=$(($(now_us) - start))
		[ "$t" -gt "$took" ] && took=$t
		[ -z "$fast" ] || [ "$t" -lt "$fast" ] && fast=$t
		cmp -s "$file" "$want" || die "$name: an uninterrupted run did not give the expected file"
	done
	# at <fraction> [<us>]: that fraction of the slowest run (or of <us>), in s.
	at() { awk -v t="${2:-$took}" -v f="$1" 'BEGIN { printf "%.6f", t * f / 1e6 }'; }
	for ((i = 0; i < runs; i++)); do
		kill_once "$(at "$(awk -v i="$i" -v n="$runs" 'BEGIN { print 0.1 + 1.4 * i / n }')")" "$@"
	done
	for i in 0.80 0.85 0.90 0.95 1.00; do
		kill_once "$(at "$i" "$fast")" "$@"
	done
	for ((extra = 1; new == 0 && extra <= 8; extra++)); do
		kill_once "$(at $((1 << extra)))" "$@"
	done
	for ((extra = 1; old == 0 && extra <= 8; extra++)); do
		kill_once "$(at "$(awk -v e="$extra" 'BEGIN { print 0.1 / 2 ^ e }')")" "$@"
	done
	[ "$old" -gt 0 ] && [ "$new" -gt 0 ] ||
		die "$name: the kills left $old old and $new new files: they did not span the write"
	log "$name: $((old + new)) kills around its $took us: $old left the old file, $new the new one, 0 a mix"
}

ko=$OUT/modules/samples/rust_kfunc_sample.ko
[ -f "$ko" ] || die "no $ko (build first)"
cp "$ko" "$tmp/module.ko"
# The module's BTF before the kfunc-rs step, as the module build's pahole
# writes it (the C parts only; Rust is excluded).
pahole -J --btf_base "$KBUILD/vmlinux" --btf_encode_detached="$tmp/orig.btf" --lang_exclude=rust \
	"$tmp/module.ko" >/dev/null 2>&1 || die "pahole failed on $ko"
cp "$tmp/orig.btf" "$tmp/want.btf"
"$KFUNC_BTF" add --base "$KBUILD/vmlinux" --btf "$tmp/want.btf" "$tmp/module.ko" ||
	die "kfunc-btf add failed on $ko"
cmp -s "$tmp/orig.btf" "$tmp/want.btf" && die "kfunc-btf add changed nothing"
kill_test "kfunc-btf add" "$tmp/orig.btf" "$tmp/want.btf" "$tmp/work.btf" \
	"$KFUNC_BTF" add --base "$KBUILD/vmlinux" --btf "$tmp/work.btf" "$tmp/module.ko"

# The module's object, its records still loaded (SHF_ALLOC).
cp "${ko%.ko}.o" "$tmp/orig.o"
cp "$tmp/orig.o" "$tmp/want.o"
"$KFUNC_BTF" unload-records "$tmp/want.o" || die "kfunc-btf unload-records failed"
cmp -s "$tmp/orig.o" "$tmp/want.o" && die "kfunc-btf unload-records changed nothing"
kill_test "kfunc-btf unload-records" "$tmp/orig.o" "$tmp/want.o" "$tmp/work.o" \
	"$KFUNC_BTF" unload-records "$tmp/work.o"
