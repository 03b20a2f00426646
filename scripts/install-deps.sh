#!/usr/bin/env bash
# Installs the Debian packages voipsdn's lab and integration tests use.
# Idempotent: does nothing when every package is already installed.
set -euo pipefail
pkgs=(openvswitch-switch tcpdump iproute2 ethtool iputils-ping prometheus bird2 mininet sip-tester netcat-openbsd procps psmisc iperf3 etcd-server)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
