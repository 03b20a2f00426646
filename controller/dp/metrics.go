package dp

import "github.com/voipsdn/voipsdn/controller/metrics"

// EachMetricsDP calls fn with every configured DP's state in
// controller/metrics' terms (metrics.DPSource, read at scrape time).
func (m *Manager) EachMetricsDP(fn func(*metrics.DP)) {
	m.EachView(func(v View) { fn(m.metricsDP(v)) })
}

// MetricsStack is the stack's root for controller/metrics
// (metrics.StackSource).
func (m *Manager) MetricsStack() metrics.StackState {
	root, changes := m.StackRoot()
	return metrics.StackState{RootDPID: root, RootChanges: changes}
}

func (m *Manager) metricsDP(v View) *metrics.DP {
	d := &metrics.DP{ID: v.ID, Name: v.Name, Connected: v.Connected}
	if v.Desc != nil {
		d.Desc = &metrics.DescStats{Manufacturer: v.Desc.Manufacturer, Hardware: v.Desc.Hardware,
			Software: v.Desc.Software, SerialNum: v.Desc.SerialNum, DPDesc: v.Desc.DPDesc}
	}
	up := map[uint32]bool{}
	for _, p := range v.Ports {
		up[p.No] = p.Up()
	}
	hosts := map[uint16]int{}
	m.EachHost(v.ID, func(l Location) { hosts[l.VID]++ })
	lag := map[uint32]*metrics.PortLACP{}
	for _, l := range v.LACP {
		lag[l.Port] = &metrics.PortLACP{State: int(l.State), Role: int(l.Role), PortID: l.PortID, Changes: l.Changes}
	}
	stackPorts := map[uint32]*metrics.PortStack{}
	if s := v.Stack; s != nil {
		d.Stack = &metrics.DPStack{Root: s.RootDPID == v.ID, RootHopPort: s.ChosenPort}
		d.StackProbes, d.CablingErrors = s.ProbesReceived, s.CablingErrors
		for _, p := range s.Ports {
			stackPorts[p.Port] = &metrics.PortStack{State: p.Code, Changes: p.Changes}
		}
	}
	if v.Config != nil {
		for _, p := range v.Config.Ports {
			d.Ports = append(d.Ports, metrics.Port{Number: p.Number, Name: p.Name, Description: p.Description,
				Up: up[p.Number], LACP: lag[p.Number], Stack: stackPorts[p.Number]})
		}
		for _, vl := range v.Config.VLANs {
			d.VLANs = append(d.VLANs, metrics.VLAN{VID: vl.VID, HostsLearned: hosts[vl.VID]})
		}
	}
	if v.Program != nil {
		t := v.Program.Tables
		for id := 0; id < t.Len(); id++ {
			name := t.Name(uint8(id))
			decl, _ := t.Decl(name)
			d.Tables = append(d.Tables, metrics.Table{ID: uint8(id), Name: name, NextTables: decl.Next})
		}
	}
	dpid := v.ID
	d.EachHost = func(fn func(metrics.Host)) {
		m.EachHost(dpid, func(l Location) { fn(metrics.Host{Port: l.Port, VID: l.VID, MAC: l.MAC}) })
	}
	return d
}
