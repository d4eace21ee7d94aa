#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fuzzes kfunc-btf's parsers (tools/kfunc-btf/fuzz: records, module,
# unload_records) with cargo-fuzz (libFuzzer, coverage-guided; built on
# the stable toolchain without a sanitizer), each for <seconds>, seeded
# with the hostile-input corpus (tools/kfunc-btf/tests/corpus). What the
# fuzzers learn is kept in the cache, so runs build on each other. Prints
# one line per target, "fuzz <target>: <executions> executions, <n>
# crashes"; exits non-zero on a crash, naming the input that caused it.
#
#   fuzz.sh <seconds per target>     (make check: 20; make fuzz: 600)
. "$(dirname "$0")/common.sh"

seconds=${1:?usage: fuzz.sh <seconds per target>}
lock fuzz
root=$KFUNC_RS_CACHE/tools/cargo-fuzz-$CARGO_FUZZ_VERSION
if ! [ -x "$root/bin/cargo-fuzz" ]; then
	log "installing cargo-fuzz $CARGO_FUZZ_VERSION into $root (a few minutes)"
	cargo install --quiet --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION" --root "$root" \
		|| die "cargo install cargo-fuzz failed"
fi
fuzz_dir=$KFUNC_RS_ROOT/tools/kfunc-btf/fuzz
seeds=$KFUNC_RS_ROOT/tools/kfunc-btf/tests/corpus
work=$KFUNC_RS_CACHE/fuzz
status=0
cd "$fuzz_dir"
for target in records module unload_records; do
	# This run's crashing inputs only; what the fuzzer learnt stays.
	rm -rf "$work/artifacts/$target"
	mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
	log "fuzzing $target for $seconds s"
	"$root/bin/cargo-fuzz" build --sanitizer none --target-dir "$CARGO_TARGET_DIR/fuzz" "$target" \
		>"$work/$target.build.log" 2>&1 || { tail -20 "$work/$target.build.log" >&2; die "building fuzzer $target failed"; }
	set +e
	"$root/bin/cargo-fuzz" run --sanitizer none --target-dir "$CARGO_TARGET_DIR/fuzz" "$target" \
		"$work/corpus/$target" "$seeds" -- -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/$target/" -close_fd_mask=1 >"$work/$target.log" 2>&1
	rc=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log" | tail -n1)
	crashes=$(grep -c '^==[0-9]*== ERROR: libFuzzer' "$work/$target.log" || true)
	echo "fuzz $target: ${execs:-0} executions, $crashes crashes"
	if [ "$rc" != 0 ] || [ -z "$execs" ]; then
		grep -A15 -e 'panicked' -e 'ERROR: libFuzzer' "$work/$target.log" | head -n 30 >&2 || tail -n 20 "$work/$target.log" >&2
		find "$work/artifacts/$target" -type f | sed 's/^/  crashing input: /' >&2
		status=1
	fi
done
exit $status
