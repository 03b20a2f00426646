#!/usr/bin/python3
"""Campus: an access switch (sw1, dp_id 0x1) with two phones and a PC, and a
core switch (sw2, dp_id 0x2) with the PBX and the uplink gateway, joined by a
trunk (sw1 port 24 - sw2 port 24) tagged with both VLANs. Voice VLAN 100
(10.0.100.0/24), data VLAN 200 (10.0.200.0/24). Faucet config: campus.yaml.

    sw1: port 1 phone1 10.0.100.11, port 2 phone2 10.0.100.12, port 3 pc1 10.0.200.21
    sw2: port 1 pbx 10.0.100.10, port 2 uplink gw 10.0.200.254
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from voipsdnlab import add_host, add_switch, run, trunk  # noqa: E402


def build(net, args):
    access = add_switch(net, args, 'sw1', dpid=0x1)
    core = add_switch(net, args, 'sw2', dpid=0x2)
    add_host(net, 'phone1', access, 1, '10.0.100.11/24', '0e:00:00:00:01:11')
    add_host(net, 'phone2', access, 2, '10.0.100.12/24', '0e:00:00:00:01:12')
    add_host(net, 'pc1', access, 3, '10.0.200.21/24', '0e:00:00:00:02:21')
    add_host(net, 'pbx', core, 1, '10.0.100.10/24', '0e:00:00:00:01:10')
    add_host(net, 'gw', core, 2, '10.0.200.254/24', '0e:00:00:00:02:fe')
    trunk(net, access, 24, core, 24)
    return {'voice': ['phone1', 'phone2', 'pbx'], 'data': ['pc1', 'gw']}


if __name__ == '__main__':
    run(build, __doc__)
