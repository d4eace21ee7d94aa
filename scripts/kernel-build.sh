#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configure and build the test-bed kernel into the cache, keyed by kernel
# version, config fragment and toolchain, so a second run reuses it.
# Prints the build directory. With KDIR set, checks that directory instead
# and prints it.
. "$(dirname "$0")/common.sh"

# The config fragments: the common one, the architecture's and the
# variant's.
FRAGMENTS=("$KFUNC_RS_ROOT/testing/kfunc-rs.config" "$KFUNC_RS_ROOT/testing/kfunc-rs-$KERNEL_ARCH.config")
[ -z "$KERNEL_VARIANT" ] || FRAGMENTS+=("$KFUNC_RS_ROOT/testing/kfunc-rs-$KERNEL_VARIANT.config")

check_kdir() {
	local k=$1
	[ -f "$k/vmlinux" ] || die "KDIR=$k has no vmlinux: build the kernel there first"
	[ -f "$k/Module.symvers" ] || die "KDIR=$k has no Module.symvers: run 'make modules_prepare' and build it"
	[ -f "$k/rust/libkernel.rmeta" ] || die "KDIR=$k was built without CONFIG_RUST (no rust/libkernel.rmeta)"
	grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$k/.config" || die "KDIR=$k lacks CONFIG_DEBUG_INFO_BTF_MODULES=y"
	[ -x "$k/tools/bpf/resolve_btfids/resolve_btfids" ] || die "KDIR=$k has no tools/bpf/resolve_btfids"
}

if [ -n "${KDIR:-}" ]; then
	KDIR=$(cd "$KDIR" && pwd)
	check_kdir "$KDIR"
	echo "$KDIR"
	exit 0
fi

src=$("$KFUNC_RS_ROOT/scripts/kernel-source.sh")
version=$(make -s -C "$src" kernelversion)

toolchain=$(
	"$KRUSTC" --version
	"$CLANG" --version | head -n1
	"$BINDGEN" --version
	pahole --version
)
key=$( (echo "$KERNEL_PKG_VERSION $KERNEL_ARCH"; cat "${FRAGMENTS[@]}"; echo "$toolchain") | sha256sum | cut -c1-12)
build=$KFUNC_RS_CACHE/build/linux-$version-$KERNEL_ARCH${KERNEL_VARIANT:+-$KERNEL_VARIANT}-$key
stamp=$build/.kfunc-rs-built
lock "build-$(basename "$build")"
if [ -f "$stamp" ]; then
	echo "$build"
	exit 0
fi
# No stamp but a build folder: an earlier build was interrupted (or
# failed). Kbuild rebuilds every target whose command did not complete
# (its .cmd file is written last), so building again finishes it.
if [ -f "$build/.config" ] && [ -f "$build/.kfunc-rs-configured" ]; then
	log "the build in $build did not finish: building again"
fi

mkdir -p "$build"
K=(make -s -C "$src" O="$build" ARCH="$KERNEL_MAKE_ARCH" LLVM="$LLVM_SUFFIX" RUSTC="$KRUSTC" BINDGEN="$BINDGEN")

if ! [ -f "$build/.kfunc-rs-configured" ]; then
	log "configuring Linux $version in $build"
	"${K[@]}" tinyconfig >/dev/null
	(cd "$build" && "$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "${FRAGMENTS[@]}" >/dev/null)
	"${K[@]}" olddefconfig >/dev/null
	dropped=()
	while read -r opt; do
		grep -qx "$opt=y" "$build/.config" || dropped+=("$opt")
	done < <(sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=y$/\1/p' "${FRAGMENTS[@]}")
	if ((${#dropped[@]})); then
		die "olddefconfig dropped options requested by ${FRAGMENTS[*]#"$KFUNC_RS_ROOT/"}: ${dropped[*]}
  (their dependencies are not met; see 'make menuconfig' in $build)"
	fi
	touch "$build/.kfunc-rs-configured"
fi

jobs=$(($(nproc) + 1))
log "building Linux $version in $build (first time: 8 to 16 min on 2 cores)"
start=$(date +%s)
if ! "${K[@]}" -j"$jobs" >"$build/kfunc-rs-build.log" 2>&1; then
	tail -n 40 "$build/kfunc-rs-build.log" >&2
	die "kernel build failed; full log: $build/kfunc-rs-build.log"
fi
log "Linux $version built in $(($(date +%s) - start)) s"
check_kdir "$build"
touch "$stamp"
echo "$build"
