#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch the pinned Debian linux-source package, verify it and unpack it
# into the cache. Uses a private apt state, so the system's apt
# configuration is never touched. Prints the source directory.
. "$(dirname "$0")/common.sh"

stamp=$KERNEL_SRC/.kfunc-rs-unpacked
lock src
if [ -f "$stamp" ]; then
	echo "$KERNEL_SRC"
	exit 0
fi

pkg=linux-source-$KERNEL_SERIES
work=$KFUNC_RS_CACHE/src/.apt
mkdir -p "$work/deb"

# The archive URI comes from the machine's own Debian sources: the
# security archive for a *-security suite (bookworm-security carries
# linux-source-6.12), the main archive otherwise.
case "$KERNEL_PKG_SUITE" in
*-security) archive='debian-security' ;;
*) archive='debian' ;;
esac
uri=$( (cat /etc/apt/sources.list.d/*.sources 2>/dev/null; true) |
	awk -v a="$archive" '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ ("/" a "/?$")) { print $i; exit } }')
if [ -z "$uri" ]; then
	uri=$(awk -v a="$archive" '$1 == "deb" && $2 ~ ("/" a "/?$") { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
fi
[ -n "$uri" ] || die "no Debian archive URI ending in /$archive found in /etc/apt/sources.list(.d)"

cat >"$work/src.sources" <<EOS
Types: deb
URIs: $uri
Suites: $KERNEL_PKG_SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS

deb=$(ls "$work/deb/${pkg}_${KERNEL_PKG_VERSION//\~/%7e}"_all.deb 2>/dev/null ||
	ls "$work/deb/${pkg}_${KERNEL_PKG_VERSION}"_all.deb 2>/dev/null || true)
if [ -z "$deb" ]; then
	log "fetching $pkg=$KERNEL_PKG_VERSION from $uri ($KERNEL_PKG_SUITE)"
	private_apt "$work" "$work/src.sources" apt-get -qq update || die "apt-get update of $KERNEL_PKG_SUITE failed"
	if ! (cd "$work/deb" && private_apt "$work" "$work/src.sources" apt-get -qq download "$pkg=$KERNEL_PKG_VERSION"); then
		avail=$(private_apt "$work" "$work/src.sources" apt-cache madison "$pkg" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | xargs)
		die "$pkg=$KERNEL_PKG_VERSION is not on the mirror. Available: ${avail:-none}.
  Override with: make KERNEL_PKG_VERSION=<version> KERNEL_DEB_SHA256=<sha256|none> KERNEL_SRC_SHA256=<sha256|none> ...
  (TARGET=<series>-<arch> picks another series; \"none\" skips a check)"
	fi
	deb=$(ls "$work/deb/${pkg}"_*.deb | head -n1)
fi

if [ "$KERNEL_DEB_SHA256" != none ] && ! echo "$KERNEL_DEB_SHA256  $deb" | sha256sum -c --quiet - >/dev/null 2>&1; then
	rm -f "$deb" # so that the next run downloads it again
	die "sha256 of $(basename "$deb") does not match KERNEL_DEB_SHA256=$KERNEL_DEB_SHA256
  (for another version pass its sha256, or none)"
fi

log "unpacking $pkg $KERNEL_PKG_VERSION"
tmp=$(mktemp -d "$KFUNC_RS_CACHE/src/.unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/deb"
tarball=$(ls "$tmp"/deb/usr/src/linux-source-*.tar.xz | head -n1)
[ -f "$tarball" ] || die "no source tarball inside $deb"
if [ "$KERNEL_SRC_SHA256" != none ]; then
	echo "$KERNEL_SRC_SHA256  $tarball" | sha256sum -c --quiet - ||
		die "sha256 of $(basename "$tarball") does not match KERNEL_SRC_SHA256=$KERNEL_SRC_SHA256"
fi
tar -C "$tmp" -xJf "$tarball"
top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'linux-source-*' | head -n1)
[ -f "$top/Makefile" ] || die "unexpected layout in $(basename "$tarball")"
touch "$top/.kfunc-rs-unpacked"
rm -rf "$KERNEL_SRC"
mv "$top" "$KERNEL_SRC"
echo "$KERNEL_SRC"
