#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The cache lock (common.sh: lock) that keeps two runs sharing the cache
# from building into each other: a second holder waits for the first to
# exit, and then sees its work complete. Uses a lock of its own.
. "$(dirname "$0")/common.sh"

name=lock-test-$$
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$KFUNC_RS_CACHE/locks/$name.lock"' EXIT
# The first run: writes its result in steps, as a build would.
(
	lock "$name"
	touch "$tmp/first-has-it"
	for i in 1 2 3 4 5; do
		echo "step $i" >>"$tmp/result"
		sleep 0.2
	done
) &
first=$!
for _ in $(seq 50); do [ -f "$tmp/first-has-it" ] && break; sleep 0.05; done
[ -f "$tmp/first-has-it" ] || die "the first run did not take the lock"
# The second run: must find all five steps once it holds the lock.
second=$(
	lock "$name" 2>"$tmp/second.log"
	wc -l <"$tmp/result"
)
wait "$first"
[ "$second" = 5 ] || die "the second run saw $second of the first run's 5 steps"
grep -q "waiting for another kfunc-rs run" "$tmp/second.log" || die "the second run did not wait"
log "the second run waited for the first and saw its 5 steps"
