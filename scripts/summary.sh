#!/bin/bash
# summary.sh RESULTS : list the failures and end with "N passed, N failed".
results=$1
passed=$(grep -c '^PASS' "$results" 2>/dev/null)
failed=$(grep -c '^FAIL' "$results" 2>/dev/null)
grep '^FAIL' "$results" 2>/dev/null | sed 's/^/  /'
echo "${passed:-0} passed, ${failed:-0} failed" | tee "$(dirname "$results")/summary"
[ "${failed:-0}" = 0 ] && [ "${passed:-0}" -gt 0 ]
