#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Checks that the kernel's module BTF flow ran on a kfunc-rs module as on a
# C one: resolve_btfids filled in every kfunc set (cnt = entries, ids set
# and ascending, i.e. sorted) and the .ko carries .BTF, and a distilled
# .BTF.base where the kernel's build gives one to C modules (the reference
# module, a C module of the same build, says so); that its signature records, if any, are not loaded into
# module memory (no SHF_ALLOC); and that no two of its kfuncs share an
# address (LLVM merges identical functions unless told not to).
#
#   module-btf-check.sh <kfunc-btf> <module.ko> <reference C module.ko>
. "$(dirname "$0")/common.sh"

tool=$1 ko=$2 ref=$3
sections=$(readelf -SW "$ko") || die "cannot read $ko"
grep -q ' \.BTF ' <<<"$sections" || die "$ko has no .BTF"
if readelf -SW "$ref" | grep -q ' \.BTF\.base '; then
	grep -q ' \.BTF\.base ' <<<"$sections" || die "$ko has no distilled .BTF.base (C modules of this build have one)"
fi
records=$(grep ' \.kfunc_rs\.btf ' <<<"$sections" || true)
if [ -n "$records" ] && awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\.kfunc_rs/) { f = $(i + 6); exit } } END { exit !(f ~ /A/) }' <<<"$records"; then
	die "$ko loads its signature records into module memory: $records"
fi
"$tool" sets "$ko" | awk '
	/^set8 / { if (set != "" && n != cnt) bad = bad " " set ": cnt " cnt " for " n " entries"
		   set = $2; cnt = $(NF - 2) + 0; n = 0; last = 0; sets++ ; sub(/,$/, "", cnt) }
	/^  \+/ { n++; id = $3 + 0
		  if (id == 0) bad = bad " " set ": unresolved id"
		  if (id <= last) bad = bad " " set ": ids not ascending"
		  last = id }
	END { if (set != "" && n != cnt) bad = bad " " set ": cnt " cnt " for " n " entries"
	      if (!sets) bad = " no kfunc set"
	      if (bad != "") { print "'"$ko"':" bad; exit 1 } }' >&2
shared=$("$tool" sets "$ko" | awk '/^  \+/ { print $4 }' | sort -u | while read -r k; do
	nm "$ko" | awk -v k="$k" '$3 == k && $2 ~ /[Tt]/ { print $1 }'
done | sort | uniq -d)
[ -z "$shared" ] || die "$ko: kfuncs share the address(es) $(echo $shared) (functions merged)"
