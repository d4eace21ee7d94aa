#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Generates the kfunc crate's bindings and constant lists from the target
# kernel's headers. Run by Kbuild (rust/kfunc.mk):
#
#   kfunc-rs-bindgen.sh <bindgen> <srctree> <objtree> <bindings_helper.h> <outdir> <depfile>
#
# The clang flags are the ones the kernel used for its own Rust bindings,
# read from rust/bindings/.bindings_generated.rs.cmd, so types come out
# exactly as the kernel crate sees them. Outputs, all in <outdir>:
#   bindings_generated.rs      btf_kfunc_id_set, btf_id_set8, bpf_prog, KF_*, ...
#   flags_generated.rs         a KfuncFlags constant per KF_* of include/linux/btf.h
#   prog_types_generated.rs    a ProgType constant per enum bpf_prog_type value
#   kernel_types_generated.rs  every struct/union of kernel::bindings
#   limits_generated.rs        how many parameters a kfunc may have
#   rustc-cfgs                 --cfg flags for the kernel crate's layout
# and <depfile>, a make rule: those files, then the files read (the
# headers bindgen parsed, the kernel's files looked at here, and the
# kernel crate, whose layout the cfgs describe), by absolute path, for
# Kbuild and scripts/kfunc-rs-cache. Only files that exist: Kbuild's
# fixdep reads each one.
set -eu

bindgen=$1 srctree=$2 objtree=$3 helper=$4 out=$5 depfile=$6
mkdir -p "$out"
depfile=$(cd "$(dirname "$depfile")" && pwd)/$(basename "$depfile")
helper=$(cd "$(dirname "$helper")" && pwd)/$(basename "$helper")
out=$(cd "$out" && pwd)
srctree=$(cd "$srctree" && pwd)
case "$bindgen" in */*) bindgen=$(cd "$(dirname "$bindgen")" && pwd)/$(basename "$bindgen") ;; esac
# The kernel's include paths are relative to its objtree.
cd "$objtree"
cmd_file=rust/bindings/.bindings_generated.rs.cmd
kernel_bindings=rust/bindings/bindings_generated.rs

fail() { echo "kfunc-rs-bindgen: $*" >&2; exit 1; }
[ -f "$cmd_file" ] || fail "$objtree/$cmd_file is missing: the kernel must be built with CONFIG_RUST=y"
[ -f "$kernel_bindings" ] || fail "$objtree/$kernel_bindings is missing"

# The clang part of the kernel's bindgen command: after " -- ", before the
# "; sed" that follows it, without the dependency-file option.
cflags=$(head -n1 "$cmd_file" | sed -e 's/^[^=]*:= .* -- //' -e 's/ ; .*//' \
	-e 's/-Wp,-MMD,[^ ]*//' -e "s/-DKBUILD_[A-Z]*='[^']*'//g" -e 's/-D__KBUILD_MODNAME=[^ ]*//')
[ -n "$cflags" ] || fail "cannot read the clang flags from $cmd_file"
# The command line is shell syntax (arm64 has -DARM64_ASM_ARCH='"armv8.5-a"'):
# let the shell split it and remove its quotes, as it did for the kernel.
eval "set -- $cflags" || fail "cannot split the clang flags of $cmd_file"

tmp=$(mktemp -d "$out/.gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$bindgen" "$helper" \
	--use-core --ctypes-prefix ffi --no-doc-comments --no-layout-tests \
	--rust-target 1.85 \
	--allowlist-type btf_kfunc_id_set --allowlist-type btf_id_set8 \
	--allowlist-type bpf_prog --allowlist-type btf_id_dtor_kfunc \
	--allowlist-function register_btf_kfunc_id_set --allowlist-function register_btf_id_dtor_kfuncs \
	--allowlist-function register_btf_fmodret_id_set \
	--allowlist-var 'KF_.*' --allowlist-var BTF_SET8_KFUNCS --allowlist-var EACCES \
	--allowlist-var MAX_BPF_FUNC_ARGS --allowlist-var MAX_BPF_FUNC_REG_ARGS \
	--constified-enum-module bpf_prog_type --constified-enum-module bpf_attach_type \
	--opaque-type module --opaque-type bpf_prog_aux --opaque-type sock_fprog_kern \
	--opaque-type bpf_prog_stats --opaque-type 'bpf_insn' \
	--depfile "$tmp/headers.d" -o "$tmp/bindings_generated.rs" -- "$@" -DMODULE \
	|| fail "bindgen failed on $helper"

gen=$tmp/bindings_generated.rs

# KfuncFlags: one constant per KF_* that bindgen saw, documented with the
# comment next to its #define in include/linux/btf.h.
{
echo "impl KfuncFlags {"
sed -n 's/^pub const KF_\([A-Z0-9_]*\): u32 = .*;$/\1/p' "$gen" | sort -u | while read -r f; do
	doc=$(sed -n "s|^#define[[:space:]]*KF_${f}[[:space:]].*/\*[[:space:]]*\(.*[^[:space:]]\)[[:space:]]*\*/.*|\1|p" \
		"$srctree/include/linux/btf.h" | head -n1)
	printf '    /// `KF_%s`%s\n    pub const %s: Self = Self(bindings::KF_%s);\n' \
		"$f" "${doc:+: $doc}" "$f" "$f"
done
# The flags the crate's own checks and types use, which some kernels lack
# (TRUSTED_ARGS: newer ones, where every kfunc's arguments are trusted):
# empty there, so that the crate compiles for every kernel.
for f in ARENA_RET ARENA_ARG1 ARENA_ARG2 IMPLICIT_ARGS FASTCALL TRUSTED_ARGS; do
	if grep -q "^pub const KF_$f: u32" "$gen"; then v="bindings::KF_$f"; else v=0; fi
	printf '    /// `KF_%s`, or no flag if this kernel lacks it.\n    pub(crate) const OPT_%s: Self = Self(%s);\n' "$f" "$f" "$v"
done
# TRUSTED_ARGS: where the kernel trusts every kfunc's arguments, there is
# no flag; the spelling stays valid (and empty) so that one declaration
# serves kernels on both sides.
if ! grep -q "^pub const KF_TRUSTED_ARGS: u32" "$gen"; then
	printf '    /// `KF_TRUSTED_ARGS`: this kernel trusts every kfunc argument without\n    /// it, so no flag.\n    pub const TRUSTED_ARGS: Self = Self(0);\n'
fi
echo "}"
} >"$tmp/flags_generated.rs"
grep -q 'pub const ACQUIRE:' "$tmp/flags_generated.rs" || fail "no KF_* flags found in the bindings"

# ProgType: one constant per enum bpf_prog_type value.
{
echo "impl ProgType {"
sed -n 's/^ *pub const BPF_PROG_TYPE_\([A-Z0-9_]*\): Type = .*;$/\1/p' "$gen" | while read -r t; do
	printf '    /// `BPF_PROG_TYPE_%s`\n    pub const %s: Self = Self(bindings::bpf_prog_type::BPF_PROG_TYPE_%s);\n' "$t" "$t" "$t"
done
echo "}"
} >"$tmp/prog_types_generated.rs"
grep -q 'pub const TRACING:' "$tmp/prog_types_generated.rs" || fail "no bpf_prog_type values found in the bindings"

# Every C struct and union that kernel::bindings has, so that a pointer to
# any of them is a valid kfunc parameter (found by name in vmlinux BTF).
{
	echo "impl_kernel_types! {"
	sed -n -e 's/^pub struct \([A-Za-z0-9_]*\) *[{(].*/struct \1,/p' \
		-e 's/^pub union \([A-Za-z0-9_]*\) *{.*/union \1,/p' "$kernel_bindings" |
		grep -v -e ' __Bindgen' -e ' __Incomplete' -e '__bindgen_ty_' -e '_bindgen_' | sort -u
	echo "}"
} >"$tmp/kernel_types_generated.rs"

# Kfunc parameters: MAX_BPF_FUNC_REG_ARGS in registers and, where the
# kernel and this architecture's BPF JIT pass kfunc arguments on the
# stack (bpf_jit_supports_stack_args()), up to MAX_BPF_FUNC_ARGS.
grep -q '^pub const MAX_BPF_FUNC_REG_ARGS: u32' "$gen" || fail "no MAX_BPF_FUNC_REG_ARGS in the bindings"
# Kbuild exports SRCARCH.
srcarch=${SRCARCH:-$(sed -n 's/^CONFIG_X86=y$/x86/p; s/^CONFIG_ARM64=y$/arm64/p' include/config/auto.conf | head -n1)}
if grep -q 'bool bpf_jit_supports_stack_args' "$srctree/include/linux/filter.h" 2>/dev/null &&
	grep -qs '^bool bpf_jit_supports_stack_args' "$srctree/arch/$srcarch/net/"*.c; then
	max=bindings::MAX_BPF_FUNC_ARGS
else
	max=bindings::MAX_BPF_FUNC_REG_ARGS
fi
# The parameter-name suffixes this kernel's verifier reads
# (kernel/bpf/*.c: the strings given to its suffix matchers).
suffixes=$(grep -h 'suffix(' "$srctree"/kernel/bpf/*.c | grep -o '"__[a-z_]*"' | sort -u | tr '\n' ' ')
[ -n "$suffixes" ] || fail "no kfunc parameter suffixes found in $srctree/kernel/bpf"
# The most kfuncs of one module the kernel registers for one verifier
# hook (an enum constant of kernel/bpf/btf.c).
set_max=$(sed -n 's/^[[:space:]]*BTF_KFUNC_SET_MAX_CNT[[:space:]]*=[[:space:]]*\([0-9]*\),.*/\1/p' \
	"$srctree/kernel/bpf/btf.c" | head -n1)
[ -n "$set_max" ] || fail "no BTF_KFUNC_SET_MAX_CNT in $srctree/kernel/bpf/btf.c"
cat >"$tmp/limits_generated.rs" <<EOS
/// The most parameters a kfunc may have with this kernel and architecture.
pub const KFUNC_MAX_ARGS: usize = crate::$max as usize;
/// The most kfunc parameters passed in registers (\`MAX_BPF_FUNC_REG_ARGS\`).
pub const KFUNC_MAX_REG_ARGS: usize = crate::bindings::MAX_BPF_FUNC_REG_ARGS as usize;
/// The most kfuncs of one module registered for one verifier hook
/// (\`BTF_KFUNC_SET_MAX_CNT\`).
pub const KFUNC_SET_MAX: usize = $set_max;
/// The parameter-name suffixes this kernel's verifier knows.
pub const KFUNC_SUFFIXES: &[&str] = &[$(echo "$suffixes" | sed 's/" "/", "/g; s/ $//')];
EOS

# The kernel crate's layout (rust/compat.rs), as rustc cfgs: one word a
# line, for the kfunc crate and the crates that use it (rust/kfunc.mk).
{
	[ -f "$srctree/rust/kernel/sync/aref.rs" ] && echo "--cfg=kfunc_kernel_aref"
	[ -f "$srctree/rust/kernel/sync/refcount.rs" ] && echo "--cfg=kfunc_kernel_refcount"
	[ -f "$srctree/rust/kernel/transmute.rs" ] && echo "--cfg=kfunc_kernel_transmute"
	grep -qs 'pub fn tgid(&self)' "$srctree/rust/kernel/task.rs" && echo "--cfg=kfunc_kernel_task_tgid"
	grep -qs 'pub fn raw_smp_processor_id()' rust/bindings/bindings_helpers_generated.rs && echo "--cfg=kfunc_kernel_smp_id"
	grep -qs 'macro_rules! warn_on' "$srctree/rust/kernel/bug.rs" && echo "--cfg=kfunc_kernel_warn_on"
	# What this kernel's kfuncs can do, for modules to #[cfg] on: its
	# KF_* flags, the suffixes its verifier reads, stack arguments.
	# (Quoted for the shell that runs rustc: cfg values keep their quotes.)
	sed -n "s/^pub const KF_\([A-Z0-9_]*\): u32 = .*;$/'--cfg=kfunc_flag=\"\1\"'/p" "$gen" | sort -u
	for x in $suffixes; do x=${x#'"__'}; echo "'--cfg=kfunc_suffix=\"${x%'"'}\"'"; done
	[ "$max" = bindings::MAX_BPF_FUNC_ARGS ] && echo "--cfg=kfunc_stack_args"
	# This kernel's resolve_btfids refuses a kfunc whose flags differ
	# between two sets (it dedups the kfuncs of all sets, failing the
	# module build), so a `fn name;` entry may add no flags. Only its
	# source says so.
	grep -qs 'inconsistent flags across BTF ID sets' "$srctree/tools/bpf/resolve_btfids/main.c" \
		&& echo "--cfg=kfunc_same_flags_in_every_set"
	true
} >"$tmp/rustc-cfgs"

outputs="bindings_generated.rs flags_generated.rs prog_types_generated.rs kernel_types_generated.rs limits_generated.rs rustc-cfgs"
for f in $outputs; do
	if ! cmp -s "$tmp/$f" "$out/$f"; then mv -f "$tmp/$f" "$out/$f"; fi
done

# The depfile: the headers of bindgen's (after its target), the files
# read above; paths relative to the objtree made absolute.
{
	for f in $outputs; do printf '%s ' "$out/$f"; done
	printf ':'
	{
		sed -e 's/^[^:]*://' -e 's/\\$//' "$tmp/headers.d" | tr ' ' '\n'
		echo # bindgen ends its last line without one
		printf '%s\n' "$helper" "$cmd_file" "$kernel_bindings" include/config/auto.conf \
			rust/bindings/bindings_helpers_generated.rs "$srctree/include/linux/btf.h" \
			"$srctree/include/linux/filter.h" "$srctree/arch/$srcarch/net/"*.c "$srctree/kernel/bpf/"*.c \
			"$srctree/tools/bpf/resolve_btfids/main.c" "$srctree/rust/kernel/sync/aref.rs" \
			"$srctree/rust/kernel/sync/refcount.rs" "$srctree/rust/kernel/transmute.rs" \
			"$srctree/rust/kernel/task.rs" "$srctree/rust/kernel/bug.rs" rust/libkernel.rmeta
	} | awk -v O="$PWD" 'NF { if (substr($0, 1, 1) != "/") $0 = O "/" $0; if (!seen[$0]++) print }' |
		while IFS= read -r f; do if [ -e "$f" ]; then printf ' \\\n  %s' "$f"; fi; done
	echo
} >"$tmp/deps" || fail "cannot write the depfile"
mv -f "$tmp/deps" "$depfile"
