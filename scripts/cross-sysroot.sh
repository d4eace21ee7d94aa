#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The guest's userspace for a target whose architecture is not the
# machine's (arm64 on x86_64): Debian's packages of the target's
# architecture, unpacked (never installed) into the cache:
#   - libstd-rust-web-dev: Rust's standard library for the target, of the
#     version of the machine's rustc-web (KRUSTC), which cross-builds the
#     guest runner with it (scripts/common.sh: build_programs);
#   - libelf-dev, zlib1g-dev, libzstd-dev, libssl-dev: the static
#     libraries the guest runner (libbpf) and bpftool link;
#   - busybox-static: the guest's shell and tools.
# Each package is the version installed on the machine where the mirror
# has it for the target (so the headers match), the newest otherwise;
# rustc-web's version must be there. Fetched from the machine's
# own Debian sources with a private apt state: the system's apt
# configuration is never changed. Prints the sysroot (its usr/ holds
# lib/rustlib/<rust target>/ and the libraries and headers).
. "$(dirname "$0")/common.sh"

PACKAGES=(libstd-rust-web-dev libelf-dev zlib1g-dev libzstd-dev libssl-dev busybox-static)

# The rustc-web version is the one that must match exactly.
rust_version=$(dpkg-query -W -f='${Version}' rustc-web 2>/dev/null) ||
	die "rustc-web is not installed (make deps)"
key=$(echo "$DEB_ARCH ${PACKAGES[*]} $rust_version" | sha256sum | cut -c1-12)
sysroot=$KFUNC_RS_CACHE/tools/sysroot-$DEB_ARCH-$key
lock "sysroot-$DEB_ARCH"
if [ -f "$sysroot/.kfunc-rs-unpacked" ]; then
	echo "$sysroot"
	exit 0
fi

state=$KFUNC_RS_CACHE/tools/.apt-$DEB_ARCH
mkdir -p "$state/deb"
# The machine's own sources, copied: sources.list and the *.list and
# *.sources files of sources.list.d.
sources=$state/sources
rm -rf "$sources"
mkdir -p "$sources"
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$sources/system.list"
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] && cp "$f" "$sources/"
done
compgen -G "$sources/*" >/dev/null || die "no apt sources in /etc/apt"
apt_arch() {
	private_apt "$state" "$sources" "$@" -o "APT::Architecture=$DEB_ARCH" -o "APT::Architectures::=$DEB_ARCH" \
		-o Dir::State::status=/dev/null
}
log "fetching Debian's $DEB_ARCH packages for the guest: ${PACKAGES[*]}"
apt_arch apt-get -qq update || die "apt-get update for $DEB_ARCH failed"
want=()
for p in "${PACKAGES[@]}"; do
	if [ "$p" = libstd-rust-web-dev ]; then
		v=$rust_version
	else
		v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
		# Not every version the machine has is on the mirror for $DEB_ARCH.
		[ -z "$v" ] || apt_arch apt-cache madison "$p" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
			grep -qxF "$v" || v=
	fi
	want+=("$p${v:+=$v}")
done
rm -f "$state"/deb/*.deb
(cd "$state/deb" && apt_arch apt-get -qq download "${want[@]}") ||
	die "downloading ${want[*]} for $DEB_ARCH failed (is that version still on the mirror?)"

tmp=$(mktemp -d "$KFUNC_RS_CACHE/tools/.sysroot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for deb in "$state"/deb/*.deb; do
	dpkg-deb -x "$deb" "$tmp" || die "unpacking $deb failed"
done
[ -d "$tmp/usr/lib/rustlib/$RUST_TARGET/lib" ] || die "libstd-rust-web-dev has no $RUST_TARGET standard library"
[ -x "$tmp/bin/busybox" ] || die "busybox-static:$DEB_ARCH has no /bin/busybox"
touch "$tmp/.kfunc-rs-unpacked"
rm -rf "$sysroot"
mv "$tmp" "$sysroot"
echo "$sysroot"
