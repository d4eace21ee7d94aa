#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A full-size kfunc set whose entries name kfuncs of another set too
# (`fn name;`): scripts/bench-gen.sh writes 300 kfuncs in two sets, 251
# and 51 entries, in Rust and in C. Both must build (the Rust one with the
# BTF step), and `kfunc-btf sets` must find in the Rust module the sets
# the C macros lay out for the C one: the same entries, in the same
# order, with the same flags. The Rust module is built incrementally
# (KFUNC_RS_INCREMENTAL=1, rust/kfunc.mk), and again after an edit of one
# kfunc's body: the rebuilt object must differ, and the module must have
# the code, records, BTF and sets of the same source built from scratch
# without the incremental cache.
#
#   large-set-test.sh <build.env>
. "$(dirname "$0")/common.sh"

# shellcheck disable=SC1090
. "$1"
work=$OUT/large-set
rm -rf "$work"
# build <language> <output dir> [make arguments]
build() {
	local lang=$1 out=$2
	shift 2
	# shellcheck disable=SC2046 # make arguments
	kmake "$KBUILD" "$work/$lang" "$out" "$out.log" KFUNC_RS="$KFUNC_RS_ROOT" \
		$(btf_step_args "$KFUNC_BTF") "$@" || die "the $lang module of 300 kfuncs in shared sets did not build"
}
# same_sets: the Rust module's sets are the C module's.
same_sets() {
	"$KFUNC_BTF" sets "$work/rs/out/scale_rs_300.o" | sed -e 's/SCALE/scale_kfuncs/' -e 's/scale_rs_/scale_c_/' >"$work/rs.sets"
	diff -u "$work/c.sets" "$work/rs.sets" >&2 || die "the Rust sets differ from the C ones (above)"
}
for lang in rs c; do
	"$KFUNC_RS_ROOT/scripts/bench-gen.sh" "$work/$lang" "$lang" 300 shared
done
build c "$work/c/out"
build rs "$work/rs/out" KFUNC_RS_INCREMENTAL=1
"$KFUNC_BTF" sets "$work/c/out/scale_c_300.o" >"$work/c.sets"
[ "$(grep -c ' flags ' "$work/c.sets")" = 304 ] || die "the C module's sets are not 2 sets of 251 and 51 kfuncs"
same_sets
[ -d "$work/rs/out/.kfunc-rs-incremental/scale_rs_300" ] || die "KFUNC_RS_INCREMENTAL=1 left no incremental cache"
before=$(md5sum <"$work/rs/out/scale_rs_300.o")
"$KFUNC_RS_ROOT/scripts/bench-gen.sh" edit "$work/rs" 1 1
build rs "$work/rs/out" KFUNC_RS_INCREMENTAL=1
[ "$(md5sum <"$work/rs/out/scale_rs_300.o")" != "$before" ] || die "the incremental rebuild left the object as it was"
same_sets
build rs "$work/rs/scratch"
for out in out scratch; do
	"$KFUNC_BTF" dump "$work/rs/$out/scale_rs_300.ko" >"$work/$out.records" || die "kfunc-btf dump $out failed"
done
cmp "$work/out.records" "$work/scratch.records" >&2 ||
	die "the signature records of the incremental rebuild differ from the build from scratch"
for section in .text .BTF .BTF_ids; do
	for out in out scratch; do
		"llvm-objcopy$LLVM_SUFFIX" --dump-section "$section=$work/$out$section" \
			"$work/rs/$out/scale_rs_300.ko" "$work/$out.discard" || die "no $section in $work/rs/$out/scale_rs_300.ko"
	done
	cmp "$work/out$section" "$work/scratch$section" >&2 ||
		die "$section of the incremental rebuild differs from the build from scratch"
done
