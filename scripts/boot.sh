#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boots the test bed in QEMU: builds the initramfs for <mode> from
# build.env and runs testbed, which reads the guest's KTAP.
#
#   boot.sh <build.env> check|demo|user|bench [testbed options...]
#
# ONLY=<group>[,<group>...] runs only those groups of check's guest tests
# (sample, twin, nobtf, features, conformance, bench, stress); STRESS=full
# makes the stress group run its full length (make stress).
. "$(dirname "$0")/common.sh"

env_file=$1 mode=$2
shift 2
# shellcheck disable=SC1090
. "$env_file"
initrd=$OUT/initrd-$mode.cpio.gz
# shellcheck disable=SC2086 # lists of paths
"$KFUNC_RS_ROOT/scripts/initramfs.sh" "$initrd" --bin "$GUEST" "$GUEST_BPFTOOL" \
	--module $MODULES $NOBTF_MODULE $CONFORMANCE_MODULES --bpf $BPF_OBJS $CONFORMANCE_BPF_OBJS --data $CONFORMANCE_CASES ${KERNEL_CFGS:-}
QEMU=${QEMU:-$QEMU_SYSTEM} exec "$TESTBED" boot --arch "$KERNEL_ARCH" --kernel "$BZIMAGE" --initrd "$initrd" --out "$OUT/boot-$mode" \
	--append "kfunc_rs.mode=$mode${ONLY:+ kfunc_rs.only=$ONLY}${STRESS:+ kfunc_rs.stress=$STRESS}${KERNEL_VARIANT:+ kfunc_rs.variant=$KERNEL_VARIANT}" \
	--cpus "$GUEST_CPUS" --memory "$GUEST_MEMORY" --timeout "${BOOT_TIMEOUT:-$((300 * TIMEOUT_FACTOR))}" "$@"
