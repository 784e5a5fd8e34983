#!/bin/bash
# deb.sh TREE : installable Debian packages of the series (linux-image,
# linux-headers, linux-libc-dev; bindeb-pkg) for your own machine, in
# $OUT/deb/. The config starts from WB_DEB_CONFIG: by default the running
# kernel's (/boot/config-$(uname -r), else /proc/config.gz); "small" takes
# the test kernel's (make check, about a minute). config/deb.config is added, and each of its options
# must be in the packaged kernel's config.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
tree=$(realpath "$1") wt=$(realpath "$1")-wt out=$OUT/deb
obj=$out/obj log=$out/build.log
cfg=${WB_DEB_CONFIG:-/boot/config-$(uname -r)}
mkdir -p "$out"
if [ -z "${WB_DEB_CONFIG:-}" ] && [ ! -f "$cfg" ] && [ -r /proc/config.gz ]; then
	zcat /proc/config.gz >"$out/running.config" && cfg=$out/running.config
fi
if [ "$cfg" = small ]; then
	cfg=$OUT/obj/test/.config
	[ -f "$cfg" ] || { fail "deb: DEB_CONFIG=small is the test kernel's config: run make gates first"; exit 1; }
fi
if [ ! -f "$cfg" ]; then
	fail "deb: a config to start from ($cfg does not exist; make deb DEB_CONFIG=/path/to/.config)"; exit 1
fi
WB_EXTRA_PKGS="dpkg-dev debhelper rsync libdw-dev kmod" "$top/scripts/deps.sh" ||
	{ fail "deb: the packaging tools are installed"; exit 1; }
[ -d "$wt" ] || git -C "$tree" worktree add -q --detach "$wt" "$(cat "$tree.base")"
git -C "$wt" checkout -q -f --detach lru-drain || { fail "deb: check out the series in $wt"; exit 1; }
mkdir -p "$obj"
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes "$out/lru_drain_isolation"
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc" && export CCACHE_BASEDIR=${tree%/*} CCACHE_DEPEND=1
kmake() { make -C "$wt" O="$obj" ARCH=x86_64 CC="$cc" KCFLAGS=-ftrack-macro-expansion=0 -j"$(nproc)" "$@"; }

# A distribution config names signing keys from its own build tree.
sed -e 's/^CONFIG_SYSTEM_TRUSTED_KEYS=.*/CONFIG_SYSTEM_TRUSTED_KEYS=""/' \
    -e 's/^CONFIG_SYSTEM_REVOCATION_KEYS=.*/CONFIG_SYSTEM_REVOCATION_KEYS=""/' "$cfg" >"$obj/.config"
cat "$top/config/deb.config" >>"$obj/.config"
start=$SECONDS
status "deb: configuring from $cfg"
kmake olddefconfig >"$log" 2>&1 && config_sticks "$obj/.config" "$top/config/deb.config" ||
	{ fail "deb: the options of config/deb.config stick on $cfg (see $log)"; exit 1; }
status "deb: building the kernel and its packages (bindeb-pkg; log: $log)"
# -d: the build dependencies are checked above, by package, not by dpkg's
# names for cross compilers.
if ! kmake LOCALVERSION=-lru-drain DPKG_FLAGS=-d bindeb-pkg >>"$log" 2>&1; then
	fail "deb: bindeb-pkg builds (see $log)"
	grep -E 'error|Error' "$log" | head -10 | sed 's/^/    /'
	exit 1
fi
# The series' selftest for the machine the packages go to: static, one file.
gcc -O2 -Wall -static -I "$wt/tools/testing/selftests/mm" -o "$out/lru_drain_isolation" \
	"$wt/tools/testing/selftests/mm/lru_drain_isolation.c" >>"$log" 2>&1
check "deb: the series' selftest, built static ($out/lru_drain_isolation)" test -x "$out/lru_drain_isolation"
mapfile -t debs < <(ls "$out"/*.deb 2>/dev/null)
image=$(ls "$out"/linux-image-*.deb 2>/dev/null | grep -v -- -dbg_ | head -n1)
echo "deb: built in $((SECONDS - start)) s from $cfg:"
printf '    %s\n' "${debs[@]}"
check "deb: a linux-image package of the series" test -n "$image" || exit 1
# (a kernel without modules gets no headers package)
grep -q '^CONFIG_MODULES=y' "$obj/.config" &&
	check "deb: a linux-headers package, for out-of-tree modules" ls "$out"/linux-headers-*.deb >/dev/null
dpkg-deb --fsys-tarfile "$image" | tar -xO --wildcards './boot/config-*' >"$out/packaged.config"
dpkg-deb --fsys-tarfile "$image" | tar -xO --wildcards './boot/System.map-*' >"$out/packaged.map"
check "deb: the packaged kernel's config has every option of config/deb.config" \
	config_sticks "$out/packaged.config" "$top/config/deb.config"
# mlock_drain_cpu() is the series' (patch 4): the base has no such symbol.
check "deb: the packaged kernel carries the series (mlock_drain_cpu in its System.map)" \
	grep -qw mlock_drain_cpu "$out/packaged.map"
