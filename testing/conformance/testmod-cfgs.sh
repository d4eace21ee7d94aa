#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The rustc cfgs by which bpf_testmod_rs.rs follows the target kernel's own
# bpf_testmod (Kbuild passes them; nothing here is a version check):
#   bpf_testmod_kfunc="<name>"  for each kfunc the C module registers
#   testmod_tasks_trace_srcu    RCU Tasks Trace is an SRCU struct
# One word a line, quoted for the shell that runs rustc.
#
#   testmod-cfgs.sh <srctree> <objtree>
set -eu
srctree=$1 objtree=$2
c=
for f in "$srctree/tools/testing/selftests/bpf/test_kmods/bpf_testmod.c" \
	"$srctree/tools/testing/selftests/bpf/bpf_testmod/bpf_testmod.c"; do
	[ -f "$f" ] && c=$f && break
done
[ -n "$c" ] || { echo "testmod-cfgs.sh: no bpf_testmod.c in $srctree" >&2; exit 1; }
sed -n "s/^BTF_ID_FLAGS(func, *\([a-z0-9_]*\).*/'--cfg=bpf_testmod_kfunc=\"\1\"'/p" "$c" | sort -u
grep -qs 'rcu_tasks_trace_srcu_struct: srcu_struct' "$objtree/rust/bindings/bindings_generated.rs" &&
	echo "--cfg=testmod_tasks_trace_srcu"
true
