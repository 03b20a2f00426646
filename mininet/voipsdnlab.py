"""Small helpers shared by voipsdn's Mininet topologies.

Each topology file builds its network with these functions and calls run().
Run topologies only through run-in-box.sh: Mininet's cleanup deletes every
OVS bridge and *-ethN link on the machine and files in /tmp.

Switches are userspace Open vSwitch (datapath=user, OpenFlow 1.3) connected
to a remote controller (voipsdn) at 127.0.0.1:6653 by default. Hosts are
untagged: this kernel has no 802.1Q, so VLAN membership comes from the
switch port (Faucet native_vlan), and tagged trunks run between switches.
"""

import argparse
import sys

from mininet.cli import CLI
from mininet.log import info, setLogLevel
from mininet.net import Mininet
from mininet.node import OVSSwitch, RemoteController


def parse_args(description):
    """Parse the options every topology takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--controller', default='127.0.0.1:6653',
                   help='voipsdn OpenFlow address (default 127.0.0.1:6653)')
    p.add_argument('--standalone', action='store_true',
                   help='no controller: switches learn as plain L2 switches '
                        '(fail_mode=standalone), to check the lab itself')
    p.add_argument('--cli', action='store_true',
                   help='open the Mininet CLI after the reachability check')
    p.add_argument('--no-check', action='store_true',
                   help='skip the reachability check')
    p.add_argument('--verbose', action='store_true')
    return p.parse_args()


def new_net(args):
    """A Mininet with the remote controller (or none with --standalone)."""
    net = Mininet(controller=None, switch=OVSSwitch, autoSetMacs=False,
                  autoStaticArp=False, build=False)
    if not args.standalone:
        ip, _, port = args.controller.rpartition(':')
        net.addController('c0', controller=RemoteController, ip=ip or '127.0.0.1',
                          port=int(port))
    return net


def add_switch(net, args, name, dpid):
    """A userspace OVS switch with an explicit datapath ID (an int)."""
    return net.addSwitch(name, cls=OVSSwitch, datapath='user', protocols='OpenFlow13',
                         dpid='%016x' % dpid,
                         failMode='standalone' if args.standalone else 'secure')


def add_host(net, name, switch, port, ip, mac):
    """A host on switch port `port` (the OpenFlow port number)."""
    host = net.addHost(name, ip=ip, mac=mac)
    net.addLink(host, switch, port2=port)
    return host


def trunk(net, sw1, port1, sw2, port2):
    """A link between two switches (a tagged trunk in the Faucet config)."""
    return net.addLink(sw1, sw2, port1=port1, port2=port2)


def no_offload(net):
    """Turn TX checksum offload off in every host: with the userspace
    datapath, offload leaves TCP/UDP checksums wrong and receivers drop
    the packets (ping still works)."""
    for h in net.hosts:
        h.cmd('ethtool -K %s tx off' % h.defaultIntf())


def check(net, groups):
    """Ping within each group (hosts sharing a VLAN and subnet); return
    True when nothing was lost."""
    ok = True
    for vlan, names in sorted(groups.items()):
        hosts = [net.get(n) for n in names]
        info('*** %s: %s\n' % (vlan, ' '.join(names)))
        # A few attempts: with a controller, the first packets are
        # learned before they are forwarded.
        for _ in range(3):
            loss = net.ping(hosts, timeout=2)
            if loss == 0:
                break
        if loss != 0:
            ok = False
    return ok


def run(build, description):
    """Parse options, build the network with build(net, args) (which
    returns {vlan name: [host names]}), start it, check reachability inside
    each VLAN, and optionally open the CLI. Exits 1 if the check fails."""
    args = parse_args(description)
    setLogLevel('info' if args.verbose else 'output')
    net = new_net(args)
    groups = build(net, args)
    net.build()
    net.start()
    try:
        no_offload(net)
        if not args.standalone:
            for sw in net.switches:
                sw.cmd('ovs-vsctl set controller %s max_backoff=1000' % sw.name)
        ok = True
        if not args.no_check:
            ok = check(net, groups)
            print('reachability: %s' % ('ok' if ok else 'FAILED'))
        if args.cli:
            CLI(net)
    finally:
        net.stop()
    sys.exit(0 if ok else 1)
