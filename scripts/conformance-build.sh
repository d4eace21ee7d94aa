#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds what the conformance tests need, from the kernel source tree at
# test time (nothing of it is copied into this repository):
# - the C bpf_testmod.ko of tools/testing/selftests/bpf/test_kmods, built
#   out of tree against the test kernel;
# - each upstream BPF program file named in testing/conformance/<series>/*.cases
#   (the first field of a one-line case, the object of a test block's
#   open steps) or *.list (one name a line), compiled with clang, the
#   selftests' own headers and upstream's BPF_CFLAGS that matter here
#   (-mcpu=v3, libarena's headers, the compiler's system include
#   directories after the others, as CLANG_SYS_INCLUDES).
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
# The C module's folder: test_kmods/ (6.16+) or bpf_testmod/.
kmods=$sel/test_kmods
[ -f "$kmods/bpf_testmod.c" ] || kmods=$sel/bpf_testmod
[ -f "$kmods/bpf_testmod.c" ] || die "no bpf_testmod.c in $sel/test_kmods or $sel/bpf_testmod"
# The cases of this kernel series.
cases_dir=$KFUNC_RS_ROOT/testing/conformance/$KERNEL_SERIES
[ -d "$cases_dir" ] || die "no conformance cases for Linux $KERNEL_SERIES ($cases_dir)"
tools=$(dirname "$(dirname "$BPFTOOL")")
out=$OUT/conformance
mkdir -p "$out/c_testmod" "$out/bpf"

# The C module: its sources linked into a build folder of ours, so that
# the kernel tree stays untouched.
for f in "$kmods"/*.[ch]; do ln -sf "$f" "$out/c_testmod/"; done
cat >"$out/c_testmod/Kbuild" <<EOK
obj-m := bpf_testmod.o
CFLAGS_bpf_testmod.o = -I\$(src) -I$sel
EOK
log "building the C bpf_testmod from $kmods"
kmake "$KBUILD" "$out/c_testmod" "$out/c_testmod" "$out/c_testmod.log" \
	|| die "building the C bpf_testmod failed"

objs=
case_files=$(ls "$cases_dir"/*.cases 2>/dev/null || true)
list_files=$(ls "$cases_dir"/*.list 2>/dev/null || true)
cases=$(echo $case_files $list_files)
[ -n "$cases" ] || die "no .cases or .list files in $cases_dir"
# upstream's CLANG_SYS_INCLUDES (tools/testing/selftests/bpf/Makefile), of
# the target's architecture
sys_includes=$("$CLANG" --target="${CROSS_COMPILE%-}" -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
# shellcheck disable=SC2086 # lists of paths
objects=$( {
	[ -z "$case_files" ] || awk '/^[ \t]*#/ || NF == 0 { next }
		$1 == "test" { block = 1; next }
		$1 == "end" { block = 0; next }
		block { if ($1 == "open") print $2; next }
		{ print $1 }' $case_files
	[ -z "$list_files" ] || sed -e 's/#.*//' $list_files | awk 'NF { print $1 }'
} | sort -u)
# shellcheck disable=SC2086 # word lists
for obj in $objects; do
	c=$sel/progs/$obj.c
	[ -f "$c" ] || die "$obj: no $c in the kernel tree"
	o=$out/bpf/$obj.bpf.o
	flags=(-g -O2 -target bpf -D__TARGET_ARCH_"$BPF_TARGET_ARCH" -mcpu=v3 -Wno-missing-declarations
		-Wno-compare-distinct-pointer-types -I"$OUT/include" -I"$tools/include" -I"$sel" -I"$sel/progs"
		-I"$sel/libarena/include" -I"$src/tools/include/uapi" -I"$src/tools/include" $sys_includes)
	objs="$objs $o"
	up_to_date "$o" "${flags[*]}" && continue
	"$CLANG" "${flags[@]}" -MD -MF "$o.d.tmp" -c "$c" -o "$o.tmp" 2>"$out/bpf/$obj.log" ||
		{ cat "$out/bpf/$obj.log" >&2; die "compiling $c failed"; }
	compiled "$o" "${flags[*]}"
done

echo "CONFORMANCE_MODULES='$out/c_testmod/bpf_testmod.ko'"
echo "CONFORMANCE_BPF_OBJS='$(echo $objs)'"
echo "CONFORMANCE_CASES='$(echo $cases)'"
