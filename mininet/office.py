#!/usr/bin/python3
"""Office: one switch (dp_id 0x1). Two phones and the PBX on the voice VLAN
(100, 10.0.100.0/24), a PC on the data VLAN (200, 10.0.200.0/24), and the
uplink on port 5 to a gateway host on the data VLAN. Faucet config:
office.yaml.

    port 1 phone1  10.0.100.11   port 2 phone2  10.0.100.12
    port 3 pc1     10.0.200.21   port 4 pbx     10.0.100.10
    port 5 uplink: gw 10.0.200.254
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from voipsdnlab import add_host, add_switch, run  # noqa: E402


def build(net, args):
    s1 = add_switch(net, args, 'sw1', dpid=0x1)
    add_host(net, 'phone1', s1, 1, '10.0.100.11/24', '0e:00:00:00:01:11')
    add_host(net, 'phone2', s1, 2, '10.0.100.12/24', '0e:00:00:00:01:12')
    add_host(net, 'pc1', s1, 3, '10.0.200.21/24', '0e:00:00:00:02:21')
    add_host(net, 'pbx', s1, 4, '10.0.100.10/24', '0e:00:00:00:01:10')
    add_host(net, 'gw', s1, 5, '10.0.200.254/24', '0e:00:00:00:02:fe')
    return {'voice': ['phone1', 'phone2', 'pbx'], 'data': ['pc1', 'gw']}


if __name__ == '__main__':
    run(build, __doc__)
