/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C API kfunc-rs binds with bindgen at module build time, from the
 * target kernel's own headers (scripts/kfunc-rs-bindgen.sh).
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/errno.h>
