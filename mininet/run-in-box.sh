#!/usr/bin/env bash
# Run a voipsdn Mininet topology inside an isolation box: private network,
# PID and mount namespaces and a private /tmp. Mininet's cleanup, which runs
# whenever a script fails, kills processes by name, deletes /tmp/*.log and
# removes every OVS bridge and *-ethN link it can see; in the box it can see
# only the box. Never run the topologies any other way.
#
#   mininet/run-in-box.sh [--controller-cmd 'CMD'] TOPOLOGY.py [topology options]
#
# --controller-cmd starts CMD inside the box before the topology (e.g.
#   "bin/voipsdn run mininet/office.yaml"); its output goes to $BOX_LOG
#   (a path as seen in the box) or to stderr.
# Examples:
#   sudo mininet/run-in-box.sh mininet/office.py --standalone    # lab self-check, no controller
#   sudo mininet/run-in-box.sh --controller-cmd "bin/voipsdn run mininet/office.yaml" mininet/office.py --cli
#
# Inside the box the host's /tmp is at /tmp/host. Open vSwitch runs from
# /tmp/ovs with its own database. Everything in the box dies with it: the
# script is PID 1 of the box's PID namespace.
set -euo pipefail

if [ "${VOIPSDN_IN_BOX:-}" != 1 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "run-in-box: must run as root (network namespaces, Open vSwitch)" >&2
    exit 1
  fi
  for bin in unshare ovsdb-server ovs-vswitchd ovs-vsctl /usr/bin/python3; do
    command -v "$bin" >/dev/null || { echo "run-in-box: $bin not found (make deps)" >&2; exit 1; }
  done
  /usr/bin/python3 -c 'import mininet' 2>/dev/null || { echo "run-in-box: python3 mininet module not found (apt-get install mininet)" >&2; exit 1; }
  self=$(readlink -f "$0")
  # A directory outside /tmp to carry the host's /tmp into the box.
  carry=$(mktemp -d /var/tmp/voipsdn-box.XXXXXX)
  trap 'rmdir "$carry" 2>/dev/null || true' EXIT
  status=0
  VOIPSDN_IN_BOX=1 BOX_CARRY="$carry" BOX_CWD="$PWD" \
    unshare --net --pid --fork --mount-proc --mount --propagation private "$self" "$@" || status=$?
  exit "$status"
fi

# ---- inside the box (PID 1) ----
controller_cmd=""
if [ "${1:-}" = "--controller-cmd" ]; then
  controller_cmd=$2
  shift 2
fi
[ $# -ge 1 ] || { echo "usage: run-in-box.sh [--controller-cmd CMD] TOPOLOGY.py [options]" >&2; exit 2; }

# Private /tmp; the host's stays reachable at /tmp/host.
mount --bind /tmp "$BOX_CARRY"
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /tmp/host
mount --move "$BOX_CARRY" /tmp/host

remap() { # a path under the host's /tmp, as seen in the box
  case "$1" in
    /tmp|/tmp/*) echo "/tmp/host${1#/tmp}" ;;
    *) echo "$1" ;;
  esac
}
cwd=$(remap "$BOX_CWD")
cd "$cwd"
# A relative path already resolves against the remapped working
# directory; only an absolute one names the host's view.
case "$1" in
  /*) topo=$(remap "$1") ;;
  *) topo=$(readlink -f "$1") ;;
esac
shift

ip link set lo up

# A private Open vSwitch (userspace datapath only; see shared/lab/README.md).
export OVS_RUNDIR=/tmp/ovs OVS_LOGDIR=/tmp/ovs OVS_DBDIR=/tmp/ovs OVS_SYSCONFDIR=/tmp/ovs
mkdir -p /tmp/ovs
ovsdb-tool create /tmp/ovs/conf.db /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server /tmp/ovs/conf.db --remote=punix:/tmp/ovs/db.sock --pidfile --detach --log-file
ovs-vsctl --no-wait init
ovs-vswitchd --pidfile --detach --log-file

ctl_pid=""
if [ -n "$controller_cmd" ]; then
  bash -c "$controller_cmd" >"${BOX_LOG:-/dev/stderr}" 2>&1 &
  ctl_pid=$!
fi

status=0
/usr/bin/python3 "$topo" "$@" || status=$?

[ -n "$ctl_pid" ] && kill "$ctl_pid" 2>/dev/null || true
ovs-appctl -t ovs-vswitchd exit --cleanup 2>/dev/null || true
ovs-appctl -t ovsdb-server exit 2>/dev/null || true
exit "$status"
