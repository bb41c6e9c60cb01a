#!/usr/bin/env bash
# Broken: `TEST_PATTERN='test/docs/' npm test` (the way docs/testing.md:9 says to run some files) exits 1 with
# every test passing: c8's global thresholds (95 % lines of lib/) are applied to the partial run. Exit 1 while so.
# Builds the package and the tests (~30 s).
cd "$(dirname "$0")/../.." || exit 2
out="$(TEST_PATTERN='test/docs/' npm test 2>&1)"; rc=$?
echo "$out" | grep -E '^ℹ (tests|pass|fail) |^ERROR: Coverage'
[ $rc -ne 0 ] && echo "$out" | grep -q '^ℹ fail 0' && { echo "PROBLEM: exit $rc with 0 failures"; exit 1; }
exit 0
