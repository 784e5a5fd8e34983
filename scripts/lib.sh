# Shared by the check scripts: one line per result, collected in $RESULTS.
RESULTS=${RESULTS:-/dev/null}
# BASE names the pin file bases/$BASE. The mainline base keeps its kernels,
# logs and reports in build/, any other base in build/$BASE/; results of
# another base carry its name.
top=${top:-$(realpath "$(dirname "${BASH_SOURCE[0]}")/..")}
BASE=${BASE:-mainline}
[ -f "$top/bases/$BASE" ] || { echo "error: BASE=$BASE: there is no pin file bases/$BASE" >&2; exit 1; }
QUEUE=${QUEUE:-$(. "$top/bases/$BASE" && echo "$QUEUE")}
OUT=$top/build TAG=
[ "$BASE" = mainline ] || OUT=$top/build/$BASE TAG="[$BASE] "
export TAG
TEST_FRAGS="$top/config/base.config $top/config/$BASE.config $top/config/debug.config"
# One KVM probe for the machine, whatever the base.
export ACCEL_CACHE=${ACCEL_CACHE:-$top/build/logs/accel}
pass() { echo "PASS $TAG$*"; echo "PASS $TAG$*" >>"$RESULTS"; }
fail() { echo "FAIL $TAG$*"; echo "FAIL $TAG$*" >>"$RESULTS"; }
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
