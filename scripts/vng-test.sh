#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Proves that virtme-ng boots the test-bed kernel, runs a command in the
# guest (the host's root over 9p) and exits by itself with the command's
# exit code and output.
#
#   vng-test.sh <bzImage> <kernel version>
. "$(dirname "$0")/common.sh"

bzimage=$1 version=$2
export PATH=$VNG_VENV/bin:$PATH
out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
timeout $((300 * TIMEOUT_FACTOR)) vng --run "$bzimage" --disable-kvm --exec 'echo kfunc-rs-vng $((6*7)); uname -r; exit 3' >"$out" 2>&1
rc=$?
set -e
if [ $rc = 124 ]; then
	tail -n 40 "$out" >&2
	die "vng did not finish within $((300 * TIMEOUT_FACTOR)) s"
fi
grep -qx 'kfunc-rs-vng 42' "$out" || { tail -n 40 "$out" >&2; die "vng: the guest command's output did not come back"; }
grep -qx "$version" "$out" || { tail -n 40 "$out" >&2; die "vng: the guest did not run Linux $version"; }
[ $rc = 3 ] || { tail -n 40 "$out" >&2; die "vng exited $rc, not the guest command's 3"; }
