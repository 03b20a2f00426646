package app

import (
	"context"
	"fmt"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/controller/team"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// teamState is the controller team, when Options.Team is set: the DP
// manager then sees a switch only while this instance is its master.
type teamState struct {
	t  *team.Team
	cl *clientv3.Client
}

// setupTeam joins the team Options.Team names: sessions start with their
// writes withheld (controller.Server.RoleGate), and the team hands a switch
// to the DP manager on winning it and takes it back on losing it, through
// the same Connected and Disconnected a reconnecting switch goes through.
func (a *App) setupTeam() error {
	cfg := *a.opts.Team
	cl, err := cfg.Client()
	if err != nil {
		return err
	}
	m, err := team.NewMetrics(a.reg)
	if err != nil {
		cl.Close()
		return err
	}
	t, err := team.New(team.Options{
		Config: cfg, Client: cl, Logger: a.log, Metrics: m,
		Promote: func(ctx context.Context, sw team.Switch) {
			if s, ok := sw.(*controller.Switch); ok {
				a.mgr.Connected(ctx, s)
			}
		},
		Demote: func(dpid uint64, why string) {
			a.mgr.Disconnected(dpid, fmt.Errorf("no longer master: %s", why))
		},
		DPName: a.dpName,
	})
	if err != nil {
		cl.Close()
		return err
	}
	a.team = &teamState{t: t, cl: cl}
	a.srv.RoleGate = true
	a.srv.RoleChanged = func(sw *controller.Switch, role controller.Role, _ uint64) { t.RoleChanged(sw.DPID(), role) }
	return nil
}

// dpName names a configured datapath.
func (a *App) dpName(dpid uint64) string {
	if cfg := a.mgr.Config(); cfg != nil {
		if d := cfg.DPByID(dpid); d != nil {
			return d.Name
		}
	}
	return fmt.Sprintf("%#x", dpid)
}

// runTeam runs the team until ctx ends, then closes the etcd client.
func (a *App) runTeam(ctx context.Context) {
	_ = a.team.t.Run(ctx)
	a.team.cl.Close()
}

// Team is the controller team, nil when running alone.
func (a *App) Team() *team.Team {
	if a.team == nil {
		return nil
	}
	return a.team.t
}

// master reports whether the DP manager should hear of dpid's events:
// always alone, only while master in a team.
func (a *App) master(dpid uint64) bool { return a.team == nil || a.team.t.IsMaster(dpid) }
