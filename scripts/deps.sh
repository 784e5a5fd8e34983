#!/bin/bash
# Install the Debian packages the workbench needs (root, Debian bookworm):
# all of them, make arm64's cross compiler and make deb's packaging tools
# included, so that one "make deps" as root serves every target.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pkgs=(${WB_EXTRA_PKGS:-} git build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils kmod
      python3 python3-ply python3-git ccache sparse coccinelle ocaml-nox qemu-system-x86 busybox-static
      rt-tests rtla stress-ng gnuplot-nox libnuma-dev libcap-dev
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm
      dpkg-dev debhelper rsync libdw-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "error: missing packages (${missing[*]}) and not root; install them with apt-get" >&2
	exit 1
fi
log=${WB_LOGS:-build/logs}/apt.log
mkdir -p "${log%/*}"
if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
	echo "error: apt-get could not install ${missing[*]} (is the Debian mirror reachable?); see $log:" >&2
	grep -E '^(E:|W:)' "$log" | head -5 >&2
	exit 1
fi
