# SPDX-License-Identifier: GPL-2.0
#
# kfunc-rs: Rust kfuncs for BPF programs.
#
#   make run      the demo: boot a test kernel, call Rust kfuncs from BPF
#   make check    every test (host, build, QEMU guest, virtme-ng)
#   make new DIR=<dir> NAME=<name>
#                 a module of your own in <dir>, with make/run/check
#   make env      the settings to build a module against the test kernel
#   make bench    Rust kfuncs against C and the C shim: BENCHMARKS.md
#   make quick ONLY=sample   rebuild and run one group of guest tests
#   make fuzz     fuzz kfunc-btf's parsers, 10 minutes each
#   make stress   the stress tests at full length (TARGET=7.3-x86_64-debug:
#                 on the debug kernel)
#
# KDIR=<prepared kernel build> uses your kernel instead of the cached one.
# Caches live in $(KFUNC_RS_CACHE) (default ~/.cache/kfunc-rs).
# (Kbuild, not this file, describes the modules; see rust/kfunc.mk.)

# Settings passed to the scripts when given (scripts/common.sh has the
# defaults); exporting an unset one would pass it as empty.
settings := KDIR KFUNC_RS_CACHE TARGET KERNEL_PKG_VERSION KERNEL_PKG_SUITE KERNEL_DEB_SHA256 \
	    KERNEL_SRC_SHA256 LLVM_SUFFIX KRUSTC BOOT_TIMEOUT
$(foreach v,$(settings),$(if $(filter undefined,$(origin $(v))),,$(eval export $(v))))

.PHONY: run check quick bench fuzz stress deps kernel build new env clean distclean help

run:
	@scripts/run.sh

check:
	@scripts/check.sh

bench:
	@scripts/bench.sh

fuzz:
	@scripts/fuzz.sh $(or $(FUZZ_SECONDS),600)

stress:
	@STRESS=full ONLY=stress scripts/boot.sh "$$(scripts/build.sh)" check --timeout 3600

# The edit-build-test loop: rebuild what changed, boot, run the guest
# tests of ONLY (sample, twin, nobtf, features, conformance, bench,
# stress; all if empty) for one target; no host tests, lint or other
# stages.
quick:
	@ONLY="$(ONLY)" scripts/boot.sh "$$(scripts/build.sh)" check

deps:
	@scripts/deps.sh

kernel: deps
	@scripts/kernel-build.sh

build: deps
	@scripts/build.sh

new:
	@scripts/new.sh "$(DIR)" "$(NAME)"

env:
	@scripts/user.sh env

# Removes built modules, boot logs and cargo output; keeps the kernel,
# its source and the tools.
clean:
	c="$${KFUNC_RS_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/kfunc-rs}"; rm -rf "$$c/out" "$$c/cargo-target" "$$c/crate"

# Removes every cache of kfunc-rs.
distclean:
	rm -rf "$${KFUNC_RS_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/kfunc-rs}"

help:
	@sed -n '3,18p' Makefile
