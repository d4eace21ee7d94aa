#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Makefile of a module made by `make new` calls this:
#
#   user.sh build <dir>   the modules of <dir>/Kbuild, with the BTF step,
#                         and <dir>/*.bpf.c, into <dir>/build
#   user.sh run <dir>     build, boot the test kernel (QEMU, TCG), load
#                         the modules, run every BPF program; show it all
#   user.sh check <dir>   the same as tests (KTAP; "N passed, N failed")
#   user.sh env [<dir>]   the settings to build <dir> with your own make
#
# The kernel is kfunc-rs's (built once by `make run`) or KDIR=...; the
# guest side is testing/guest/src/user.rs.
. "$(dirname "$0")/common.sh"

cmd=${1:-} dir=${2:-}
if [ "$cmd" = env ] && [ -z "$dir" ]; then
	dir="<your module dir>"
else
	[ -n "$cmd" ] && [ -d "$dir" ] || die "usage: user.sh build|run|check <module dir>, or user.sh env [<module dir>]"
	dir=$(cd "$dir" && pwd)
	[ -f "$dir/Kbuild" ] || die "$dir has no Kbuild (make one with: make -C $KFUNC_RS_ROOT new DIR=<dir> NAME=<name>)"
fi
out=$dir/build
bin=$HOST_BIN

# The kernel build and the host tools; prints the kernel build.
prepare() {
	"$KFUNC_RS_ROOT/scripts/deps.sh" >&2
	kbuild=$("$KFUNC_RS_ROOT/scripts/kernel-build.sh")
	guest=$(build_programs)
}

build() {
	prepare
	local tools modules m c o objs=
	tools=$("$KFUNC_RS_ROOT/scripts/bpf-tools.sh" "$kbuild")
	log "building the modules of $dir"
	mkdir -p "$out/bpf"
	# shellcheck disable=SC2046 # make arguments
	kmake "$kbuild" "$dir" "$out/modules" "$out/modules.log" KFUNC_RS="$KFUNC_RS_ROOT" \
		$(btf_step_args "$bin/kfunc-btf") || die "the module build failed"
	grep -v -e '^make' "$out/modules.log" >&2 || true
	modules=$(built_modules "$out/modules")
	for m in $modules; do
		[ -f "$m" ] || die "the module build failed: $m is missing"
	done
	log "building the BPF programs"
	# shellcheck disable=SC2086 # a list of paths
	bpf_headers "$kbuild" "$tools/bin/bpftool" "$bin/kfunc-btf" "$out/include" $modules
	rm -f "$out"/bpf/*.bpf.o
	for c in "$dir"/*.bpf.c; do
		[ -f "$c" ] || continue
		o=$out/bpf/$(basename "${c%.c}").o
		bpf_cc "$c" "$o" -I"$out/include" -I"$tools/include" -I"$dir"
		objs="$objs $o"
	done
	# What scripts/boot.sh puts in the initramfs: the user's modules and
	# objects only.
	cat >"$out/build.env.tmp" <<EOS
KBUILD='$kbuild'
BZIMAGE='$kbuild/$KERNEL_IMAGE'
BPFTOOL='$tools/bin/bpftool'
GUEST_BPFTOOL='$tools/guest-$KERNEL_ARCH/bpftool'
TESTBED='$bin/testbed'
GUEST='$guest'
MODULES='$(echo $modules)'
NOBTF_MODULE=''
CONFORMANCE_MODULES=''
BPF_OBJS='$(echo $objs)'
CONFORMANCE_BPF_OBJS=''
CONFORMANCE_CASES=''
OUT='$out'
EOS
	mv -f "$out/build.env.tmp" "$out/build.env"
	log "built: $(echo $modules $objs | sed "s|$dir/||g")"
}

case "$cmd" in
build) build ;;
run)
	build
	log "booting the test kernel under QEMU (TCG)"
	exec "$KFUNC_RS_ROOT/scripts/boot.sh" "$out/build.env" user --show-output
	;;
check)
	build
	log "booting the test kernel under QEMU (TCG)"
	status=0
	"$KFUNC_RS_ROOT/scripts/boot.sh" "$out/build.env" user --counts "$out/counts" || status=$?
	read -r passed failed <"$out/counts" 2>/dev/null || { passed=0 failed=1; }
	echo "$passed passed, $failed failed"
	exit $((status != 0 || failed != 0))
	;;
env)
	prepare >/dev/null
	cat <<EOS
# Build $dir against $kbuild as kfunc-rs does:
KDIR=$kbuild
KFUNC_RS=$KFUNC_RS_ROOT
LLVM=$LLVM_SUFFIX
RUSTC=$KRUSTC
BINDGEN=$BINDGEN
PAHOLE=$KFUNC_RS_ROOT/scripts/kfunc-rs-pahole
KFUNC_RS_BTF=$bin/kfunc-btf
# make -C \$KDIR M=$dir LLVM=\$LLVM RUSTC=\$RUSTC BINDGEN=\$BINDGEN KFUNC_RS=\$KFUNC_RS PAHOLE=\$PAHOLE KFUNC_RS_BTF=\$KFUNC_RS_BTF modules
EOS
	;;
*) die "unknown command $cmd (build, run, check or env)" ;;
esac
