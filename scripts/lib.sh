# Sourced by every script. The workbench's own knobs are WB_* variables (the
# Makefile sets them from its command line, make help lists them); nothing
# else from the caller's environment may steer it. Kbuild and the compilers
# read these from the environment, so a cross-builder's shell (ARCH=arm64,
# LLVM=1, KBUILD_OUTPUT=...) would otherwise change what is built and where.
unset ARCH SUBARCH CROSS_COMPILE LLVM LLVM_IAS CC LD HOSTCC KBUILD_OUTPUT O \
	KCFLAGS KCPPFLAGS KAFLAGS KBUILD_EXTMOD KCONFIG_CONFIG KCONFIG_ALLCONFIG \
	INSTALL_MOD_PATH INSTALL_PATH LOCALVERSION C W V CHECK
# Results: one line per check, collected in $WB_RESULTS.
WB_RESULTS=${WB_RESULTS:-/dev/null}
# WB_BASE names the pin file bases/$WB_BASE. The mainline base keeps its
# kernels, logs and reports in build/, any other base in build/$WB_BASE/;
# results of another base carry its name.
top=$(realpath "$(dirname "${BASH_SOURCE[0]}")/..")
WB_BASE=${WB_BASE:-mainline}
[ -f "$top/bases/$WB_BASE" ] || { echo "error: BASE=$WB_BASE: there is no pin file bases/$WB_BASE" >&2; exit 1; }
# The queue: the pin's, or WB_QUEUE (a directory; tests/harness.sh uses one).
QUEUE=${WB_QUEUE:-$(unset QUEUE; . "$top/bases/$WB_BASE" && echo "$QUEUE")}
case $QUEUE in /*) QUEUE_DIR=$QUEUE ;; *) QUEUE_DIR=$top/$QUEUE ;; esac
# The second queue (the other mm sources), applied on top of the first as
# branch noise: the pin's QUEUE2, none if it has none; WB_QUEUE set without
# WB_QUEUE2 means none too.
QUEUE2=${WB_QUEUE2-$([ -n "${WB_QUEUE:-}" ] || { unset QUEUE2; . "$top/bases/$WB_BASE" && echo "${QUEUE2:-}"; })}
case $QUEUE2 in '') QUEUE2_DIR= ;; /*) QUEUE2_DIR=$QUEUE2 ;; *) QUEUE2_DIR=$top/$QUEUE2 ;; esac
# The branch that holds both queues: noise, or lru-drain without a second.
tip_of() { git -C "$1" rev-parse -q --verify noise >/dev/null && echo noise || echo lru-drain; }
OUT=$top/build WB_TAG=
[ "$WB_BASE" = mainline ] || OUT=$top/build/$WB_BASE WB_TAG="[$WB_BASE] "
OUT=${WB_OUT:-$OUT}	# kernels, logs, reports (tests/harness.sh sets its own)
export WB_BASE WB_TAG WB_RESULTS
TEST_FRAGS="$top/config/base.config $top/config/$WB_BASE.config $top/config/debug.config"
# One KVM probe for the machine, whatever the base.
export WB_ACCEL_CACHE=${WB_ACCEL_CACHE:-$top/build/logs/accel}
pass() { echo "PASS $WB_TAG$*"; echo "PASS $WB_TAG$*" >>"$WB_RESULTS"; }
fail() { echo "FAIL $WB_TAG$*"; echo "FAIL $WB_TAG$*" >>"$WB_RESULTS"; wb_failed=1; }
# Something a reader of the results should know that is not a verdict: a
# repeated boot, say. summary.sh lists these.
note() { echo "NOTE $WB_TAG$*"; echo "NOTE $WB_TAG$*" >>"$WB_RESULTS"; }
# A script that recorded a FAIL exits non-zero, however it ends.
wb_failed=0
trap '[ $? = 0 ] && [ $wb_failed = 1 ] && exit 1' EXIT
# What the script is doing now, for the progress line make prints every 30 s
# (scripts/step.sh).
status() { [ -z "${WB_STATUS:-}" ] || { echo "$*" >"$WB_STATUS"; } 2>/dev/null || true; }
check() { # name command... : pass if the command succeeds; its status
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; return 1; fi
}
# The guest's tests, built against TREE's kselftest.h into DIR: the
# workbench's drain checker guest/lru_drain_checks.c as lru_drain_isolation
# (the tables, the mutants, the storm) and the series' own kselftest as
# lru_drain_selftest. CC (gcc) may name a cross compiler: static then.
build_guest_tests() { # tree dir [cc]
	local cc=${3:-gcc} flags=(-O2 -Wall -I "$1/tools/testing/selftests/mm")
	[ "$cc" = gcc ] || flags+=(-static)
	"$cc" "${flags[@]}" -o "$2/lru_drain_isolation" "$top/guest/lru_drain_checks.c" &&
		"$cc" "${flags[@]}" -o "$2/mm_noise" "$top/guest/mm_noise.c" &&
		"$cc" "${flags[@]}" -o "$2/lru_drain_selftest" "$1/tools/testing/selftests/mm/lru_drain_isolation.c"
}
# The object kbuild compiles FILE (a .c file of TREE) into: its own, or that
# of the file that #includes it (kernel/sched/build_utility.c includes
# isolation.c).
object_of() { # tree file
	local dir=${2%/*} name=${2##*/} unit=$2
	grep -qw "${name%.c}\.o" "$1/$dir/Makefile" 2>/dev/null ||
		unit=$(cd "$1" && grep -l "^#[[:space:]]*include \"$name\"" "$dir"/*.c | head -n1)
	unit=${unit:-$2}
	echo "${unit%.c}.o"
}
# What counts as a kernel report on a guest's console, for every script.
KERNEL_REPORTS='Kernel panic|BUG:|WARNING:|possible circular locking|inconsistent lock state|possible recursive locking|sleeping function called from invalid context|INFO: task .* blocked|general protection fault'
# boot_until_pass KERNEL INITRD RUN LOG : run-qemu.sh (its WB_* settings
# from the environment), and when the guest's test failed (exit 1) on a
# kernel that printed no report, boot up to twice more: things that are not
# the LRU drain reach an isolated CPU now and then (isolation.sh lists them).
# A panic, hang or report (exit 2) is never booted again. Each failed boot's
# log is kept (LOG's name with .1 or .2), its failures listed, and the
# repeat written to the results as a NOTE. The status is the last boot's.
boot_until_pass() {
	local log=${!#} n rc kept
	rm -f "${log%.log}".[12].log
	for n in 1 2 3; do
		"$top/scripts/run-qemu.sh" "$@"
		rc=$?
		[ $rc = 1 ] && [ $n -lt 3 ] || return $rc
		kept=${log%.log}.$n.log
		mv "$log" "$kept"
		note "$(basename "$log"): boot $n failed $(grep -c '^not ok' "$kept") checks, booted again ($kept)"
		grep -E '^not ok|IPI from|csd from' "$kept" | sed 's/^/    /'
	done
}
# config_sticks CONFIG FRAGMENT... : every option the fragments set (a later
# fragment winning) has that value in CONFIG; each one that does not is named.
config_sticks() {
	local config=$1 want opt got bad=0; shift
	while read -r want; do
		opt=${want%%=*}
		case $want in
		*=n) want="# $opt is not set"; got=$(grep -E "^(# )?$opt[= ]" "$config" || echo "# $opt is not set") ;;
		*) got=$(grep -E "^$opt=" "$config" || true) ;;
		esac
		if [ "$got" != "$want" ]; then
			echo "error: $want did not stick (have: ${got:-nothing})" >&2
			bad=1
		fi
	done < <(cat "$@" | sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*=.*\)/\1/p' \
		-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set/\1=n/p' | tac | awk -F= '!seen[$1]++')
	return $bad
}
