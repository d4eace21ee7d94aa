#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds everything a test or demo boot needs and writes the paths to
# <out>/build.env (printed): the kernel (cached, or KDIR), the host tools,
# the project's modules (built with the kfunc-rs BTF step), the BPF
# objects and the guest runner.
. "$(dirname "$0")/common.sh"

kbuild=$("$KFUNC_RS_ROOT/scripts/kernel-build.sh")
out=$KFUNC_RS_CACHE/out/$(basename "$kbuild")-$(echo "$kbuild $KFUNC_RS_ROOT" | sha256sum | cut -c1-8)
mkdir -p "$out"
tools=$("$KFUNC_RS_ROOT/scripts/bpf-tools.sh" "$kbuild")

log "building the host tools and the guest runner (cargo)"
guest=$(build_programs)
bin=$HOST_BIN

log "building the kfunc-rs modules against $kbuild"
# shellcheck disable=SC2046 # make arguments
kmake "$kbuild" "$KFUNC_RS_ROOT" "$out/modules" "$out/modules.log" $(btf_step_args "$bin/kfunc-btf") \
	|| die "module build failed"
# Show what the build said (the BTF step filters pahole's Rust noise).
grep -v -e '^make' "$out/modules.log" >&2 || true
modules=$(built_modules "$out/modules")
for m in $modules; do
	[ -f "$m" ] || die "module build failed: $m is missing"
done

log "building a kfunc module without the BTF step (for a negative test)"
kmake "$kbuild" "$KFUNC_RS_ROOT/testing/nobtf" "$out/nobtf" "$out/nobtf.log" KFUNC_RS="$KFUNC_RS_ROOT" \
	|| die "building testing/nobtf failed"

log "building the benchmark's modules (Rust, C and C shim)"
# shellcheck disable=SC2046 # make arguments
kmake "$kbuild" "$KFUNC_RS_ROOT/testing/bench" "$out/bench" "$out/bench.log" KFUNC_RS="$KFUNC_RS_ROOT" \
	$(btf_step_args "$bin/kfunc-btf") || die "building testing/bench failed"
bench_modules=$(built_modules "$out/bench")

log "building the C twin of the sample"
kmake "$kbuild" "$KFUNC_RS_ROOT/samples/c_twin" "$out/c_twin" "$out/c_twin.log" \
	|| die "building the C twin failed"

log "building the BPF programs"
mkdir -p "$out/bpf"
# shellcheck disable=SC2086 # a list of paths
bpf_headers "$kbuild" "$tools/bin/bpftool" "$bin/kfunc-btf" "$out/include" $modules $bench_modules
bpf_objs=
for c in "$KFUNC_RS_ROOT"/samples/bpf/*.bpf.c "$KFUNC_RS_ROOT"/testing/bench/bench.bpf.c \
	"$KFUNC_RS_ROOT"/testing/stress/stress.bpf.c; do
	o=$out/bpf/$(basename "${c%.c}").o
	bpf_cc "$c" "$o" -I"$out/include" -I"$tools/include"
	bpf_objs="$bpf_objs $o"
done

cat >"$out/build.env.part" <<EOS
KBUILD='$kbuild'
BZIMAGE='$kbuild/$KERNEL_IMAGE'
BPFTOOL='$tools/bin/bpftool'
GUEST_BPFTOOL='$tools/guest-$KERNEL_ARCH/bpftool'
KFUNC_BTF='$bin/kfunc-btf'
TESTBED='$bin/testbed'
GUEST='$guest'
MODULES='$(echo $modules) $out/c_twin/kfunc_sample_c.ko $(echo $bench_modules)'
C_TWIN_OBJ='$out/c_twin/kfunc_sample_c.o'
NOBTF_MODULE='$out/nobtf/kfuncs_without_btf.ko'
BPF_OBJS='$(echo $bpf_objs)'
OUT='$out'
KERNEL_CFGS='$out/modules/kfunc-rs/rustc-cfgs'
EOS
"$KFUNC_RS_ROOT/scripts/conformance-build.sh" "$out/build.env.part" >>"$out/build.env.part" \
	|| die "building the conformance tests failed"
mv -f "$out/build.env.part" "$out/build.env"
echo "$out/build.env"
