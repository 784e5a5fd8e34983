#!/bin/bash
# record-check.sh ARGS... : a CHECK= for kbuild that runs nothing, but keeps
# the environment and arguments kbuild gives its checker in $RECORD_DIR, so
# that gates.sh can run scripts/coccicheck itself, one semantic patch per
# process on every core (coccicheck in C=2 mode runs them one after another).
export -p >"$RECORD_DIR/env"
printf '%q ' "$@" >"$RECORD_DIR/args"
pwd >"$RECORD_DIR/cwd"
