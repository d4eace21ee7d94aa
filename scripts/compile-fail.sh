#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The compile-fail tests: each testing/compile-fail/<case>.rs is a module
# with a mistaken kfunc declaration. Building it must fail, and the
# compiler's output must contain every "// expect: " line of the file.
# Prints one "ok"/"FAIL" line per case; exits non-zero if any failed.
#
#   compile-fail.sh <build.env>
. "$(dirname "$0")/common.sh"

# shellcheck disable=SC1090
. "$1"
dir=$KFUNC_RS_ROOT/testing/compile-fail
mo=$OUT/compile-fail
mkdir -p "$mo"
failed=0
for src in "$dir"/*.rs; do
	case=$(basename "$src" .rs)
	log=$mo/$case.log
	if kmake "$KBUILD" "$dir" "$mo" "$log" KFUNC_RS="$KFUNC_RS_ROOT" CASE="$case" 2>/dev/null; then
		echo "  FAIL   compile-fail $case: it compiled"
		failed=$((failed + 1))
		continue
	fi
	missing=
	while IFS= read -r want; do
		grep -qF -- "$want" "$log" || missing="$missing [$want]"
	done < <(sed -n 's|^// expect: ||p' "$src")
	if [ -n "$missing" ]; then
		echo "  FAIL   compile-fail $case: the errors lack$missing (log: $log)"
		failed=$((failed + 1))
	else
		echo "  ok     compile-fail $case: $(sed -n 's|^//! ||p' "$src" | head -n1)"
	fi
done
[ $failed = 0 ]
