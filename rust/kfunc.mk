# SPDX-License-Identifier: GPL-2.0
#
# Kbuild support for modules written with kfunc-rs. In the module's Kbuild:
#
#   include $(KFUNC_RS)/rust/kfunc.mk
#   obj-m += my_kfuncs.o
#   $(eval $(call kfunc_rs_user,my_kfuncs.o))
#
# and build with the kfunc-rs BTF step in place of pahole:
#
#   make -C $(KDIR) M=$(PWD) PAHOLE=$(KFUNC_RS)/scripts/kfunc-rs-pahole \
#        KFUNC_RS=$(KFUNC_RS) KFUNC_RS_BTF=<kfunc-btf binary> modules
#
# The crate is compiled to metadata only (rust/kfunc.rs says why), after
# its bindings are generated from this kernel's headers: once for all the
# modules built against one kernel with one toolchain and one kfunc-rs,
# which take both from a cache (scripts/kfunc-rs-cache), by default
# ~/.cache/kfunc-rs/crate. KFUNC_RS_CRATE_CACHE=<folder> on the make
# command line puts it elsewhere; KFUNC_RS_CRATE_CACHE= (empty) builds
# them in each module's output folder. Not with CLIPPY=1: that build is
# run for the lints of the crate's own compilation.

KFUNC_RS ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
# One spelling (Kbuild's $(src) may end in /.), for the cache's keys.
override KFUNC_RS := $(abspath $(KFUNC_RS))
kfunc-rs-gen := $(obj)/kfunc-rs
kfunc-rs-rmeta := $(kfunc-rs-gen)/libkfunc.rmeta

KFUNC_RS_CRATE_CACHE ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME)/kfunc-rs/crate,$(if $(HOME),$(HOME)/.cache/kfunc-rs/crate))
# The command after it runs unless the cache has its outputs for inputs
# with the same contents. Each command writes $(depfile), which names them.
kfunc-rs-cached = $(CONFIG_SHELL) $(KFUNC_RS)/scripts/kfunc-rs-cache \
		  '$(if $(CLIPPY),,$(abspath $(KFUNC_RS_CRATE_CACHE)))' $(obj) $(depfile) --

quiet_cmd_kfunc_rs_bindgen = BINDGEN $(kfunc-rs-gen)
# Two commands, not `a && touch`: Kbuild runs a command under `set -e`,
# which ignores a failure on the left of `&&`, so the build went on.
      cmd_kfunc_rs_bindgen = $(kfunc-rs-cached) $(CONFIG_SHELL) $(KFUNC_RS)/scripts/kfunc-rs-bindgen.sh \
			     $(BINDGEN) $(srctree) $(objtree) $< $(kfunc-rs-gen) $(depfile); touch $@

# The generator rewrites only the files whose contents change, so the
# stamp, not the files, tells make that it ran; rustc's dependency file
# then rebuilds the crate only when a generated file really changed. Its
# depfile names the headers and kernel files it read.
$(kfunc-rs-gen)/bindgen.stamp: $(KFUNC_RS)/rust/bindings_helper.h \
		$(KFUNC_RS)/scripts/kfunc-rs-bindgen.sh $(objtree)/rust/bindings/bindings_generated.rs FORCE
	$(call if_changed_dep,kfunc_rs_bindgen)

# The --cfg flags of the kernel crate's layout (rust/compat.rs), written
# by the bindgen step; read when a command runs, after that step.
kfunc-rs-cfgs = $(shell cat $(kfunc-rs-gen)/rustc-cfgs 2>/dev/null)

# The one Kbuild internal kfunc-rs uses: rust_common_cmd, the rustc command
# of Rust objects (scripts/Makefile.build, defined after this file is
# read, so checked when the command runs), which knows the kernel's flags,
# sysroot and externs. Older kernels put a --crate-name of the target
# file's name in it, which this crate replaces. Newer ones remap the
# module's source folder, which means nothing to the crate and would give
# each module a cache entry of its own: it is left out too.
kfunc-rs-rustc = $(if $(rust_common_cmd),$(subst --remap-path-prefix=$(srcroot)/=,,$(subst \
	--crate-name $(basename $(notdir $@)),,$(rust_common_cmd))),$(error \
	kfunc-rs: this kernel's scripts/Makefile.build has no rust_common_cmd, which rust/kfunc.mk needs to build the kfunc crate))

quiet_cmd_kfunc_rs_rmeta = $(RUSTC_OR_CLIPPY_QUIET) $@
# The metadata taken from the cache may be the one in place: it is
# touched, as a run of rustc would have rewritten it.
      cmd_kfunc_rs_rmeta = $(kfunc-rs-cached) KFUNC_RS_GENERATED=$(abspath $(kfunc-rs-gen)) \
			   $(kfunc-rs-rustc) --crate-name kfunc $(kfunc-rs-cfgs) \
			   -Zalways-encode-mir --emit=metadata=$@ $<; touch $@

$(kfunc-rs-rmeta): $(KFUNC_RS)/rust/kfunc.rs FORCE | $(kfunc-rs-gen)/bindgen.stamp
	+$(call if_changed_dep,kfunc_rs_rmeta)

targets += kfunc-rs/bindgen.stamp kfunc-rs/libkfunc.rmeta

# The crate is instrumented as the module's Rust objects are: rustc
# refuses to use a crate built without the -Zsanitizer (KASAN) of the
# crate using it. Kbuild instruments only the objects it links, which the
# crate's metadata is not, so it is asked for by file, as
# Documentation/dev-tools/kasan.rst describes. A module that opts its
# objects out of KASAN must opt the crate out too, in its Kbuild:
# KASAN_SANITIZE_kfunc-rs/libkfunc.o := n.
KASAN_SANITIZE_kfunc-rs/libkfunc.o ?= y

# KFUNC_RS_INCREMENTAL=1 on the make command line compiles each crate
# using the kfunc crate incrementally (rustc -Cincremental), with its
# query cache in $(obj)/.kfunc-rs-incremental/<object>: after an edit of
# a few kfuncs, the rebuild reuses the type checking, declarations, checks
# and signature records of the others (BENCHMARKS.md: rebuild times, the
# cache's size). For the edit-build loop: off by default, as for the
# kernel's own Rust, since the cache grows with the module. make clean
# removes it.
kfunc-rs-incremental = $(if $(filter 1,$(KFUNC_RS_INCREMENTAL)),-Cincremental=$(abspath $(obj))/.kfunc-rs-incremental/$(1))
clean-files += .kfunc-rs-incremental

# $(call kfunc_rs_user,<object>): <object>, a Rust crate of this Kbuild
# file, uses the kfunc crate. Its identical functions stay distinct
# (-Zmerge-functions=disabled), as in C: otherwise LLVM makes kfuncs with
# the same code aliases of one address, which kallsyms, kprobes and
# tracing then report under one of the names.
define kfunc_rs_user
$(obj)/$(1): $(kfunc-rs-rmeta)
RUSTFLAGS_$(basename $(1)).o += --extern kfunc=$(kfunc-rs-rmeta) -Zmerge-functions=disabled $$(kfunc-rs-cfgs) \
	$(call kfunc-rs-incremental,$(basename $(1)))
endef
