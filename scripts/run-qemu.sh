#!/bin/bash
# run-qemu.sh BZIMAGE INITRAMFS RUN LOG : boot the guest, run /bin/wb-RUN in
# it and keep the serial console in LOG.
# Environment: SMP (4), MEM (2G), ISOLATED (2-3), SETUP (how ISOLATED is
# isolated: domain = nohz_full= isolcpus=domain (the default), nohz =
# nohz_full= alone, partition = nohz_full= and a cpuset v2 isolated
# partition made by guest/init at run time, none = no CPU isolated),
# APPEND (extra command line),
# TIMEOUT in seconds (900), ALLOW (an extended regex of report lines not to
# count: the caller judges them), ACCEL (kvm|tcg; default: probed once and
# remembered in ACCEL_CACHE), ICOUNT=1 for instruction-counting time,
# ARCH=arm64 for an arm64 kernel (qemu-system-aarch64 -M virt, always TCG).
# Exit: 0 the command passed, 1 it failed, 2 the kernel panicked, hung,
# timed out or printed a lockdep/BUG/WARNING report.
set -uo pipefail
kernel=$1 initrd=$2 run=$3 log=$4
ARCH=${ARCH:-x86_64} SMP=${SMP:-4} MEM=${MEM:-2G} ISOLATED=${ISOLATED:-2-3} TIMEOUT=${TIMEOUT:-900}
SETUP=${SETUP:-domain}
ACCEL_CACHE=${ACCEL_CACHE:-$(dirname "$log")/accel}
mkdir -p "$(dirname "$log")"

# Enable the trace events the tests read at boot: enabling them later patches
# kernel text while the guest runs, and multi-threaded TCG has been seen to
# execute a stale int3 from such a patch. EVENTS= boots without them. The
# series' kselftest uses its tracefs instance if it exists: made at boot
# (trace_instance=), its probe too is in place before the test runs.
EVENTS=${EVENTS-trace_event=workqueue:workqueue_queue_work,workqueue:workqueue_execute_start,sched:sched_switch,ipi:ipi_send_cpu,ipi:ipi_send_cpumask,csd:csd_queue_cpu trace_instance=lru_drain_isolation,workqueue:workqueue_queue_work}

case $SETUP in
# isolcpus=domain, not nohz,domain: 7.3-rc7 rejects isolcpus=nohz next to
# nohz_full= ("Housekeeping: nohz_full= must match isolcpus=") and then
# ignores isolcpus= altogether; nohz_full= alone sets the nohz flags.
domain) ISOLATION="nohz_full=$ISOLATED isolcpus=domain,$ISOLATED rcu_nocbs=$ISOLATED" ;;
nohz) ISOLATION="nohz_full=$ISOLATED rcu_nocbs=$ISOLATED" ;;
partition) ISOLATION="nohz_full=$ISOLATED rcu_nocbs=$ISOLATED wb.partition=$ISOLATED" ;;
none) ISOLATION= ;;
*) echo "error: SETUP=$SETUP: one of domain, nohz, partition, none" >&2; exit 2 ;;
esac
console=ttyAMA0
if [ "$ARCH" = x86_64 ]; then
	# The clocksource watchdog timer walks all online CPUs, isolated ones
	# too, and add_timer_on() kicks a nohz_full CPU with an IPI. It watches
	# TCG's TSC; tsc=reliable, as RT tuning guides advise, turns it off.
	ISOLATION="$ISOLATION tsc=reliable" console=ttyS0
	# The guest has no ACPI, so no HPET or PM timer, and calibrating the TSC
	# against the PIT fails when the host deschedules a vCPU in its loop:
	# the guest then runs on jiffies (4 ms steps, no high-resolution
	# timers; seen in 7 of the 11 TCG boots of one make bench). Under TCG
	# and KVM the guest's TSC is the host's, so tell it the rate, measured
	# once per build directory. Under -icount its TSC counts instructions, and
	# calibration works there.
	khz_file=$(dirname "$ACCEL_CACHE")/tsc-khz
	if [ "${ICOUNT:-0}" != 1 ] && [ "$(uname -m)" = x86_64 ] &&
	   grep -qw constant_tsc /proc/cpuinfo && grep -qw nonstop_tsc /proc/cpuinfo; then
		[ -s "$khz_file" ] || { gcc -O2 -o "$khz_file.$$" "$(dirname "$0")/tsc-khz.c" &&
			"$khz_file.$$" >"$khz_file.$$.out" && mv "$khz_file.$$.out" "$khz_file"
			rm -f "$khz_file.$$" "$khz_file.$$.out"; }
		khz=$(cat "$khz_file" 2>/dev/null)
		[[ $khz =~ ^[1-9][0-9]*$ ]] && ISOLATION="$ISOLATION tsc_early_khz=$khz"
	fi
fi

boot() { # accel timeout log run
	local accel=$1 timeout=$2 out=$3 what=$4 qemu=qemu-system-x86_64 opts
	case $ARCH-$accel in
	x86_64-kvm) opts="-accel kvm -cpu host" ;;
	x86_64-tcg) opts="-accel tcg,thread=multi -cpu max" ;;
	arm64-*) qemu=qemu-system-aarch64 opts="-M virt -accel tcg,thread=multi -cpu cortex-a57" ;;
	esac
	[ "${ICOUNT:-0}" = 1 ] && opts="-accel tcg -cpu max -icount shift=0,sleep=off"
	# The x86 kernels have no ACPI: qboot's MP table lists every CPU,
	# SeaBIOS's only the boot CPU.
	[ "$ARCH" = x86_64 ] && opts="$opts -bios qboot.rom"
	# -nic none: the guests need no network, and the default NIC's option
	# ROM costs every x86 boot about 0.7 s of firmware
	$qemu $opts -smp "$SMP" -m "$MEM" -nographic -monitor none -nic none \
		-no-reboot -kernel "$kernel" -initrd "$initrd" \
		-append "console=$console panic=-1 oops=panic $ISOLATION cma=32M brd.rd_nr=1 brd.rd_size=131072 $EVENTS wb.run=$what ${APPEND:-}" \
		</dev/null >"$out" 2>&1 &
	local pid=$! waited=0
	while kill -0 $pid 2>/dev/null; do
		if [ $waited -ge "$timeout" ]; then
			kill $pid; wait $pid 2>/dev/null
			echo "WB-TIMEOUT after ${timeout}s" >>"$out"
			return 2
		fi
		sleep 1; waited=$((waited + 1))
	done
	wait $pid 2>/dev/null
}

accel=${ACCEL:-}
[ "$ARCH" = arm64 ] && accel=tcg
if [ -z "$accel" ]; then
	accel=$(cat "$ACCEL_CACHE" 2>/dev/null)
fi
if [ -z "$accel" ]; then
	# /dev/kvm can exist while guests hang in it: only a real boot tells.
	accel=tcg
	if [ -w /dev/kvm ] && ICOUNT=0 boot kvm 60 "${ACCEL_CACHE}-probe.log" true &&
	   grep -q '^WB-END rc=0' "${ACCEL_CACHE}-probe.log"; then
		accel=kvm
	fi
	echo "$accel" >"$ACCEL_CACHE"
	echo "qemu: using ${accel^^} (probe log: ${ACCEL_CACHE}-probe.log)" >&2
fi

boot "$accel" "$TIMEOUT" "$log" "$run"
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"

bad='Kernel panic|BUG:|WARNING:|possible circular locking|inconsistent lock state|possible recursive locking|sleeping function called from invalid context|INFO: task .* blocked|WB-TIMEOUT|general protection fault'
# ALLOW: reports the caller judges itself (KCSAN's, by function)
reports() { grep -Ev "${ALLOW:-^$}" "$log" | grep -E "$bad"; }
if reports >/dev/null || ! grep -q '^WB-END' "$log"; then
	echo "error: the $run guest failed (panic, hang, timeout or kernel report); console tail from $log:" >&2
	reports | head -n5 >&2
	tail -n 25 "$log" | sed 's/^/    /' >&2
	exit 2
fi
grep -q '^WB-END rc=0' "$log"
