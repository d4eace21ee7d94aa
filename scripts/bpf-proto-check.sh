#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Compiles each testing/bpf-proto/*.bpf.c, a BPF program whose hand-written
# kfunc prototype disagrees with a module's generated header: the build
# must fail with the file's "expect:" message, which names the kfunc.
#
#   bpf-proto-check.sh <build.env>
. "$(dirname "$0")/common.sh"

# shellcheck disable=SC1090
. "$1"
tools=$(dirname "$(dirname "$BPFTOOL")")
for c in "$KFUNC_RS_ROOT"/testing/bpf-proto/*.bpf.c; do
	want=$(sed -n 's/^ \* expect: //p' "$c")
	[ -n "$want" ] || die "$c has no expect: line"
	log=$OUT/$(basename "$c" .bpf.c).log
	if "$CLANG" -g -O2 -target bpf -D__TARGET_ARCH_"$BPF_TARGET_ARCH" -mcpu=v3 -I"$OUT/include" -I"$tools/include" \
		-c "$c" -o /dev/null 2>"$log"; then
		die "$c compiled, but its prototype disagrees with the module"
	fi
	grep -qF -- "$want" "$log" || { cat "$log" >&2; die "$c failed without \"$want\""; }
done
