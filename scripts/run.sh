#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make run: the demo. Builds what is missing, boots the test kernel, loads
# the sample module and calls its Rust kfuncs from BPF programs.
. "$(dirname "$0")/common.sh"

"$KFUNC_RS_ROOT/scripts/deps.sh"
env_file=$("$KFUNC_RS_ROOT/scripts/build.sh")
log "booting the test kernel under QEMU (TCG)"
"$KFUNC_RS_ROOT/scripts/boot.sh" "$env_file" demo --show-output
