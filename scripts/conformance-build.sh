#!/usr/bin/env bash
# Builds what the conformance tests need, from the kernel source tree at
# test time (nothing of it is copied into this repository):
# - the C bpf_testmod.ko of tools/testing/selftests/bpf/test_kmods, built
#   out of tree against the test kernel;
# - each upstream BPF program file named in tests/conformance/*.cases
#   (first field) or *.list (one name a line), compiled with clang and the
#   selftests' own headers.
# Prints CONFORMANCE_MODULES, CONFORMANCE_BPF_OBJS and CONFORMANCE_CASES
# (the .cases and .list files, for the initramfs) assignments for
# build.env.
#
#   conformance-build.sh <build.env being written>
. "$(dirname "$0")/common.sh"

env_file=$1
# shellcheck disable=SC1090
. "$env_file"
src=$(cd "$KBUILD/source" 2>/dev/null && pwd || echo "$KERNEL_SRC")
sel=$src/tools/testing/selftests/bpf
[ -f "$sel/test_kmods/bpf_testmod.c" ] || die "no bpf_testmod.c in $sel/test_kmods"
tools=$(dirname "$(dirname "$BPFTOOL")")
out=$OUT/conformance
mkdir -p "$out/c_testmod" "$out/bpf"

# The C module: its sources linked into a build folder of ours, so that
# the kernel tree stays untouched.
for f in "$sel"/test_kmods/*.[ch]; do ln -sf "$f" "$out/c_testmod/"; done
cat >"$out/c_testmod/Kbuild" <<EOK
obj-m := bpf_testmod.o
CFLAGS_bpf_testmod.o = -I\$(src) -I$sel
EOK
log "building the C bpf_testmod from $sel/test_kmods"
kmake "$KBUILD" "$out/c_testmod" "$out/c_testmod" "$out/c_testmod.log" \
	|| die "building the C bpf_testmod failed"

objs=
cases=$(ls "$KFUNC_RS_ROOT"/tests/conformance/*.cases "$KFUNC_RS_ROOT"/tests/conformance/*.list 2>/dev/null || true)
[ -n "$cases" ] || die "no .cases or .list files in $KFUNC_RS_ROOT/tests/conformance"
# shellcheck disable=SC2086 # a list of paths
for obj in $(sed -e 's/#.*//' $cases | awk 'NF { print $1 }' | sort -u); do
	c=$sel/progs/$obj.c
	[ -f "$c" ] || die "$obj: no $c in the kernel tree"
	"$CLANG" -g -O2 -target bpf -D__TARGET_ARCH_x86 -mcpu=v3 -Wno-missing-declarations \
		-Wno-compare-distinct-pointer-types -I"$OUT/include" -I"$tools/include" -I"$sel" -I"$sel/progs" -I"$sel/libarena/include" \
		-I"$src/tools/include/uapi" -I"$src/tools/include" -c "$c" -o "$out/bpf/$obj.bpf.o.tmp" \
		2>"$out/bpf/$obj.log" || { cat "$out/bpf/$obj.log" >&2; die "compiling $c failed"; }
	mv -f "$out/bpf/$obj.bpf.o.tmp" "$out/bpf/$obj.bpf.o"
	objs="$objs $out/bpf/$obj.bpf.o"
done

echo "CONFORMANCE_MODULES='$out/c_testmod/bpf_testmod.ko'"
echo "CONFORMANCE_BPF_OBJS='$(echo $objs)'"
echo "CONFORMANCE_CASES='$(echo $cases)'"
