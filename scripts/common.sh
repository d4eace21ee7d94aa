# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Common settings for kfunc-rs scripts. Sourced, never executed.
#
# Everything the project downloads or builds lives under $KFUNC_RS_CACHE
# (default ~/.cache/kfunc-rs), keyed so that different kernels, configs and
# toolchains never share a build.

set -euo pipefail

# The scripts run their own makes: a calling make's flags (-w from
# `make -C <dir>`, which makes `make -s kernelversion` print directories)
# must not leak into them.
unset MAKEFLAGS MFLAGS MAKELEVEL

KFUNC_RS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KFUNC_RS_CACHE=${KFUNC_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kfunc-rs}

# The targets: a kernel series, an architecture and, optionally, a
# variant of the kernel (debug: KASAN, lockdep, UBSAN, kmemleak, ...;
# testing/kfunc-rs-debug.config). `make check` runs every one of
# KFUNC_RS_TARGETS; TARGET=<one> (make check TARGET=6.12-x86_64) picks one,
# and is what every other script reads.
KFUNC_RS_TARGETS="7.3-x86_64 6.12-x86_64 7.3-arm64 7.3-x86_64-debug"
TARGET_GIVEN=${TARGET:-}
TARGET=${TARGET:-7.3-x86_64}
IFS=- read -r target_series KERNEL_ARCH KERNEL_VARIANT target_rest <<<"$TARGET"
[ -n "$KERNEL_ARCH" ] && [ -z "$target_rest" ] ||
	{ echo "[kfunc-rs] error: TARGET=$TARGET is not <series>-<arch>[-<variant>] (targets: $KFUNC_RS_TARGETS)" >&2; exit 1; }
# The guest of each variant: vCPUs, memory (MiB), and how much longer
# than the plain kernel's it may take.
case "$KERNEL_VARIANT" in
'') GUEST_CPUS=2 GUEST_MEMORY=1024 TIMEOUT_FACTOR=1 ;;
debug) GUEST_CPUS=4 GUEST_MEMORY=2048 TIMEOUT_FACTOR=6 ;;
*) echo "[kfunc-rs] error: TARGET=$TARGET: unknown variant $KERNEL_VARIANT (debug)" >&2; exit 1 ;;
esac
# The pinned kernel source package of each series. Override with
# KERNEL_PKG_VERSION (and KERNEL_SRC_SHA256 / KERNEL_DEB_SHA256, or set
# them to "none" to skip the check).
case "$target_series" in
7.3)
	KERNEL_SERIES=7.3
	: "${KERNEL_PKG_VERSION:=7.3.4-1~bpo13+1}" "${KERNEL_PKG_SUITE:=trixie-backports}"
	: "${KERNEL_DEB_SHA256:=703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3}"
	: "${KERNEL_SRC_SHA256:=76df1affb19f24926949369be1d74b60071c963c598ce8780bddd4bbf0fc3bc4}"
	;;
6.12)
	KERNEL_SERIES=6.12
	: "${KERNEL_PKG_VERSION:=6.12.117-1~deb12u1}" "${KERNEL_PKG_SUITE:=bookworm-security}"
	: "${KERNEL_DEB_SHA256:=e849faf31ca3555757f3a8877cb01af92122f744f75d1f3102734651c4e14703}"
	: "${KERNEL_SRC_SHA256:=585a4a074597aefa2b1a68ada83a3184ba351c127544dea80618bbcceaa3961f}"
	;;
*) echo "[kfunc-rs] error: unknown TARGET=$TARGET (targets: $KFUNC_RS_TARGETS)" >&2; exit 1 ;;
esac
# What each architecture is called by the kernel's make (ARCH=), the
# kernel image, QEMU, BPF's bpf_tracing.h (__TARGET_ARCH_), Rust and
# Debian.
case "$KERNEL_ARCH" in
x86_64)
	KERNEL_MAKE_ARCH=x86 KERNEL_IMAGE=arch/x86/boot/bzImage QEMU_SYSTEM=qemu-system-x86_64
	BPF_TARGET_ARCH=x86 RUST_TARGET=x86_64-unknown-linux-gnu DEB_ARCH=amd64 CROSS_COMPILE=x86_64-linux-gnu-
	;;
arm64)
	KERNEL_MAKE_ARCH=arm64 KERNEL_IMAGE=arch/arm64/boot/Image QEMU_SYSTEM=qemu-system-aarch64
	BPF_TARGET_ARCH=arm64 RUST_TARGET=aarch64-unknown-linux-gnu DEB_ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
	;;
*) echo "[kfunc-rs] error: TARGET=$TARGET: unsupported architecture $KERNEL_ARCH" >&2; exit 1 ;;
esac
# The machine's own architecture, in the kernel's spelling: a target of
# another one has its guest programs cross-built (scripts/cross-sysroot.sh).
HOST_ARCH=$(uname -m | sed 's/^aarch64$/arm64/')

BINDGEN_VERSION=${BINDGEN_VERSION:-0.73.2}
BINDGEN_ROOT=$KFUNC_RS_CACHE/tools/bindgen-$BINDGEN_VERSION
BINDGEN=${BINDGEN:-$BINDGEN_ROOT/bin/bindgen}
VNG_VERSION=${VNG_VERSION:-1.42}
CARGO_FUZZ_VERSION=${CARGO_FUZZ_VERSION:-0.13.2}
VNG_VENV=$KFUNC_RS_CACHE/tools/virtme-ng-$VNG_VERSION

LLVM_SUFFIX=${LLVM_SUFFIX:--19}
KRUSTC=${KRUSTC:-/usr/bin/rustc}
CLANG=${CLANG:-clang$LLVM_SUFFIX}

KERNEL_SRC=$KFUNC_RS_CACHE/src/linux-$KERNEL_PKG_VERSION

# rustup's cargo, for environments (CI) whose PATH lacks it.
command -v cargo >/dev/null 2>&1 || PATH=$HOME/.cargo/bin:$PATH
# Cargo's output, one directory per checkout: two checkouts sharing one
# would see each other's binaries as up to date (cargo compares the
# modification times of workspace-relative paths) and overwrite them
# while the other uses them.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$KFUNC_RS_CACHE/cargo-target/$(echo "$KFUNC_RS_ROOT" | sha256sum | cut -c1-8)}
# The host tools (kfunc-btf, testbed) once built_programs has run.
HOST_BIN=$CARGO_TARGET_DIR/release

log() { printf '[kfunc-rs] %s\n' "$*" >&2; }
die() { printf '[kfunc-rs] error: %s\n' "$*" >&2; exit 1; }

# lock <name>: holds the cache lock <name> (a file in $KFUNC_RS_CACHE/locks)
# until the calling script exits, waiting while another run holds it: two
# runs sharing the cache (two checkouts' make check at once) then build a
# kernel, a tool or a download once, one after the other, never into each
# other. Each script takes the lock of what it writes; a script holding
# one may run another that takes a different one (a kernel build, then
# its source), never the same.
lock() {
	local f=$KFUNC_RS_CACHE/locks/$1.lock
	mkdir -p "$KFUNC_RS_CACHE/locks"
	exec {KFUNC_RS_LOCK_FD}>"$f"
	if ! flock -n "$KFUNC_RS_LOCK_FD"; then
		log "waiting for another kfunc-rs run (or make check's background kernel builds) to release $1"
		flock "$KFUNC_RS_LOCK_FD"
	fi
}

# build_programs: builds the host tools (kfunc-btf, testbed, in
# $HOST_BIN) and the guest runner for the target's architecture, cross-
# built (statically, with Debian's Rust standard library of the target
# and KRUSTC, its exact version) where it is not the machine's. Prints
# the guest runner's path.
build_programs() {
	local sysroot tdir
	# Always the same packages, so that every build of the host programs
	# is the same one: cargo copies a binary to release/ only when it
	# builds it, so alternating builds of other package sets (other
	# feature unions) would leave a stale binary there.
	(cd "$KFUNC_RS_ROOT" && env -u RUSTC cargo build --quiet --release --locked -p kfunc-btf -p testbed -p kfunc-guest) \
		|| die "cargo build of the kfunc-rs programs failed"
	if [ "$KERNEL_ARCH" = "$HOST_ARCH" ]; then
		echo "$HOST_BIN/kfunc-guest"
		return
	fi
	sysroot=$("$KFUNC_RS_ROOT/scripts/cross-sysroot.sh")
	tdir=$(echo "$RUST_TARGET" | tr a-z- A-Z_)
	(
		cd "$KFUNC_RS_ROOT" &&
			export RUSTC="$KRUSTC" "CARGO_TARGET_${tdir}_LINKER=${CROSS_COMPILE}gcc" \
				"CARGO_TARGET_${tdir}_RUSTFLAGS=--sysroot=$sysroot/usr -C target-feature=+crt-static -L native=$sysroot/usr/lib/$(${CROSS_COMPILE}gcc -print-multiarch) -l static=zstd" \
				"CC_${RUST_TARGET//-/_}=${CROSS_COMPILE}gcc" "AR_${RUST_TARGET//-/_}=${CROSS_COMPILE}ar" \
				"LIBBPF_SYS_EXTRA_CFLAGS=-I$sysroot/usr/include -I$sysroot/usr/include/$(${CROSS_COMPILE}gcc -print-multiarch)" &&
			cargo build --quiet --release --locked --target "$RUST_TARGET" -p kfunc-guest
	) || die "cross-building the guest runner for $RUST_TARGET failed"
	echo "$CARGO_TARGET_DIR/$RUST_TARGET/release/kfunc-guest"
}

# private_apt <state dir> <sources> apt-get|apt-cache [args...]: runs apt
# with its own package lists and cache in <state dir>, reading only
# <sources>, a sources file or a folder of them (*.list, *.sources); the
# system's apt state and configuration are never changed.
private_apt() {
	local state=$1 sources=$2 cmd=$3 list parts=/nonexistent
	shift 3
	mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
	list=$sources
	if [ -d "$sources" ]; then
		: >"$state/empty.list"
		list=$state/empty.list parts=$sources
	fi
	"$cmd" -o "Dir::Etc::SourceList=$list" -o "Dir::Etc::SourceParts=$parts" \
		-o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" -o Debug::NoLocking=1 \
		-o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root "$@"
}

# kmake <kernel build> <module dir> <output dir> <log> [make args...]:
# builds the out-of-tree modules of <module dir> into <output dir> with
# the kernel's toolchain, the output in <log>. Fails with the log on error.
# Kernels without MO= (before 6.13) write a module's outputs next to its
# sources, so there the output dir gets a mirror of symlinks to the
# sources (not .git, not cargo's target/) and is built in place.
kmake() {
	local kbuild=$1 dir=$2 mo=$3 logfile=$4 ksrc f
	shift 4
	ksrc=$(cd "$kbuild/source" 2>/dev/null && pwd || echo "$kbuild")
	local M=(M="$dir" MO="$mo")
	if [ "$dir" = "$mo" ]; then
		M=(M="$dir")
	elif ! grep -qs KBUILD_EXTMOD_OUTPUT "$ksrc/Makefile"; then
		mkdir -p "$mo"
		find "$mo" -xtype l -delete
		(cd "$dir" && find . \( -name .git -o -name target -o -name build \) -prune -o -type f -print) |
			while read -r f; do
				mkdir -p "$mo/$(dirname "$f")"
				ln -sfn "$dir/${f#./}" "$mo/$f"
			done
		M=(M="$mo")
	fi
	make -s -C "$kbuild" "${M[@]}" ARCH="$KERNEL_MAKE_ARCH" LLVM="$LLVM_SUFFIX" RUSTC="$KRUSTC" \
		BINDGEN="$BINDGEN" KFUNC_RS_CRATE_CACHE="$KFUNC_RS_CACHE/crate" "$@" modules >"$logfile" 2>&1 && return 0
	cat "$logfile" >&2
	return 1
}

# built_modules <output dir>: the .ko files kmake built there, from its
# modules.order (relative paths, or absolute ones where kmake built a
# mirror in place).
built_modules() {
	sed -e 's/\.o$/.ko/' -e "s|^\([^/]\)|$1/\1|" "$1/modules.order"
}

# The kfunc-rs BTF step, as make arguments for kmake.
btf_step_args() {
	echo "PAHOLE=$KFUNC_RS_ROOT/scripts/kfunc-rs-pahole KFUNC_RS_BTF=$1"
}

# Write stdin to $1 atomically: readers see the old file or the new one.
write_atomic() {
	local tmp
	tmp=$(mktemp "$1.XXXXXX")
	cat >"$tmp" && mv -f "$tmp" "$1"
}

# bpf_headers <kernel build> <bpftool> <kfunc-btf> <include dir> <module.ko>...:
# writes <include dir>/vmlinux.h (when older than vmlinux) and, for each
# kfunc-rs module, <module>.kfuncs.h from its final BTF: BPF programs
# include those instead of hand-written prototypes.
bpf_headers() {
	local kbuild=$1 bpftool=$2 kfunc_btf=$3 inc=$4 m h
	shift 4
	mkdir -p "$inc"
	if ! [ -f "$inc/vmlinux.h" ] || [ "$kbuild/vmlinux" -nt "$inc/vmlinux.h" ]; then
		"$bpftool" btf dump file "$kbuild/vmlinux" format c | write_atomic "$inc/vmlinux.h"
	fi
	for m in "$@"; do
		h=$inc/$(basename "${m%.ko}").kfuncs.h
		"$kfunc_btf" header --base "$kbuild/vmlinux" "$m" -o "$h.new" || die "kfunc-btf header $m failed"
		# Replaced only when it changes, so that programs including it
		# are rebuilt only then (bpf_cc).
		if cmp -s "$h.new" "$h"; then rm -f "$h.new"; else mv -f "$h.new" "$h"; fi
	done
}

# bpf_cc <source.bpf.c> <object> [clang args...]: compiles a BPF program
# for the test kernel (its architecture, -mcpu=v3, with BTF), unless the
# object is up to date; the object appears only when the compile
# succeeds.
bpf_cc() {
	local c=$1 o=$2
	shift 2
	up_to_date "$o" "$*" && return 0
	"$CLANG" -g -O2 -target bpf -D__TARGET_ARCH_"$BPF_TARGET_ARCH" -mcpu=v3 -Wall -Wno-missing-declarations \
		"$@" -MD -MF "$o.d.tmp" -c "$c" -o "$o.tmp" || { rm -f "$o.tmp" "$o.d.tmp"; die "compiling $c failed"; }
	compiled "$o" "$*"
}

# up_to_date <object> <flags>: whether <object> was compiled with <flags>
# after every file it was compiled from (its dependency file, <object>.d,
# which clang's -MD wrote, names them) last changed.
up_to_date() {
	local o=$1 dep
	[ -f "$o" ] && [ -f "$o.d" ] && [ -f "$o.flags" ] && [ "$(cat "$o.flags")" = "$2" ] || return 1
	for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$o.d"); do
		[ -e "$dep" ] && [ "$dep" -ot "$o" ] || return 1
	done
}

# compiled <object> <flags>: puts a compile's <object>.tmp and
# <object>.d.tmp in place, and records its flags, for up_to_date; the
# flags last, so that an interrupted step leaves the object out of date.
compiled() {
	rm -f "$1.flags"
	mv -f "$1.d.tmp" "$1.d"
	mv -f "$1.tmp" "$1"
	echo "$2" >"$1.flags"
}
