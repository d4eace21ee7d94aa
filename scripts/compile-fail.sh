#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The compile-fail tests: each testing/compile-fail/<case>.rs is a module
# with a mistaken kfunc declaration. Building it must fail, and the
# compiler's output must contain every "// expect: " line of the file, and
# every "// expect[<cfg>]: " (or "// expect[!<cfg>]: ") line whose cfg the
# target kernel sets (does not set): the kfunc crate's cfgs, such as
# kfunc_stack_args or kfunc_flag="FASTCALL" (kfunc-rs-bindgen.sh).
# Prints one "ok"/"FAIL" line per case; exits non-zero if any failed.
#
#   compile-fail.sh <build.env>
. "$(dirname "$0")/common.sh"

# shellcheck disable=SC1090
. "$1"
dir=$KFUNC_RS_ROOT/testing/compile-fail
mo=$OUT/compile-fail
mkdir -p "$mo"
# The target's cfgs, as written in the cases: kfunc_flag="X".
cfgs=$(sed -e "s/^'//" -e "s/'$//" -e 's/^--cfg=//' "$OUT/modules/kfunc-rs/rustc-cfgs") \
	|| die "no rustc-cfgs in $OUT/modules/kfunc-rs"
# The expectations of case file $1 for this target, one a line.
expectations() {
	local line cond text
	while IFS= read -r line; do
		case "$line" in
		"// expect: "*) echo "${line#// expect: }" ;;
		"// expect["*"]: "*)
			cond=${line#// expect[}
			cond=${cond%%]: *}
			text=${line#*]: }
			case "$cond" in
			!*) grep -qxF -- "${cond#!}" <<<"$cfgs" || echo "$text" ;;
			*) grep -qxF -- "$cond" <<<"$cfgs" && echo "$text" ;;
			esac
			;;
		esac
	done <"$1"
}
failed=0
for src in "$dir"/*.rs; do
	case=$(basename "$src" .rs)
	log=$mo/$case.log
	if kmake "$KBUILD" "$dir" "$mo" "$log" KFUNC_RS="$KFUNC_RS_ROOT" CASE="$case" 2>/dev/null; then
		echo "  FAIL   compile-fail $case: it compiled"
		failed=$((failed + 1))
		continue
	fi
	[ -n "$(expectations "$src")" ] || {
		echo "  FAIL   compile-fail $case: no expectation for this target"
		failed=$((failed + 1))
		continue
	}
	missing=
	while IFS= read -r want; do
		grep -qF -- "$want" "$log" || missing="$missing [$want]"
	done < <(expectations "$src")
	if [ -n "$missing" ]; then
		echo "  FAIL   compile-fail $case: the errors lack$missing (log: $log)"
		failed=$((failed + 1))
	else
		echo "  ok     compile-fail $case: $(sed -n 's|^//! ||p' "$src" | head -n1)"
	fi
done
[ $failed = 0 ]
