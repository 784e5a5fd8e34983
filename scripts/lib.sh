# Shared by the check scripts: one line per result, collected in $RESULTS.
RESULTS=${RESULTS:-/dev/null}
pass() { echo "PASS $*"; echo "PASS $*" >>"$RESULTS"; }
fail() { echo "FAIL $*"; echo "FAIL $*" >>"$RESULTS"; }
check() { # name command... : pass if the command succeeds
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}
