#!/bin/bash
# run-qemu.sh BZIMAGE INITRAMFS RUN LOG : boot the guest, run /bin/wb-RUN in
# it and keep the serial console in LOG.
# Environment: WB_SMP (4), WB_MEM (2G), WB_ISOLATED (2-3), WB_SETUP (how WB_ISOLATED is
# isolated: domain = nohz_full= isolcpus=domain (the default), nohz =
# nohz_full= alone, partition = nohz_full= and a cpuset v2 isolated
# partition made by guest/init at run time, none = no CPU isolated),
# WB_APPEND (extra command line),
# WB_TIMEOUT in seconds (900), WB_ALLOW (an extended regex of report lines not to
# count: the caller judges them), WB_ACCEL (kvm|tcg; default: probed once and
# remembered in WB_ACCEL_CACHE), WB_ICOUNT=1 for instruction-counting time,
# WB_ARCH=arm64 for an arm64 kernel (qemu-system-aarch64 -M virt, always TCG).
# Exit: 0 the command passed, 1 it failed, 2 the kernel panicked, hung,
# timed out or printed a lockdep/BUG/WARNING report.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
kernel=$1 initrd=$2 run=$3 log=$4
arch=${WB_ARCH:-x86_64} WB_SMP=${WB_SMP:-4} WB_MEM=${WB_MEM:-2G} WB_ISOLATED=${WB_ISOLATED:-2-3} WB_TIMEOUT=${WB_TIMEOUT:-900}
WB_SETUP=${WB_SETUP:-domain}
WB_ACCEL_CACHE=${WB_ACCEL_CACHE:-$(dirname "$log")/accel}
mkdir -p "$(dirname "$log")"
[ -f "$kernel" ] || { echo "error: no kernel $kernel (did its build fail?)" >&2; exit 2; }
status "booting $(basename "$kernel"), $WB_SETUP set-up, for $(basename "$log") (timeout ${WB_TIMEOUT:-900} s)"

# Enable the trace events the tests read at boot: enabling them later patches
# kernel text while the guest runs, and multi-threaded TCG has been seen to
# execute a stale int3 from such a patch. WB_EVENTS= boots without them. The
# series' kselftest uses its tracefs instance if it exists: made at boot
# (trace_instance=), its probe too is in place before the test runs.
WB_EVENTS=${WB_EVENTS-trace_event=workqueue:workqueue_queue_work,workqueue:workqueue_execute_start,sched:sched_switch,ipi:ipi_send_cpu,ipi:ipi_send_cpumask,csd:csd_queue_cpu trace_instance=lru_drain_isolation,workqueue:workqueue_queue_work}

case $WB_SETUP in
# isolcpus=domain, not nohz,domain: 7.3-rc7 rejects isolcpus=nohz next to
# nohz_full= ("Housekeeping: nohz_full= must match isolcpus=") and then
# ignores isolcpus= altogether; nohz_full= alone sets the nohz flags.
domain) ISOLATION="nohz_full=$WB_ISOLATED isolcpus=domain,$WB_ISOLATED rcu_nocbs=$WB_ISOLATED" ;;
nohz) ISOLATION="nohz_full=$WB_ISOLATED rcu_nocbs=$WB_ISOLATED" ;;
partition) ISOLATION="nohz_full=$WB_ISOLATED rcu_nocbs=$WB_ISOLATED wb.partition=$WB_ISOLATED" ;;
none) ISOLATION= ;;
*) echo "error: WB_SETUP=$WB_SETUP: one of domain, nohz, partition, none" >&2; exit 2 ;;
esac
console=ttyAMA0
if [ "$arch" = x86_64 ]; then
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
	khz_file=$(dirname "$WB_ACCEL_CACHE")/tsc-khz
	if [ "${WB_ICOUNT:-0}" != 1 ] && [ "$(uname -m)" = x86_64 ] &&
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
	case $arch-$accel in
	x86_64-kvm) opts="-accel kvm -cpu host" ;;
	x86_64-tcg) opts="-accel tcg,thread=multi -cpu max" ;;
	arm64-*) qemu=qemu-system-aarch64 opts="-M virt -accel tcg,thread=multi -cpu cortex-a57" ;;
	esac
	[ "${WB_ICOUNT:-0}" = 1 ] && opts="-accel tcg -cpu max -icount shift=0,sleep=off"
	# The x86 kernels have no ACPI: qboot's MP table lists every CPU,
	# SeaBIOS's only the boot CPU.
	[ "$arch" = x86_64 ] && opts="$opts -bios qboot.rom"
	# -nic none: the guests need no network, and the default NIC's option
	# ROM costs every x86 boot about 0.7 s of firmware
	$qemu $opts -smp "$WB_SMP" -m "$WB_MEM" -nographic -monitor none -nic none \
		-no-reboot -kernel "$kernel" -initrd "$initrd" \
		-append "console=$console panic=-1 oops=panic $ISOLATION cma=32M brd.rd_nr=1 brd.rd_size=131072 $WB_EVENTS wb.run=$what ${WB_APPEND:-}" \
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

accel=${WB_ACCEL:-}
[ "$arch" = arm64 ] && accel=tcg
if [ -z "$accel" ]; then
	accel=$(cat "$WB_ACCEL_CACHE" 2>/dev/null)
fi
if [ -z "$accel" ]; then
	# /dev/kvm can exist while guests hang in it: only a real boot tells.
	accel=tcg
	if [ -w /dev/kvm ] && WB_ICOUNT=0 boot kvm 60 "${WB_ACCEL_CACHE}-probe.log" true &&
	   grep -q '^WB-END rc=0' "${WB_ACCEL_CACHE}-probe.log"; then
		accel=kvm
	fi
	echo "$accel" >"$WB_ACCEL_CACHE"
	echo "qemu: using ${accel^^} (probe log: ${WB_ACCEL_CACHE}-probe.log)" >&2
fi

boot "$accel" "$WB_TIMEOUT" "$log" "$run"
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"

bad="$KERNEL_REPORTS|WB-TIMEOUT"
# WB_ALLOW: reports the caller judges itself (KCSAN's, by function)
reports() { grep -Ev "${WB_ALLOW:-^$}" "$log" | grep -E "$bad"; }
if reports >/dev/null || ! grep -q '^WB-END' "$log"; then
	echo "error: the $run guest failed (panic, hang, timeout or kernel report); console tail from $log:" >&2
	reports | head -n5 >&2
	tail -n 25 "$log" | sed 's/^/    /' >&2
	exit 2
fi
grep -q '^WB-END rc=0' "$log"
