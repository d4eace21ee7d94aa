#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the kernel tree's bpftool (without LLVM, so the guest needs few
# libraries) and installs the tree's libbpf headers (bpf_helpers.h, with
# the generated bpf_helper_defs.h) for BPF programs, and the bpftool the
# guest runs: the same program, or for a target of another architecture
# one cross-built (static, with scripts/cross-sysroot.sh's libraries).
# Prints the directory holding them: bin/bpftool, include/bpf/*.h,
# include/bpf_misc.h and guest-<arch>/bpftool.
. "$(dirname "$0")/common.sh"

kbuild=$1
src=$(cd "$kbuild" && cd "$(readlink source 2>/dev/null || echo "$KERNEL_SRC")" && pwd)
version=$(make -s -C "$src" kernelversion)
key=$(echo "$src $("$CLANG" --version | head -n1)" | sha256sum | cut -c1-12)
tools=$KFUNC_RS_CACHE/bpf-tools/$version-$key
lock "bpf-tools-$version-$key"
if ! [ -f "$tools/.kfunc-rs-built" ]; then
	log "building bpftool and libbpf headers of Linux $version"
	rm -rf "$tools"
	mkdir -p "$tools/bpftool-build" "$tools/libbpf-build" "$tools/bin"
	make -s -C "$src/tools/bpf/bpftool" OUTPUT="$tools/bpftool-build/" \
		CLANG="$CLANG" LLVM_STRIP=llvm-strip"$LLVM_SUFFIX" feature-llvm=0 feature-libbfd=0 \
		-j"$(($(nproc) + 1))" >"$tools/build.log" 2>&1 || { tail -20 "$tools/build.log" >&2; die "bpftool build failed"; }
	cp "$tools/bpftool-build/bpftool" "$tools/bin/bpftool"
	make -s -C "$src/tools/lib/bpf" OUTPUT="$tools/libbpf-build/" DESTDIR="$tools" prefix= \
		install_headers >>"$tools/build.log" 2>&1 || { tail -20 "$tools/build.log" >&2; die "libbpf headers failed"; }
	touch "$tools/.kfunc-rs-built"
fi
# Upstream's test annotations (__success, __failure, __msg, __retval, ...)
# for users' BPF programs, which `make check` of a module made by
# `make new` reads back (testing/guest/src/user.rs).
if ! [ -f "$tools/include/bpf_misc.h" ]; then
	cp "$src/tools/testing/selftests/bpf/progs/bpf_misc.h" "$tools/include/bpf_misc.h.tmp"
	mv -f "$tools/include/bpf_misc.h.tmp" "$tools/include/bpf_misc.h"
fi
# The guest's bpftool.
guest=$tools/guest-$KERNEL_ARCH
if ! [ -f "$guest/.kfunc-rs-built" ]; then
	rm -rf "$guest"
	mkdir -p "$guest/build"
	if [ "$KERNEL_ARCH" = "$HOST_ARCH" ]; then
		cp "$tools/bin/bpftool" "$guest/bpftool"
	else
		sysroot=$("$KFUNC_RS_ROOT/scripts/cross-sysroot.sh")
		multiarch=$("${CROSS_COMPILE}gcc" -print-multiarch)
		log "cross-building bpftool of Linux $version for $KERNEL_ARCH"
		make -s -C "$src/tools/bpf/bpftool" OUTPUT="$guest/build/" ARCH="$KERNEL_MAKE_ARCH" \
			CROSS_COMPILE="$CROSS_COMPILE" CLANG="$CLANG" LLVM_STRIP=llvm-strip"$LLVM_SUFFIX" \
			feature-llvm=0 feature-libbfd=0 EXTRA_CFLAGS="-I$sysroot/usr/include -I$sysroot/usr/include/$multiarch" \
			EXTRA_LDFLAGS="-L$sysroot/usr/lib/$multiarch -static" -j"$(($(nproc) + 1))" >"$guest/build.log" 2>&1 ||
			{ tail -20 "$guest/build.log" >&2; die "cross-building bpftool for $KERNEL_ARCH failed"; }
		cp "$guest/build/bpftool" "$guest/bpftool"
	fi
	touch "$guest/.kfunc-rs-built"
fi
echo "$tools"
