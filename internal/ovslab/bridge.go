package ovslab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Bridge is a switch under test: an OVS bridge on the userspace datapath.
type Bridge struct {
	// Name is the name the test uses; OVSName the (prefixed, unique) name
	// OVS and the kernel know it by.
	Name, OVSName string
	DPID          uint64

	cfg bridgeConfig
}

type bridgeConfig struct {
	controllers     []string
	standalone      bool
	inactivityProbe time.Duration
	maxBackoff      time.Duration
	otherConfig     [][2]string
}

// BridgeOption configures AddBridge.
type BridgeOption func(*bridgeConfig)

// WithController connects the bridge to the given targets
// ("tcp:127.0.0.1:6653").
func WithController(targets ...string) BridgeOption {
	return func(c *bridgeConfig) { c.controllers = append(c.controllers, targets...) }
}

// Standalone sets fail_mode=standalone: without a controller the bridge
// acts as a learning switch. The default is fail_mode=secure.
func Standalone() BridgeOption { return func(c *bridgeConfig) { c.standalone = true } }

// InactivityProbe sets the controller inactivity probe (OVS default 5s;
// 0 disables probing).
func InactivityProbe(d time.Duration) BridgeOption {
	return func(c *bridgeConfig) { c.inactivityProbe = d }
}

// MaxBackoff sets the controller reconnect max_backoff (default 1s here;
// OVS's own default of 8s makes reconnect tests slow).
func MaxBackoff(d time.Duration) BridgeOption { return func(c *bridgeConfig) { c.maxBackoff = d } }

// OtherConfig sets bridge other-config:key=value (e.g. "mac-aging-time").
func OtherConfig(key, value string) BridgeOption {
	return func(c *bridgeConfig) { c.otherConfig = append(c.otherConfig, [2]string{key, value}) }
}

// AddBridge creates a netdev bridge speaking only OpenFlow 1.3 with the
// given datapath ID. name must be at most 8 characters.
func (l *Lab) AddBridge(name string, dpid uint64, opts ...BridgeOption) (*Bridge, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	if name == "" || len(l.prefix)+len(name) > 15 || strings.ContainsAny(name, " /:") {
		return nil, fmt.Errorf("ovslab: bridge name %q: want 1-%d characters, no spaces, slashes or colons", name, 15-len(l.prefix))
	}
	b := &Bridge{Name: name, OVSName: l.prefix + name, DPID: dpid, cfg: bridgeConfig{inactivityProbe: -1, maxBackoff: time.Second}}
	for _, o := range opts {
		o(&b.cfg)
	}
	l.mu.Lock()
	if _, dup := l.bridges[name]; dup {
		l.mu.Unlock()
		return nil, fmt.Errorf("ovslab: bridge %q exists", name)
	}
	l.bridges[name] = b
	l.mu.Unlock()
	failMode := "secure"
	if b.cfg.standalone {
		failMode = "standalone"
	}
	args := []string{"add-br", b.OVSName, "--", "set", "bridge", b.OVSName,
		"datapath_type=netdev", "protocols=OpenFlow13", "fail_mode=" + failMode,
		fmt.Sprintf("other-config:datapath-id=%016x", dpid),
		// In-band control would add hidden flows (ARP, traffic to the
		// controller address) that tests do not expect in their dumps.
		"other-config:disable-in-band=true"}
	for _, kv := range b.cfg.otherConfig {
		args = append(args, "other-config:"+kv[0]+"="+kv[1])
	}
	args = append(args, controllerArgs(b, b.cfg.controllers)...)
	if _, err := l.vsctl(args...); err != nil {
		l.mu.Lock()
		delete(l.bridges, name)
		l.mu.Unlock()
		return nil, fmt.Errorf("ovslab: add bridge %s: %w", name, err)
	}
	return b, nil
}

// controllerArgs returns ovs-vsctl arguments that replace b's controllers
// with records for targets (one record each, so settings apply to all).
func controllerArgs(b *Bridge, targets []string) []string {
	var args, ids []string
	for i, t := range targets {
		id := fmt.Sprintf("@c%d", i)
		ids = append(ids, id)
		args = append(args, "--", "--id="+id, "create", "controller", fmt.Sprintf("target=%q", t),
			fmt.Sprintf("max_backoff=%d", b.cfg.maxBackoff.Milliseconds()))
		if b.cfg.inactivityProbe >= 0 {
			args = append(args, fmt.Sprintf("inactivity_probe=%d", b.cfg.inactivityProbe.Milliseconds()))
		}
	}
	if len(ids) == 0 {
		return append(args, "--", "clear", "bridge", b.OVSName, "controller")
	}
	return append(args, "--", "set", "bridge", b.OVSName, "controller=["+strings.Join(ids, ",")+"]")
}

// Bridge returns the bridge named name, or nil.
func (l *Lab) Bridge(name string) *Bridge {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bridges[name]
}

// bridge resolves a logical (or OVS) bridge name.
func (l *Lab) bridge(name string) (*Bridge, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.bridges[name]; ok {
		return b, nil
	}
	for _, b := range l.bridges {
		if b.OVSName == name {
			return b, nil
		}
	}
	return nil, fmt.Errorf("ovslab: no bridge %q", name)
}

// DelBridge deletes a bridge (its ports stay as plain links).
func (l *Lab) DelBridge(name string) error {
	b, err := l.bridge(name)
	if err != nil {
		return err
	}
	if _, err := l.vsctl("del-br", b.OVSName); err != nil {
		return err
	}
	l.mu.Lock()
	delete(l.bridges, b.Name)
	l.mu.Unlock()
	return nil
}

// SetController replaces the bridge's controllers with targets, keeping
// the bridge's max_backoff and inactivity probe settings.
func (l *Lab) SetController(bridge string, targets ...string) error {
	b, err := l.bridge(bridge)
	if err != nil {
		return err
	}
	_, err = l.vsctl(controllerArgs(b, targets)...)
	return err
}

// DelController disconnects the bridge from all controllers.
func (l *Lab) DelController(bridge string) error { return l.SetController(bridge) }

// ControllerStatus reports, for each controller target of the bridge,
// whether ovs-vswitchd's database says it is connected. OVS refreshes that
// column only every 5 s (stats-update-interval), so it may lag; the Wait
// functions also look at the daemon's live TCP connections.
func (l *Lab) ControllerStatus(bridge string) (map[string]bool, error) {
	b, err := l.bridge(bridge)
	if err != nil {
		return nil, err
	}
	return l.controllerStatus(b.OVSName)
}

func (l *Lab) controllerStatus(ovsName string) (map[string]bool, error) {
	out, err := l.vsctl("--bare", "--columns=controller", "list", "bridge", ovsName)
	if err != nil {
		return nil, err
	}
	st := map[string]bool{}
	for _, id := range strings.Fields(out) {
		rec, err := l.vsctl("--bare", "--columns=target,is_connected", "list", "controller", id)
		if err != nil {
			return nil, err
		}
		f := strings.Fields(rec)
		if len(f) != 2 {
			return nil, fmt.Errorf("ovslab: controller %s of %s: unexpected record %q", id, ovsName, rec)
		}
		st[f[0]] = f[1] == "true"
	}
	return st, nil
}

// WaitConnected waits until the bridge is connected to all its
// controllers. "Connected" is decided from ovs-vswitchd's established TCP
// connections (current; the OpenFlow handshake follows within
// milliseconds) and, when several bridges share a target so sockets cannot
// be told apart, from the database (which may lag up to 5 s).
func (l *Lab) WaitConnected(ctx context.Context, bridge string) error {
	return l.waitControllers(ctx, bridge, true)
}

// WaitDisconnected waits until the bridge is connected to none of its
// controllers (decided as for WaitConnected).
func (l *Lab) WaitDisconnected(ctx context.Context, bridge string) error {
	return l.waitControllers(ctx, bridge, false)
}

func (l *Lab) waitControllers(ctx context.Context, bridge string, want bool) error {
	b, err := l.bridge(bridge)
	if err != nil {
		return err
	}
	return poll(ctx, fmt.Sprintf("controllers of %s connected=%v", bridge, want), func() error {
		db, err := l.controllerStatus(b.OVSName)
		if err != nil {
			return err
		}
		if len(db) == 0 {
			return permanentError{errors.New("bridge has no controller")}
		}
		users, err := l.targetUsers()
		if err != nil {
			return err
		}
		est, estOK := establishedTo(l.VswitchdPID())
		for target, dbConnected := range db {
			connected := dbConnected
			if key, ok := tcpTarget(target); ok && estOK {
				switch n := est[key]; {
				case n >= users[target]:
					connected = true
				case n == 0:
					connected = false
				}
			}
			if connected != want {
				return fmt.Errorf("%s connected=%v", target, connected)
			}
		}
		return nil
	})
}

// targetUsers counts the bridges configured with each controller target.
func (l *Lab) targetUsers() (map[string]int, error) {
	out, err := l.vsctl("--bare", "--columns=target", "list", "controller")
	if err != nil {
		return nil, err
	}
	users := map[string]int{}
	for _, t := range strings.Fields(out) {
		users[t]++
	}
	return users, nil
}

// SetSSL gives OVS the private key, certificate and CA certificate (PEM
// files) it uses for "ssl:" controller targets: it presents cert to the
// controller and accepts only a controller certificate signed by caCert.
// The setting is the switch's, for all bridges; new connections use it.
func (l *Lab) SetSSL(key, cert, caCert string) error {
	if _, err := l.vsctl("set-ssl", key, cert, caCert); err != nil {
		return fmt.Errorf("ovslab: set-ssl: %w", err)
	}
	return nil
}
