package routing

import (
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/e2e/e2etest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// raConfig gives office a link-local VIP to advertise from and a global
// prefix to advertise. advertise_interval 0 turns periodic advertisements
// off, so only an answer to the host's solicitation can configure it.
const raConfig = `
vlans:
  office:
    vid: 100
    faucet_vips: ["10.0.1.254/24", "2001:db8:1::1/64", "fe80::c00:ff:fe00:1001/64"]
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    advertise_interval: 0
    interfaces:
      1: {native_vlan: office}
`

// A Linux host that solicits a router gets the controller's advertisement:
// it autoconfigures an address in the advertised prefix (SLAAC), takes the
// link-local VIP as its default router, and reaches the global VIP with
// that address.
func TestRouterSolicitationConfiguresLinuxHost(t *testing.T) {
	lab := newLab(t)
	target := e2etest.Start(t, raConfig).Target()
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("s1", 1, ovslab.WithController(target)))
	h1 := e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h1", Bridge: "s1", OFPort: 1}))
	ctx := e2etest.Context(t, 90*time.Second)
	if err := lab.WaitConnected(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	// The lab turns solicitations off; turn them on and bounce the link,
	// which makes the kernel solicit (RFC 4861 §6.3.7).
	hostSetup(ctx, t, h1,
		[]string{"sysctl", "-q", "-w", "net.ipv6.conf." + h1.Iface + ".router_solicitations=3",
			"net.ipv6.conf." + h1.Iface + ".router_solicitation_interval=1",
			"net.ipv6.conf." + h1.Iface + ".accept_ra=1", "net.ipv6.conf." + h1.Iface + ".autoconf=1"},
		[]string{"ip", "link", "set", "dev", h1.Iface, "down"},
		[]string{"ip", "link", "set", "dev", h1.Iface, "up"})

	var addrs, routes string
	for ctx.Err() == nil {
		addrs, _ = h1.Exec(ctx, "ip", "-6", "addr", "show", "dev", h1.Iface)
		routes, _ = h1.Exec(ctx, "ip", "-6", "route", "show", "default")
		if strings.Contains(addrs, "inet6 2001:db8:1:") && strings.Contains(routes, "via fe80::c00:ff:fe00:1001") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(addrs, "inet6 2001:db8:1:") || !strings.Contains(addrs, "dynamic") {
		t.Fatalf("no SLAAC address from the advertised prefix:\n%s", addrs)
	}
	if !strings.Contains(routes, "via fe80::c00:ff:fe00:1001") {
		t.Fatalf("no default route via the link-local VIP:\n%s", routes)
	}
	if st, err := h1.Ping(ctx, "2001:db8:1::1", 3); err != nil || st.Loss() > 0 {
		t.Fatalf("ping to the global VIP from the SLAAC address: %+v %v", st, err)
	}
}
