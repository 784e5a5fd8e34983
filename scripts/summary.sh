#!/bin/bash
# summary.sh RESULTS : list the failures, the notes (repeated boots) and the
# time of each step, and end with "N passed, N failed"; the status is 0
# only when something passed and nothing failed.
results=$1
passed=$(grep -c '^PASS' "$results" 2>/dev/null)
failed=$(grep -c '^FAIL' "$results" 2>/dev/null)
grep -E '^(FAIL|NOTE)' "$results" 2>/dev/null | sed 's/^/  /'
cat "$results.times" 2>/dev/null | awk '{ t = $NF; $NF = ""; printf "  time %-28s %3d:%02d\n", $0, t / 60, t % 60 }'
[ -f "$results.total" ] && awk '{ printf "  time %-28s %3d:%02d\n", "total", $1 / 60, $1 % 60 }' "$results.total"
echo "results: ${results#"$PWD"/}"
echo "${passed:-0} passed, ${failed:-0} failed" | tee "$(dirname "$results")/summary"
[ "${failed:-0}" = 0 ] && [ "${passed:-0}" -gt 0 ]
