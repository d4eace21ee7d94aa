#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the kernel-side crates (rust/ and the modules using it) with the
# kernel's CLIPPY=1 and Debian's clippy-driver matching rustc-web. Fails,
# listing them, on any compiler or clippy warning.
#
#   kernel-clippy.sh <build.env>
. "$(dirname "$0")/common.sh"

# shellcheck disable=SC1090
. "$1"
CLIPPY_DRIVER=${CLIPPY_DRIVER:-/usr/bin/clippy-driver}
out=$OUT/clippy
rm -rf "$out"
mkdir -p "$out"
# shellcheck disable=SC2046 # make arguments
kmake "$KBUILD" "$KFUNC_RS_ROOT" "$out" "$out/log" CLIPPY=1 CLIPPY_DRIVER="$CLIPPY_DRIVER" \
	$(btf_step_args "$KFUNC_BTF") || die "the CLIPPY=1 build failed"
# shellcheck disable=SC2046 # make arguments
kmake "$KBUILD" "$KFUNC_RS_ROOT/testing/bench" "$out/bench" "$out/bench.log" CLIPPY=1 \
	CLIPPY_DRIVER="$CLIPPY_DRIVER" KFUNC_RS="$KFUNC_RS_ROOT" $(btf_step_args "$KFUNC_BTF") \
	|| die "the CLIPPY=1 build of testing/bench failed"
cat "$out/bench.log" >>"$out/log"
if grep -q -e '^warning' -e '^error' "$out/log"; then
	grep -A12 -e '^warning' -e '^error' "$out/log" >&2
	die "clippy or rustc warnings in the kernel-side crates"
fi
