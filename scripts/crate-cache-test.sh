#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# scripts/kfunc-rs-cache, the cache of the kfunc crate's build steps.
#
#   crate-cache-test.sh             with a generator of its own in place
#       of bindgen and rustc: a second module folder takes the first one's
#       outputs without running the command; an input whose contents
#       change, a new input, one that appears, another command or a
#       failing one run it again; a damaged entry is not used.
#   crate-cache-test.sh <build.env> with the kernel's Kbuild: a module
#       built in a second folder takes the crate's bindings and metadata
#       from the cache of the first, and has the BTF and .BTF_ids of the
#       same module built without a cache.
. "$(dirname "$0")/common.sh"

if [ $# = 1 ]; then
	# shellcheck disable=SC1090
	. "$1"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	export KFUNC_RS_CACHE_LOG=$tmp/log
	# build <folder> <crate cache>: testing/bench (one Rust module), the
	# BTF step, with Kbuild's default verbosity.
	build() {
		# shellcheck disable=SC2046 # make arguments
		kmake "$KBUILD" "$KFUNC_RS_ROOT/testing/bench" "$tmp/$1" "$tmp/$1.log" KFUNC_RS="$KFUNC_RS_ROOT" \
			$(btf_step_args "$KFUNC_BTF") KFUNC_RS_CRATE_CACHE="$2" || die "the build in $1 failed"
	}
	counts() { echo "$(grep -c '^miss' "$KFUNC_RS_CACHE_LOG") misses, $(grep -c '^hit' "$KFUNC_RS_CACHE_LOG") hits"; }
	# sections <folder>: the Rust module's BTF and .BTF_ids, which the
	# crate's records and checks decide.
	sections() {
		for s in .BTF .BTF_ids; do
			"llvm-objcopy$LLVM_SUFFIX" --dump-section "$s=$tmp/$1$s" "$tmp/$1/bench_rs.ko" /dev/null ||
				die "no $s in $1's module"
		done
	}
	build first "$tmp/cache"
	[ "$(counts)" = "2 misses, 0 hits" ] || die "the first folder's build: $(counts), expected 2 misses (bindings, metadata)"
	[ -d "$tmp/first/kfunc-rs" ] || die "the first build left no kfunc-rs folder"
	build second "$tmp/cache"
	[ "$(counts)" = "2 misses, 2 hits" ] || die "the second folder's build: $(counts), expected 2 hits more"
	build uncached ""
	[ "$(counts)" = "2 misses, 2 hits" ] || die "KFUNC_RS_CRATE_CACHE= used the cache: $(counts)"
	for f in first second uncached; do sections $f; done
	for s in .BTF .BTF_ids; do
		cmp -s "$tmp/second$s" "$tmp/uncached$s" && cmp -s "$tmp/first$s" "$tmp/uncached$s" ||
			die "the module's $s differs between the cached and uncached builds"
	done
	echo "crate cache: the second folder took both steps from the first; BTF and .BTF_ids as without a cache"
	exit 0
fi

cache_tool=$KFUNC_RS_ROOT/scripts/kfunc-rs-cache
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cache=$tmp/cache
export KFUNC_RS_CACHE_LOG=$tmp/log

# The generator: reads the kernel's header (an argument) and the files
# named in $tmp/src/list, writes out/a and out/b (out/ under the module
# folder, given as an absolute path, as Kbuild gives it) and a depfile
# naming the inputs it read by absolute path, and counts its runs. With
# $tmp/edit-during, it changes an input after reading it; with
# $tmp/delete-during, it removes one.
mkdir -p "$tmp/src" "$tmp/kernel" "$tmp/m1" "$tmp/m2" "$tmp/m3" "$tmp/m4" "$tmp/m3-kfunc"
cat >"$tmp/gen" <<'EOF'
#!/bin/sh
set -eu
header=$1 out=$2 dep=$3 here=$(dirname "$0")
echo run >>"$here/runs"
mkdir -p "$out"
{ cat "$header"; while read -r f; do [ -f "$f" ] && cat "$f"; done <"$here/src/list"; } >"$out/a"
echo b >"$out/b"
{ printf '%s %s:' "$out/a" "$out/b"; while read -r f; do [ ! -f "$f" ] || printf ' %s' "$f"; done <"$here/src/list"; echo; } >"$dep"
if [ -f "$here/edit-during" ]; then echo edited >>"$here/src/one.rs"; fi
if [ -f "$here/delete-during" ]; then rm "$here/src/later.rs"; fi
EOF
chmod +x "$tmp/gen"
echo "struct task_struct;" >"$tmp/kernel/header.h"
echo one >"$tmp/src/one.rs"
echo later >"$tmp/src/later.rs"
# m3-kfunc/ is a folder next to m3/ whose name begins with m3's; nest/
# holds a path that ends with m3's.
echo beside >"$tmp/m3-kfunc/x.rs"
mkdir -p "$tmp/nest$tmp/m3"
echo nested >"$tmp/nest$tmp/m3/y.rs"
printf '%s\n' "$tmp/src/one.rs" "$tmp/src/later.rs" "$tmp/m3-kfunc/x.rs" "$tmp/nest$tmp/m3/y.rs" >"$tmp/src/list"

# build <folder>: the step as rust/kfunc.mk runs it on Linux 7.3: in the
# folder, which is `.`. build_abs <folder>: as on 6.12, in another folder
# (here $tmp), the folder given by its absolute path.
build() {
	(cd "$1" && "$cache_tool" "$cache" . .dep -- GEN_FOLDER="$PWD" "$tmp/gen" "$tmp/kernel/header.h" "$PWD/out" .dep)
}
build_abs() {
	(cd "$tmp" && "$cache_tool" "$cache" "$1" "$1/.dep" -- GEN_FOLDER="$1" "$tmp/gen" "$tmp/kernel/header.h" "$1/out" "$1/.dep")
}
runs() { wc -l <"$tmp/runs"; }
last() { tail -n1 "$KFUNC_RS_CACHE_LOG" | cut -d' ' -f1; }
expect() { [ "$(last)" = "$1" ] && [ "$(runs)" = "$2" ] || die "$3: got $(last) after $(runs) runs, expected $1 after $2"; }
entries() { find "$cache/entries-1" -mindepth 1 -maxdepth 1 -type l | wc -l; }

build "$tmp/m1" || die "the first build failed"
expect miss 1 "first build"
build "$tmp/m2" || die "the second folder's build failed"
expect hit 1 "another folder"
cmp -s "$tmp/m1/out/a" "$tmp/m2/out/a" || die "the second folder's output differs"
[ -f "$tmp/m2/out/b" ] || die "the second folder lacks an output"
grep -q "^$tmp/m2/out/a $tmp/m2/out/b: $tmp/src/one.rs" "$tmp/m2/.dep" || die "the depfile does not name the second folder: $(cat "$tmp/m2/.dep")"

# Unchanged outputs keep their time, as the generator's would.
touch -d '2020-01-01' "$tmp/m2/out/a"
build "$tmp/m2" && expect hit 1 "same folder again"
[ "$(stat -c %Y "$tmp/m2/out/a")" = "$(date -d 2020-01-01 +%s)" ] || die "an unchanged output was rewritten"

# A changed input (same size and time, other contents), a changed
# argument file: each runs the command. Under a locale whose messages
# would be translated too.
echo two >"$tmp/src/one.rs.new" && touch -r "$tmp/src/one.rs" "$tmp/src/one.rs.new" && mv "$tmp/src/one.rs.new" "$tmp/src/one.rs"
LANGUAGE=de LC_ALL=C.UTF-8 build "$tmp/m2" && expect miss 2 "changed input"
grep -q two "$tmp/m2/out/a" || die "the changed input did not reach the output"
LANGUAGE=de LC_ALL=C.UTF-8 build "$tmp/m1" && expect hit 2 "the first folder after the change"
grep -q two "$tmp/m1/out/a" || die "the first folder kept the old output"
echo "struct bpf_prog;" >>"$tmp/kernel/header.h"
LANGUAGE=de LC_ALL=C.UTF-8 build "$tmp/m1" && expect miss 3 "changed argument file"
build "$tmp/m2" && expect hit 3 "after the argument file changed"

# The folder by absolute path, from another working directory: another
# entry, shared by the folders built so; a path that only begins or ends
# with the folder's (m3-kfunc/ for m3/, nest/.../m3/) is not the folder's.
build_abs "$tmp/m3" && expect miss 4 "absolute folder"
build_abs "$tmp/m4" && expect hit 4 "another absolute folder"
grep -q " $tmp/m3-kfunc/x.rs" "$tmp/m4/.dep" || die "the depfile of m4 lost m3-kfunc/: $(cat "$tmp/m4/.dep")"
grep -q " $tmp/nest$tmp/m3/y.rs" "$tmp/m4/.dep" || die "the depfile of m4 lost nest/: $(cat "$tmp/m4/.dep")"
grep -q "^$tmp/m4/out/a " "$tmp/m4/.dep" || die "the depfile does not name m4"
[ -f "$tmp/m4/out/a" ] || die "no output in m4"

# An input that is gone runs the command (which fails here).
mv "$tmp/kernel" "$tmp/kernel.gone"
build "$tmp/m2" 2>/dev/null && die "a build whose input is gone took the cache"
[ "$(runs)" = 5 ] || die "the command did not run when an input was gone"
mv "$tmp/kernel.gone" "$tmp/kernel"

# An input changed or removed while the command ran: not stored (its
# outputs may be of the old contents), so the next build runs it again.
echo three >>"$tmp/src/one.rs"
touch "$tmp/edit-during"
build "$tmp/m1" && expect nostore 6 "an input changed during the run"
rm "$tmp/edit-during"
build "$tmp/m1" && expect miss 7 "after an input changed during the run"
build "$tmp/m2" && expect hit 7 "the next folder"
echo four >>"$tmp/src/one.rs"
touch "$tmp/delete-during"
build "$tmp/m1" && expect nostore 8 "an input removed during the run"
rm "$tmp/delete-during"
echo later >"$tmp/src/later.rs"
build "$tmp/m1" && expect miss 9 "after an input was removed during the run"
build "$tmp/m2" && expect hit 9 "the next folder"

# Another command (an environment word) is another entry.
(cd "$tmp/m1" && "$cache_tool" "$cache" . .dep -- GEN_FOLDER=x "$tmp/gen" "$tmp/kernel/header.h" "$PWD/out" .dep)
expect miss 10 "another command"

# A failing command fails the step and stores nothing.
before=$(entries)
(cd "$tmp/m1" && "$cache_tool" "$cache" . .dep -- false) && die "a failing command succeeded"
[ "$(entries)" = "$before" ] || die "a failing command left an entry"

# A damaged entry (an output gone) runs the command.
for e in "$cache"/entries-1/*/; do rm -f "$e/out/1"; done
rm -rf "$tmp/m2/out"
build "$tmp/m2" && expect miss 11 "damaged entry"
[ -f "$tmp/m2/out/a" ] || die "no output after a damaged entry"

# No cache, or no temporary folder: the command runs, nothing is stored.
(cd "$tmp/m1" && "$cache_tool" "" . .dep -- GEN_FOLDER=y "$tmp/gen" "$tmp/kernel/header.h" "$PWD/out" .dep)
[ "$(runs)" = 12 ] || die "without a cache, the command did not run"
TMPDIR=$tmp/none build "$tmp/m1" || die "without a temporary folder, the build failed"
[ "$(runs)" = 13 ] || die "without a temporary folder, the command did not run"

# Storing removes entries unused for 30 days, and nothing else.
touch -h -d '40 days ago' "$cache"/entries-1/*
other=$cache/0123456789abcdef0123456789abcdef01234567
echo mine >"$other"
touch -d '40 days ago' "$other"
echo "struct bpf_map;" >>"$tmp/kernel/header.h"
build "$tmp/m1" && expect miss 14 "changed argument file, to store"
[ "$(entries)" = 1 ] || die "old entries were kept: $(ls "$cache/entries-1")"
[ -f "$other" ] || die "a file not the cache's was removed"

# Concurrent runs sharing an entry's key: two folders whose inputs (in.txt
# in the folder) differ store in turn, while a third, with the first's
# contents, builds again and again: it must always get its own outputs.
export KFUNC_RS_CACHE_LOG=$tmp/clog
cat >"$tmp/gen2" <<'EOF'
#!/bin/sh
set -eu
folder=$1
mkdir -p "$folder/out"
cat "$folder/in.txt" >"$folder/out/a"
echo "$folder/out/a: $folder/in.txt" >"$folder/.dep"
EOF
chmod +x "$tmp/gen2"
for f in c1 c2 c3; do mkdir -p "$tmp/$f"; done
echo one >"$tmp/c1/in.txt"
echo two >"$tmp/c2/in.txt"
echo one >"$tmp/c3/in.txt"
cbuild() { (cd "$tmp/$1" && "$cache_tool" "$tmp/ccache" . .dep -- "$tmp/gen2" "$PWD"); }
end=$((SECONDS + 4))
for f in c1 c2; do
	(while [ $SECONDS -lt $end ]; do cbuild $f || echo "$f failed" >>"$tmp/cbad"; done) &
done
reads=0
while [ $SECONDS -lt $end ]; do
	reads=$((reads + 1))
	cbuild c3 || echo "c3 failed" >>"$tmp/cbad"
	[ "$(cat "$tmp/c3/out/a")" = one ] || echo "c3 got $(cat "$tmp/c3/out/a")" >>"$tmp/cbad"
	grep -qx "$tmp/c3/out/a: $tmp/c3/in.txt" "$tmp/c3/.dep" || echo "c3's depfile: $(cat "$tmp/c3/.dep")" >>"$tmp/cbad"
done
wait
[ ! -s "$tmp/cbad" ] || die "concurrent runs: $(sort "$tmp/cbad" | uniq -c | head -n 5)"
grep -q '^hit' "$tmp/clog" && grep -q '^miss' "$tmp/clog" || die "concurrent runs: no hit and miss both ($(sort "$tmp/clog" | cut -d' ' -f1 | uniq -c))"
echo "kfunc-rs-cache: 14 runs as expected; $reads builds of a folder among two storing ones, each with its own outputs"
