#!/bin/bash
# check-step.sh NAME COMMAND... : one step of make check. A step that stops
# early is a failure of its own; its minutes go to $RESULTS.times.
start=$SECONDS name=$1; shift
"$@"
rc=$?
printf '%s %d\n' "$name" $((SECONDS - start)) >>"$RESULTS.times"
[ $rc = 0 ] || echo "FAIL $name stopped" >>"$RESULTS"
exit 0
