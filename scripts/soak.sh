#!/bin/bash
# soak.sh KERNEL CONFIG SECONDS : run guest/wb-soak on build/kernels/KERNEL
# (tip: the test kernel with both queues) and append its verdict to
# build/report/soak.json.
set -uo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
kernel=$1 config=$2 seconds=$3
# tip: the test kernel with both queues, or the first's without a second
if [ "$kernel" = tip ]; then
	kernel=test-series
	[ -n "$QUEUE2_DIR" ] && [ -f "$OUT/kernels/test-noise.bzImage" ] && kernel=test-noise
fi
log=$OUT/logs/soak-$kernel.log guest=$OUT/guest
"$top/scripts/mkinitramfs.sh" "$guest/soak.cpio" /usr/bin/stress-ng || exit 1
WB_APPEND="wb.arg=$seconds" WB_TIMEOUT=$((seconds * 3 + 300)) \
	"$top/scripts/run-qemu.sh" "$OUT/kernels/$kernel.bzImage" "$guest/soak.cpio" soak "$log"
rc=$?
count() { grep -Ec "$1" "$log"; }
lockdep=$(count 'possible circular locking|inconsistent lock state|possible recursive locking|lock held when returning|suspicious RCU usage')
warnings=$(count 'WARNING:|BUG:|sleeping function called from invalid context|KASAN')
hung=$(count 'INFO: task .* blocked')
drains=$(sed -n 's/^# soak .*drains=\([0-9]*\).*/\1/p' "$log")
hotplugs=$(sed -n 's/^# soak .*hotplugs=\([0-9]*\).*/\1/p' "$log")
flips=$(sed -n 's/^# soak .*flips=\([0-9]*\).*/\1/p' "$log")
passed=false; [ $rc = 0 ] && passed=true
mkdir -p "$OUT/report"
python3 - "$OUT/report/soak.json" <<PY
import json, os, sys
path = sys.argv[1]
rows = json.load(open(path)) if os.path.exists(path) else []
rows = [r for r in rows if r["kernel"] != "$kernel"]
rows.append({"kernel": "$kernel", "config": "$config", "duration_s": $seconds,
             "lockdep_reports": $lockdep, "warnings": $warnings, "hung_tasks": $hung,
             "drain_calls": ${drains:-0}, "cpu_hotplug_cycles": ${hotplugs:-0},
             "isolated_partition_flips": ${flips:-0},
             "passed": "$passed" == "true"})
json.dump(rows, open(path, "w"), indent=1)
PY
check "soak $kernel ${seconds}s: ${drains:-0} drains, ${hotplugs:-0} CPU hotplug cycles, ${flips:-0} flips of CPU 1 into an isolated partition and out, no lockdep/WARN/hung task, nothing left isolated or mlocked" test "$passed" = true
