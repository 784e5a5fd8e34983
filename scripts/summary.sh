#!/bin/bash
# summary.sh RESULTS : list the failures and the time of each step, and end
# with "N passed, N failed".
results=$1
passed=$(grep -c '^PASS' "$results" 2>/dev/null)
failed=$(grep -c '^FAIL' "$results" 2>/dev/null)
grep '^FAIL' "$results" 2>/dev/null | sed 's/^/  /'
if [ -f "$results.times" ]; then
	awk '{ t = $NF; $NF = ""; total += t; printf "  time %-24s %3d:%02d\n", $0, t / 60, t % 60 }
	     END { printf "  time %-24s %3d:%02d\n", "total", total / 60, total % 60 }' "$results.times"
fi
echo "${passed:-0} passed, ${failed:-0} failed" | tee "$(dirname "$results")/summary"
[ "${failed:-0}" = 0 ] && [ "${passed:-0}" -gt 0 ]
