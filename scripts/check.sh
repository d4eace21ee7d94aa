#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check: every test. Host tests (cargo test, with the BTF step's
# hostile-input corpus; rustfmt, clippy; the cache lock; the kfunc
# crate's cache; a bounded fuzzing run), then for every target
# (KFUNC_RS_TARGETS, or TARGET=...) the build of kernel, modules and BPF
# programs, kernel-side lint, the
# .BTF_ids layout against the C twin, the module BTF flow, the BTF step
# killed half way, headers, compile-fail cases, a full-size set, the
# guest tests in QEMU (sample and C twin, features, upstream conformance,
# bench smoke, stress), the make run demo, the tutorial and, for targets
# of the machine's architecture, the virtme-ng boot. Ends with "N passed, N
# failed"; exits non-zero on any failure. A stage that cannot run counts
# as failed.
. "$(dirname "$0")/common.sh"
set +e
# Every guest test, at make check's length: settings of make quick and
# make stress from the environment do not apply.
unset ONLY STRESS

passed=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# stage <name>: a stage's header, with the time since make check began
# (where a run spends its time, cold or warm).
stage() { printf '== %s [%dm%02ds]\n' "$1" $((SECONDS / 60)) $((SECONDS % 60)); }
pass() { passed=$((passed + 1)); printf '  ok     %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf '  FAIL   %s\n' "$1"; }
# check <name> <command...>: one test that is the command's success.
check() {
	local name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then pass "$name"; else
		tail -n 40 "$tmp/out" | sed 's/^/         /'
		fail "$name"
	fi
}

stage "dependencies"
if "$KFUNC_RS_ROOT/scripts/deps.sh"; then pass "dependencies installed"; else fail "dependencies installed"; fi

# The targets' kernels, built one after another in the background, at
# the lowest CPU priority, from here on: a cold run then builds them in
# the cycles the host tests, the single-threaded stages and the guests
# leave idle. Each kernel build holds its cache lock, so a target's build
# stage waits for its kernel and finds it built (or builds it itself, and
# reports the error, if the background build failed). setsid makes the
# builder a process group of its own, stopped with this script.
mkdir -p "$KFUNC_RS_CACHE/out"
setsid bash -c 'for t in "${@:2}"; do TARGET=$t nice -n 19 "$1" >/dev/null || true; done' \
	prebuild "$KFUNC_RS_ROOT/scripts/kernel-build.sh" ${TARGET_GIVEN:-$KFUNC_RS_TARGETS} \
	</dev/null >/dev/null 2>"$KFUNC_RS_CACHE/out/kernel-prebuild-$$.log" &
prebuild=$!
# Only while it runs: once it ended, its id may be another's.
trap 'jobs -rp | grep -qx "$prebuild" && kill -- -"$prebuild" 2>/dev/null; rm -rf "$tmp" "$KFUNC_RS_CACHE/out/kernel-prebuild-$$.log"' EXIT

stage "host"
cd "$KFUNC_RS_ROOT" || exit 1
if cargo test --workspace --locked >"$tmp/cargo" 2>&1; then cargo_ok=1; else cargo_ok=0; fi
read -r p f < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
	END { print p + 0, f + 0 }' "$tmp/cargo")
grep -E '^test .* (ok|FAILED)$' "$tmp/cargo" | sed 's/^test /  cargo  /'
passed=$((passed + p))
failed=$((failed + f))
if [ $cargo_ok = 0 ] && [ "$f" = 0 ]; then
	tail -n 40 "$tmp/cargo" | sed 's/^/         /'
	fail "cargo test (did not build or run)"
fi
check "cargo fmt --check" cargo fmt --all --check
check "cargo clippy -D warnings" cargo clippy --workspace --all-targets --locked -- -D warnings

check "two runs sharing the cache: the second waits for the first's lock and sees its work whole" \
	"$KFUNC_RS_ROOT/scripts/lock-test.sh"
check "the kfunc crate's cache: another folder takes the outputs; changed or removed inputs, another command, a failure, a damaged entry run the step; concurrent runs each get their own" \
	"$KFUNC_RS_ROOT/scripts/crate-cache-test.sh"

stage "host: fuzzing kfunc-btf's parsers (bounded; make fuzz runs longer)"
if "$KFUNC_RS_ROOT/scripts/fuzz.sh" "${FUZZ_SECONDS:-20}" >"$tmp/fuzz" 2>&1; then
	grep '^fuzz ' "$tmp/fuzz" | sed 's/^/         /'
	pass "kfunc-btf's parsers: no crash under fuzzing (records, module, unload_records)"
else
	tail -n 40 "$tmp/fuzz" | sed 's/^/         /'
	fail "kfunc-btf's parsers: no crash under fuzzing (records, module, unload_records)"
fi

# The stages of one target (TARGET, exported): build, lint, BTF layout and
# flow, headers, compile-fail, guest, demo, tutorial, virtme-ng. Result
# names carry the target.
target_stages() {
	local env_file version arch variant
	# This target's architecture and variant (common.sh read the default
	# target's).
	IFS=- read -r _ arch variant <<<"$TARGET"
	# A variant (debug) is its base target's kernel with the kernel's
	# checkers built in. It runs what its kernel can change: the build
	# and its warnings (type layouts against its BTF), the module BTF flow
	# and the guest. The stages that check sources and tools (clippy,
	# rustfmt, the .BTF_ids layout, the killed BTF step, headers,
	# compile-fail, the demo, the tutorial, virtme-ng) ran for the base.
	base() { [ -z "$variant" ]; }
	pass() { passed=$((passed + 1)); printf '  ok     [%s] %s\n' "$TARGET" "$1"; }
	fail() { failed=$((failed + 1)); printf '  FAIL   [%s] %s\n' "$TARGET" "$1"; }
	# The result lines of a stage's own output, with the target.
	label() { sed -E "s/^  (ok|FAIL)( +)/  \1\2[$TARGET] /"; }
	stage "[$TARGET] build (kernel, modules, BPF programs)"
	if env_file=$("$KFUNC_RS_ROOT/scripts/build.sh" 2> >(tee "$tmp/build" >&2)); then
		pass "build: kernel, kfunc-rs modules with the BTF step, BPF programs"
	else
		tail -n 40 "$tmp/build" | sed 's/^/         /'
		fail "build: kernel, kfunc-rs modules with the BTF step, BPF programs"
		env_file=
	fi

	stage "[$TARGET] kernel-side lint"
	if [ -n "$env_file" ]; then
		# shellcheck disable=SC1090
		(. "$env_file" && ! grep -e '^warning' -e '^error' -e '^kfunc-btf: warning' "$OUT/modules.log") >"$tmp/w" 2>&1 \
			&& pass "modules build without compiler or BTF step warnings" || { cat "$tmp/w"; fail "modules build without compiler or BTF step warnings"; }
		if base; then
			check "kernel crates clippy clean (CLIPPY=1)" "$KFUNC_RS_ROOT/scripts/kernel-clippy.sh" "$env_file"
			# shellcheck disable=SC1090
			ksrc=$(. "$env_file" && cd "$KBUILD/source" 2>/dev/null && pwd || echo "$KBUILD")
			check "kernel-side Rust rustfmt clean (the kernel's .rustfmt.toml)" \
				rustfmt --check --edition 2021 --config-path "$ksrc/.rustfmt.toml" \
				rust/kfunc.rs samples/*.rs testing/conformance/*.rs testing/nobtf/*.rs testing/compile-fail/*.rs \
				testing/bench/*.rs
		fi
	else
		fail "kernel-side lint (nothing built)"
	fi

	if base; then
		stage "[$TARGET] .BTF_ids layout (kfunc-rs against the C macros)"
		if [ -n "$env_file" ]; then
			# shellcheck disable=SC1090
			(. "$env_file" && diff <("$KFUNC_BTF" sets "$C_TWIN_OBJ") <("$KFUNC_BTF" sets "$OUT/modules/samples/rust_kfunc_sample.o") \
				&& [ -n "$("$KFUNC_BTF" sets "$C_TWIN_OBJ")" ]) >"$tmp/ids" 2>&1 \
				&& pass "the sample's kfunc set has the layout BTF_KFUNCS_START/BTF_ID_FLAGS give its C twin" \
				|| { cat "$tmp/ids"; fail "the sample's kfunc set has the layout BTF_KFUNCS_START/BTF_ID_FLAGS give its C twin"; }
		else
			fail ".BTF_ids layout (nothing built)"
		fi
	fi

	stage "[$TARGET] module BTF flow (resolve_btfids, distilled base)"
	if [ -n "$env_file" ]; then
		# shellcheck disable=SC1090
		for ko in $(. "$env_file" && echo "$MODULES"); do
			check "$(basename "$ko"): sets filled and sorted by resolve_btfids, .BTF (and .BTF.base) as for C" \
				"$KFUNC_RS_ROOT/scripts/module-btf-check.sh" "$(. "$env_file" && echo "$KFUNC_BTF")" "$ko" \
				"$(. "$env_file" && echo "${C_TWIN_OBJ%.o}.ko")"
		done
		base && check "a module built in another folder takes the kfunc crate from the cache, with the BTF of an uncached build" \
			"$KFUNC_RS_ROOT/scripts/crate-cache-test.sh" "$env_file"
	else
		fail "module BTF flow (nothing built)"
	fi

	if base; then
		stage "[$TARGET] the BTF step killed half way"
		if [ -n "$env_file" ]; then
			check "kfunc-btf add and unload-records killed at random points leave the old file or the new one" \
				"$KFUNC_RS_ROOT/scripts/interrupt-test.sh" "$env_file"
		else
			fail "the BTF step killed half way (nothing built)"
		fi

		stage "[$TARGET] BPF-side headers (<module>.kfuncs.h)"
		if [ -n "$env_file" ]; then
			# shellcheck disable=SC1090
			for ko in $(. "$env_file" && echo "$MODULES"); do
				h=$(. "$env_file" && echo "$OUT/include")/$(basename "${ko%.ko}").kfuncs.h
				[ -f "$h" ] || continue
				check "$(basename "$h") agrees with bpftool's format c of the module's BTF" \
					"$KFUNC_RS_ROOT/scripts/header-check.sh" "$env_file" "$ko"
			done
			check "a BPF program whose prototype disagrees with the module does not build, naming the kfunc" \
				"$KFUNC_RS_ROOT/scripts/bpf-proto-check.sh" "$env_file"
		else
			fail "BPF-side headers (nothing built)"
		fi

		stage "[$TARGET] compile-fail (mistaken kfunc declarations must not build)"
		if [ -n "$env_file" ]; then
			"$KFUNC_RS_ROOT/scripts/compile-fail.sh" "$env_file" | label | tee "$tmp/cf"
			passed=$((passed + $(grep -c '^  ok' "$tmp/cf")))
			failed=$((failed + $(grep -c '^  FAIL' "$tmp/cf")))
			[ -s "$tmp/cf" ] || fail "compile-fail tests (did not run)"
		else
			fail "compile-fail tests (nothing built)"
		fi

		stage "[$TARGET] a full-size set with kfuncs of another set (fn name;)"
		if [ -n "$env_file" ]; then
			check "300 kfuncs in two sets that share kfuncs build (and rebuild incrementally) with the layout the C macros give the same sets" \
				"$KFUNC_RS_ROOT/scripts/large-set-test.sh" "$env_file"
		else
			fail "a full-size set (nothing built)"
		fi
	fi

	stage "[$TARGET] guest (QEMU, TCG)"
	if [ -n "$env_file" ]; then
		"$KFUNC_RS_ROOT/scripts/boot.sh" "$env_file" check --counts "$tmp/counts" | label
		if read -r p f <"$tmp/counts" 2>/dev/null; then
			passed=$((passed + p))
			failed=$((failed + f))
		else
			fail "guest tests (the boot did not run)"
		fi
		# shellcheck disable=SC1090
		. "$env_file"
		version=$(make -s -C "$KBUILD" kernelversion 2>/dev/null)
		base || return 0
		stage "[$TARGET] make run (the demo)"
		check "the make run demo calls every sample kfunc and unloads the module" \
			"$KFUNC_RS_ROOT/scripts/boot.sh" "$env_file" demo
		stage "[$TARGET] your own module (the tutorial: make new, make check, add a kfunc)"
		check "Documentation/rust/kfuncs.rst's tutorial runs as written and its checks pass" \
			"$KFUNC_RS_ROOT/scripts/tutorial-test.sh"
		# virtme-ng runs the machine's own root filesystem in the guest,
		# which a guest of another architecture cannot execute.
		if [ "$arch" = "$HOST_ARCH" ]; then
			stage "[$TARGET] virtme-ng"
			check "vng boots the kernel, runs a command, returns its output and exit code" \
				"$KFUNC_RS_ROOT/scripts/vng-test.sh" "$BZIMAGE" "$version"
		fi
	else
		fail "guest tests (nothing to boot)"
		base || return 0
		fail "the tutorial (nothing built)"
		[ "$arch" != "$HOST_ARCH" ] || fail "virtme-ng boot (nothing to boot)"
	fi
}

# Every target, or the one TARGET names.
for t in ${TARGET_GIVEN:-$KFUNC_RS_TARGETS}; do
	export TARGET=$t
	target_stages
done

echo
stage "done"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
