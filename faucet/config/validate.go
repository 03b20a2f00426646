package config

import (
	"sort"
)

// Validate resolves the parsed document's cross references and runs
// Faucet's consistency checks, producing the immutable Config. It reports
// every independent problem; the Config is nil when there is any error.
func Validate(doc *Document) (*Config, error) {
	var e errList
	cfg := validate(&e, doc)
	if e.len() > 0 {
		return nil, e.errs.sorted()
	}
	return cfg, nil
}

// LoadFile loads, parses and validates the configuration at path. On
// failure the error is an Errors value with every problem found.
func LoadFile(path string) (*Config, error) {
	src, err := Load(path)
	if err != nil {
		return nil, err
	}
	return build(src)
}

// LoadFileBytes is LoadFile with the main file's content supplied.
func LoadFileBytes(name string, data []byte) (*Config, error) {
	src, err := LoadBytes(name, data)
	if err != nil {
		return nil, err
	}
	return build(src)
}

func build(src *Source) (*Config, error) {
	var e errList
	doc := parse(&e, src)
	cfg := validate(&e, doc)
	if e.len() > 0 {
		return nil, e.errs.sorted()
	}
	return cfg, nil
}

// validator holds the state of one Validate run.
type validator struct {
	e   *errList
	doc *Document
	cfg *Config

	vlanByKey map[nodeKey]*vlanConf
	vlans     []*vlanConf // configured then implicit
	aclByName map[string]*aclConf
	meterBy   map[string]*Meter
	dpByName  map[string]*dpConf
	// ACLs whose build-time errors were already reported.
	builtACLs map[string]bool
	// stackErr is set when a stack peer did not resolve; the topology
	// checks would then only repeat it.
	stackErr bool
}

func validate(e *errList, doc *Document) *Config {
	v := &validator{
		e: e, doc: doc,
		cfg:       &Config{dpByName: map[string]*DP{}},
		vlanByKey: map[nodeKey]*vlanConf{},
		aclByName: map[string]*aclConf{},
		meterBy:   map[string]*Meter{},
		dpByName:  map[string]*dpConf{},
		builtACLs: map[string]bool{},
	}
	if doc.src != nil {
		v.cfg.Files = append([]string(nil), doc.src.Files...)
		v.cfg.Warnings = append(Errors(nil), doc.src.Warnings...)
	}
	v.indexTopLevel()
	v.implicitVLANs()
	for _, dc := range doc.dps {
		if dp := v.resolveDP(dc); dp != nil {
			v.cfg.DPs = append(v.cfg.DPs, dp)
			v.cfg.dpByName[dp.Name] = dp
		}
	}
	v.checkStacks()
	v.checkDPIDs()
	v.checkRoutersUsed()
	v.cfg.VoIP = v.validateVoIP(doc.voip)
	for _, vc := range v.vlans {
		if !vc.vlan.Implicit {
			v.cfg.VLANs = append(v.cfg.VLANs, vc.vlan)
		}
	}
	for _, ac := range doc.acls {
		v.cfg.ACLs = append(v.cfg.ACLs, ac.acl)
	}
	v.cfg.Meters = append(v.cfg.Meters, doc.meters...)
	for _, rc := range doc.routers {
		v.cfg.Routers = append(v.cfg.Routers, rc.router)
	}
	return v.cfg
}

func (v *validator) indexTopLevel() {
	vids := map[uint16]*vlanConf{}
	for _, vc := range v.doc.vlans {
		v.vlanByKey[keyID(vc.key)] = vc
		v.vlans = append(v.vlans, vc)
		if !vc.valid {
			continue
		}
		if prev, dup := vids[vc.vlan.VID]; dup {
			v.e.add(vc.vlan.Pos, "VLAN VID %d multiply configured (also VLAN %s)", vc.vlan.VID, quote(prev.vlan.Name))
			vc.valid = false
			continue
		}
		vids[vc.vlan.VID] = vc
	}
	for _, ac := range v.doc.acls {
		v.aclByName[ac.key.text()] = ac
	}
	for _, m := range v.doc.meters {
		v.meterBy[m.Name] = m
	}
	for _, dc := range v.doc.dps {
		v.dpByName[dc.dp.Name] = dc
	}
}

// lookupVLAN finds a VLAN by key (name) or VID as Faucet's _get_vlan_by_key.
func (v *validator) lookupVLAN(ref *node) *vlanConf {
	if vc, ok := v.vlanByKey[keyID(ref)]; ok {
		return vc
	}
	if i, ok := ref.intVal(); ok && ref.kind != kStr {
		for _, vc := range v.vlans {
			if vc.valid && int64(vc.vlan.VID) == i {
				return vc
			}
		}
	}
	return nil
}

// implicitVLANs creates the VLANs that ports reference by bare VID
// without a vlans: entry; like Faucet, they then exist on every DP.
func (v *validator) implicitVLANs() {
	for _, dc := range v.doc.dps {
		for _, pc := range dc.ports {
			refs := append([]*node(nil), pc.tagged...)
			if pc.native != nil {
				refs = append(refs, pc.native)
			}
			for _, ref := range refs {
				if !ref.scalarKey() || v.lookupVLAN(ref) != nil {
					continue
				}
				i, ok := ref.intVal()
				if ref.kind != kInt || !ok {
					continue // reported when the port is resolved
				}
				vc := &vlanConf{key: ref, valid: i >= 1 && i <= 4095}
				vc.vlan = &VLAN{
					Name: ref.text(), VID: uint16(i), Description: ref.text(), FaucetMAC: defaultFaucetMAC(),
					UnicastFlood: true, MaxHosts: 256, ProactiveARPLimit: 512, ProactiveNDLimit: 512,
					TargetedGWResolution: true, MinimumIPSizeCheck: true, EdgeLearnStackRoot: true,
					Implicit: true, Pos: ref.pos(""),
				}
				if !vc.valid {
					v.e.add(ref.pos(pc.path), "invalid VID %s (must be 1-4095)", ref.text())
					vc.vlan.VID = 0
				}
				v.vlanByKey[keyID(ref)] = vc
				v.vlans = append(v.vlans, vc)
			}
		}
	}
}

func (v *validator) checkDPIDs() {
	seen := map[uint64]*dpConf{}
	for _, dc := range v.doc.dps {
		if !dc.idOK {
			continue
		}
		if prev, dup := seen[dc.dp.ID]; dup {
			v.e.add(dc.dp.Pos, "DPID %d is duplicated (also used by DP %s)", dc.dp.ID, prev.dp.Name)
			continue
		}
		seen[dc.dp.ID] = dc
	}
}

func (v *validator) checkRoutersUsed() {
	used := map[string]bool{}
	for _, dp := range v.cfg.DPs {
		for _, r := range dp.Routers {
			used[r.Name] = true
		}
	}
	for _, rc := range v.doc.routers {
		if !used[rc.router.Name] && (len(rc.vlans) > 0 || rc.bgpVLAN != nil) {
			v.e.add(rc.router.Pos, "router %s configured but not used by any DP", rc.router.Name)
		}
	}
}

func sortVLANs(vs []*VLAN) {
	sort.Slice(vs, func(i, j int) bool { return vs[i].VID < vs[j].VID })
}
