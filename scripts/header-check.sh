#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Checks a module's generated BPF header (<module>.kfuncs.h, written by
# `kfunc-btf header`) against what the kernel tree's bpftool prints for
# the module's BTF with `format c`: the same extern prototype for every
# kfunc, and the same definition of every struct the header defines.
# bpftool dumps vmlinux and module together, and names the module's own
# copies of base types (the distilled base moves `u32` and friends into
# the module's BTF) `u32___2`: those suffixes are dropped before comparing,
# as the header is used after vmlinux.h, which defines them.
#
#   header-check.sh <build.env> <module.ko>
. "$(dirname "$0")/common.sh"

# shellcheck disable=SC1090
. "$1"
ko=$2 header=$OUT/include/$(basename "${2%.ko}").kfuncs.h
[ -f "$header" ] || die "no header $header"
dump=$("$BPFTOOL" btf dump file "$ko" --base-btf "$KBUILD/vmlinux" format c | sed 's/___[0-9][0-9]*\b//g') \
	|| die "bpftool cannot dump $ko"

ours=$(grep '^extern ' "$header" | sort)
[ -n "$ours" ] || die "$header declares no kfunc"
# bpftool prints the prototypes of the FUNCs tagged bpf_kfunc, which
# resolve_btfids tags on newer kernels only (6.13+); on older ones the
# prototypes are checked by compiling against them (bpf-proto-check.sh).
if grep -q '^extern .* __ksym;$' <<<"$dump"; then
	names=$(sed 's/__weak __ksym;$//; s/(.*//; s/.*[ *]//' <<<"$ours")
	theirs=$(grep '^extern ' <<<"$dump" | grep -wF "$names" | sort)
	diff <(echo "$ours") <(echo "$theirs") >&2 || die "the prototypes of $header differ from bpftool's (< ours, > bpftool)"
fi

# struct <name> { ... }; blocks, whitespace-normalized.
block() { awk -v s="struct $1 {" '$0 == s { p = 1 } p { print } p && /^};/ { exit }' | tr -s ' \t' ' '; }
for s in $(sed -n 's/^struct \([a-z0-9_]*\) {$/\1/p' "$header"); do
	diff <(block "$s" <"$header") <(block "$s" <<<"$dump") >&2 \
		|| die "struct $s of $header differs from bpftool's (< ours, > bpftool)"
done
