#!/usr/bin/env bash
# Checks that the kernel's module BTF flow ran on a kfunc-rs module as on a
# C one: resolve_btfids filled in every kfunc set (cnt = entries, ids set
# and ascending, i.e. sorted) and the .ko carries .BTF and a distilled
# .BTF.base; and that its signature records, if any, are not loaded into
# module memory (no SHF_ALLOC).
#
#   module-btf-check.sh <kfunc-btf> <module.ko>
. "$(dirname "$0")/common.sh"

tool=$1 ko=$2
sections=$(readelf -SW "$ko") || die "cannot read $ko"
grep -q ' \.BTF ' <<<"$sections" || die "$ko has no .BTF"
grep -q ' \.BTF\.base ' <<<"$sections" || die "$ko has no distilled .BTF.base"
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
