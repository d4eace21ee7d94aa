#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make new DIR=<dir> NAME=<name>: creates a kfunc module of the user's own
# in <dir> (outside this repository), from scripts/new/: Kbuild, a
# Makefile (make, make run, make check, make env), <name>.rs with one
# kfunc set registered from init, and <name>.bpf.c whose programs call
# the kfuncs and state what they expect. It builds and passes as created.
#
#   new.sh <dir> <name>
. "$(dirname "$0")/common.sh"

dir=${1:-} name=${2:-}
[ -n "$dir" ] && [ -n "$name" ] || die "usage: make new DIR=<dir> NAME=<name>"
# The name is the module's, and the prefix of its C kfunc names.
[[ $name =~ ^[a-z][a-z0-9_]*$ ]] || die "NAME=$name: use a C identifier in lower case (the module and kfunc prefix)"
if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
	die "$dir exists and is not empty"
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case "$dir/" in
"$KFUNC_RS_ROOT"/*) die "$dir is inside kfunc-rs; make the module elsewhere" ;;
esac

tmpl=$KFUNC_RS_ROOT/scripts/new
stage=$(mktemp -d "$dir/.new.XXXXXX")
trap 'rm -rf "$stage"' EXIT
fill() { sed -e "s|@NAME@|$name|g" -e "s|@KFUNC_RS@|$KFUNC_RS_ROOT|g" "$tmpl/$1" >"$stage/$2"; }
fill Kbuild Kbuild
fill Makefile Makefile
fill module.rs "$name.rs"
fill prog.bpf.c "$name.bpf.c"
fill gitignore .gitignore
mv "$stage"/* "$stage"/.gitignore "$dir/"
rmdir "$stage"
log "created $dir: $(cd "$dir" && ls -A | tr '\n' ' ')"
log "next: make -C $dir check"
