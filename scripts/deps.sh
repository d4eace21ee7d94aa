#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what kfunc-rs needs and is missing, and only that. Re-runs are
# no-ops. Debian packages go through apt; bindgen-cli (pinned) and
# virtme-ng (pinned) go into the cache, never system-wide.
. "$(dirname "$0")/common.sh"

PACKAGES=(
	# kernel build with Rust
	rustc-web rust-web-src rust-web-clippy clang-19 libclang-19-dev lld-19 llvm-19
	dwarves flex bison bc libelf-dev libssl-dev cpio kmod make gcc
	# guest and boot
	qemu-system-x86 busybox-static
	# the arm64 target: QEMU, and the cross compiler of its guest programs
	# (scripts/cross-sysroot.sh fetches the arm64 libraries they link)
	qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	# host crates linking libbpf (libbpf-sys vendors libbpf) and BPF progs
	zlib1g-dev libzstd-dev pkg-config
	# virtme-ng: host root over 9p needs udev; venv for the pip install
	udev python3-venv
	# fetch of the kernel source package
	ca-certificates xz-utils
)

# More packages for one caller (make bench: its chart).
PACKAGES+=("$@")

lock deps
missing=()
for p in "${PACKAGES[@]}"; do
	[[ $p == \#* ]] && continue
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if ((${#missing[@]})); then
	log "installing Debian packages: ${missing[*]}"
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	aptlog=$(mktemp)
	if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends "${missing[@]}"; } >"$aptlog" 2>&1; then
		tail -n 30 "$aptlog" >&2
		die "apt-get install failed for: ${missing[*]}"
	fi
	rm -f "$aptlog"
fi

# Debian's rustc-web must be the one the kernel uses (it ships rust-src).
[ -x "$KRUSTC" ] || die "$KRUSTC not found after installing rustc-web"
[ -d /usr/lib/rustlib/src/rust/library ] || die "rust-web-src did not install the Rust library source"

if ! [ -x "$BINDGEN" ] || ! "$BINDGEN" --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	log "installing bindgen-cli $BINDGEN_VERSION into $BINDGEN_ROOT (about a minute)"
	command -v cargo >/dev/null || die "cargo not found: install a Rust toolchain (rustup) first"
	LIBCLANG_PATH=/usr/lib/llvm-19/lib cargo install --quiet --locked bindgen-cli \
		--version "$BINDGEN_VERSION" --root "$BINDGEN_ROOT" || die "cargo install bindgen-cli failed"
fi

if ! [ -f "$VNG_VENV/.kfunc-rs-installed" ]; then
	log "installing virtme-ng $VNG_VERSION into $VNG_VENV"
	rm -rf "$VNG_VENV"
	python3 -m venv "$VNG_VENV" || die "python3 -m venv failed"
	"$VNG_VENV/bin/pip" install -q "virtme-ng==$VNG_VERSION" || die "pip install virtme-ng failed"
	touch "$VNG_VENV/.kfunc-rs-installed"
fi
