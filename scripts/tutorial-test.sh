#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs the "Your first kfunc module" tutorial of
# Documentation/rust/kfuncs.rst as written, so that it cannot rot: the
# console block named "tutorial", its "$ " commands and their
# here-documents, with ~/greet replaced by a temporary directory. Each "make ... check" must pass; the
# last must show every program of the tutorial, the added one included.
. "$(dirname "$0")/common.sh"

doc=$KFUNC_RS_ROOT/Documentation/rust/kfuncs.rst
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
script=$work/tutorial.sh
awk '/^    :name: tutorial$/ { on = 1; next } on && /^[^ ]/ { on = 0 } on' "$doc" |
	sed 's/^    //' | sed -e 's/^\$ //' -e "s|~/greet|$work/greet|g" >"$script"
grep -q 'make -C' "$script" || die "no tutorial block in $doc"
log "the tutorial's commands:"
sed 's/^/    /' "$script" >&2
cd "$KFUNC_RS_ROOT"
start=$(date +%s)
bash -euo pipefail "$script" 2>&1 | tee "$work/out" | grep -E '^( *(ok|FAIL)|[0-9]+ passed|testbed:)' || true
status=${PIPESTATUS[0]}
log "the tutorial took $(($(date +%s) - start)) s"
[ "$status" = 0 ] || die "the tutorial failed (exit $status)"
# Every check of the tutorial ended in "N passed, 0 failed".
[ "$(grep -c '^[0-9]* passed, 0 failed$' "$work/out")" = "$(grep -c 'make -C .* check' "$script")" ] \
	|| die "a make check of the tutorial did not pass"
grep -q '^  ok     greet/triple$' "$work/out" || die "the added program greet/triple did not run"
