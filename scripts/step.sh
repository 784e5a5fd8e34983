#!/bin/bash
# step.sh NAME COMMAND... : one step of a target, its checks collected in
# $WB_RESULTS. A step that fails without a FAIL of its own (it stopped
# early) gets one. The outermost step's time goes to $WB_RESULTS.total, the
# time of the steps within it to $WB_RESULTS.times, and it prints every 30 s
# how long it has run and what it is doing (what the scripts last passed to
# status()). The step's status is always 0: the summary gives the verdict.
. "$(dirname "$0")/lib.sh"
name=$1; shift
[ "$WB_RESULTS" != /dev/null ] || exec "$@"
start=$SECONDS depth=${WB_STEP_DEPTH:-0}
export WB_STEP_DEPTH=$((depth + 1))
fails() { local n; n=$(grep -c '^FAIL' "$WB_RESULTS" 2>/dev/null); echo "${n:-0}"; }
before=$(fails)
ticker=
if [ "$depth" = 0 ]; then
	export WB_STATUS=$WB_RESULTS.status
	echo "$name" >"$WB_STATUS"
	(
		while sleep 30 </dev/null >/dev/null 2>&1; do
			t=$((SECONDS - start)) now=$(cat "$WB_STATUS" 2>/dev/null)
			since=$(( $(date +%s) - $(stat -c %Y "$WB_STATUS" 2>/dev/null || date +%s) ))
			printf '  [%d:%02d %s] %s (%d:%02d)\n' $((t / 60)) $((t % 60)) "$name" "$now" $((since / 60)) $((since % 60))
		done
	) &
	ticker=$!
fi
"$@"
rc=$?
[ -z "$ticker" ] || { kill "$ticker"; wait "$ticker"; } 2>/dev/null
case $depth in
0) echo $((SECONDS - start)) >"$WB_RESULTS.total" ;;
1) printf '%s %d\n' "$name" $((SECONDS - start)) >>"$WB_RESULTS.times" ;;
esac
if [ $rc != 0 ] && [ "$(fails)" = "$before" ]; then
	fail "$name stopped (exit $rc) without a verdict of its own; its output is above"
fi
wb_failed=0
exit 0
