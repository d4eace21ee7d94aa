#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the guest initramfs: busybox, scripts/guest-init as /init, the
# guest programs with the shared libraries they need, modules and BPF
# objects.
#
#   initramfs.sh <out.cpio.gz> --bin <file>... --module <ko>... --bpf <obj>... --data <file>...
. "$(dirname "$0")/common.sh"

out=$1
shift
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,lib64} "$stage"/kfunc-rs/{bin,modules,bpf,data}

# Debian's busybox-static installs /bin/busybox; for a target of another
# architecture, scripts/cross-sysroot.sh unpacks that architecture's.
busybox=/bin/busybox
[ "$KERNEL_ARCH" = "$HOST_ARCH" ] || busybox=$("$KFUNC_RS_ROOT/scripts/cross-sysroot.sh")/bin/busybox
cp "$busybox" "$stage/bin/busybox"
ldd "$stage/bin/busybox" >/dev/null 2>&1 && die "$busybox is not static (install busybox-static)"
cp "$KFUNC_RS_ROOT/scripts/guest-init" "$stage/init"
chmod +x "$stage/init"

# Copies a program and the shared libraries ldd lists for it (none for
# the static programs of a cross-built guest).
add_program() {
	cp "$1" "$stage/kfunc-rs/bin/"
	[ "$KERNEL_ARCH" = "$HOST_ARCH" ] || return 0
	ldd "$1" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' | while read -r lib; do
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}

kind=
for arg in "$@"; do
	case "$arg" in
	--bin | --module | --bpf | --data) kind=${arg#--} ;;
	*)
		[ -f "$arg" ] || die "initramfs: $arg does not exist"
		case "$kind" in
		bin) add_program "$arg" ;;
		module) cp "$arg" "$stage/kfunc-rs/modules/" ;;
		bpf) cp "$arg" "$stage/kfunc-rs/bpf/" ;;
		data) cp "$arg" "$stage/kfunc-rs/data/" ;;
		*) die "initramfs: $arg given before --bin/--module/--bpf/--data" ;;
		esac
		;;
	esac
done

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) | write_atomic "$out"
