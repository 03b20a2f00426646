package oftable

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

func groupAdd(id uint32, typ of13.GroupType, buckets ...of13.Bucket) of13.GroupMod {
	return of13.GroupMod{Command: of13.ModAdd, Group: of13.Group{ID: id, Type: typ, Buckets: buckets}}
}

func bucket(as ...of13.Action) of13.Bucket { return of13.Bucket{Actions: as} }

func TestAllGroupClonesPerBucket(t *testing.T) {
	tbl := New(Config{})
	// Faucet's tagged+untagged flood group: bucket actions must not leak
	// into each other, nor into the actions after the group.
	mustApply(t, tbl, groupAdd(1, of13.GroupTypeAll,
		bucket(of13.Output(2)),
		bucket(of13.PopVLAN(), of13.Output(3)),
		bucket(of13.SetVlanVID(200), of13.Output(4)),
	))
	mustAdd(t, tbl, flow(0, 1, of13.NewMatch(of13.VlanVID(100)), apply(of13.GroupAction(1), of13.Output(5))))
	r := tbl.Trace(udpPkt(1, tag(100)))
	want := [][2]uint32{{2, 100 | present}, {3, 0}, {4, 200 | present}, {5, 100 | present}}
	if got := outs(r.Outputs); !reflect.DeepEqual(got, want) {
		t.Fatalf("outputs %v, want %v\n%s", got, want, r)
	}
	if !reflect.DeepEqual(r.Groups, []uint32{1}) {
		t.Fatalf("groups %v", r.Groups)
	}
}

func TestSelectGroupIsDeterministicAndSpreads(t *testing.T) {
	tbl := New(Config{})
	mustApply(t, tbl, groupAdd(1, of13.GroupTypeSelect,
		of13.Bucket{Weight: 1, Actions: []of13.Action{of13.Output(1)}},
		of13.Bucket{Weight: 1, Actions: []of13.Action{of13.Output(2)}},
		of13.Bucket{Weight: 0, Actions: []of13.Action{of13.Output(3)}},
	))
	mustAdd(t, tbl, flow(0, 1, nil, apply(of13.GroupAction(1))))
	seen := map[uint32]int{}
	for i := range 64 {
		p := udpPkt(9)
		p.L4Src = uint16(1000 + i)
		a, b := tbl.OutPorts(p), tbl.OutPorts(p)
		if len(a) != 1 || !reflect.DeepEqual(a, b) {
			t.Fatalf("select must pick one bucket, the same each time: %v %v", a, b)
		}
		seen[a[0]]++
	}
	if seen[1] == 0 || seen[2] == 0 || seen[3] != 0 {
		t.Fatalf("bucket choice %v: want both weighted buckets used and the zero-weight one never", seen)
	}
}

func TestFastFailoverFollowsLiveness(t *testing.T) {
	down := map[uint32]bool{}
	tbl := New(Config{PortUp: func(p uint32) bool { return !down[p] }})
	mustApply(t, tbl, groupAdd(1, of13.GroupTypeFF,
		of13.Bucket{WatchPort: 1, Actions: []of13.Action{of13.Output(1)}},
		of13.Bucket{WatchPort: 2, Actions: []of13.Action{of13.Output(2)}},
	))
	mustAdd(t, tbl, flow(0, 1, nil, apply(of13.GroupAction(1))))
	p := udpPkt(9)
	if got := tbl.OutPorts(p); !reflect.DeepEqual(got, []uint32{1}) {
		t.Fatalf("all up: %v", got)
	}
	down[1] = true
	if got := tbl.OutPorts(p); !reflect.DeepEqual(got, []uint32{2}) {
		t.Fatalf("port 1 down: %v", got)
	}
	down[2] = true
	if r := tbl.Trace(p); !r.Dropped {
		t.Fatalf("all down must drop:\n%s", r)
	}
	wantErr(t, tbl.ApplyGroupMod(groupAdd(2, of13.GroupTypeFF, bucket(of13.Output(1)))), ErrBadWatch)
}

func TestIndirectGroupAndChaining(t *testing.T) {
	tbl := New(Config{})
	gw := MAC("0e:00:00:00:00:fe")
	mustApply(t, tbl,
		groupAdd(1, of13.GroupTypeIndirect, bucket(of13.SetField(of13.EthDst(gw)), of13.Output(4))),
		groupAdd(2, of13.GroupTypeAll, bucket(of13.GroupAction(1)), bucket(of13.Output(5))),
	)
	mustAdd(t, tbl, flow(0, 1, of13.NewMatch(of13.EthType(0x800), of13.PrefixField(of13.FieldIPv4Dst, netip.MustParsePrefix("10.0.0.0/8"))), apply(of13.GroupAction(2))))
	r := tbl.Trace(udpPkt(1))
	if len(r.Outputs) != 2 || r.Outputs[0].Port != 4 || r.Outputs[0].Packet.EthDst.String() != gw.String() ||
		r.Outputs[1].Port != 5 || r.Outputs[1].Packet.EthDst.String() != macB.String() {
		t.Fatalf("trace:\n%s", r)
	}
	wantErr(t, tbl.ApplyGroupMod(of13.GroupMod{Command: of13.ModDelete, Group: of13.Group{ID: 1}}), ErrChainedGroup)
	wantErr(t, tbl.ApplyGroupMod(groupAdd(3, of13.GroupTypeIndirect)), ErrInvalidGroup)
	wantErr(t, tbl.ApplyGroupMod(groupAdd(4, of13.GroupTypeAll, bucket(of13.GroupAction(4)))), ErrGroupLoop)
	wantErr(t, tbl.ApplyGroupMod(groupAdd(5, of13.GroupTypeAll, bucket(of13.GroupAction(99)))), ErrBadOutGroup)
}

func TestGroupModCommands(t *testing.T) {
	tbl := New(Config{})
	mustApply(t, tbl, groupAdd(1, of13.GroupTypeAll, bucket(of13.Output(1))))
	wantErr(t, tbl.ApplyGroupMod(groupAdd(1, of13.GroupTypeAll)), ErrGroupExists)
	wantErr(t, tbl.ApplyGroupMod(of13.GroupMod{Command: of13.ModModify, Group: of13.Group{ID: 2}}), ErrUnknownGroup)
	wantErr(t, tbl.ApplyGroupMod(of13.GroupMod{Command: 7, Group: of13.Group{ID: 2}}), ErrBadGroupCommand)
	wantErr(t, tbl.ApplyGroupMod(groupAdd(0xfffffff0, of13.GroupTypeAll)), ErrInvalidGroup)
	mustApply(t, tbl, of13.GroupMod{Command: of13.ModModify, Group: of13.Group{ID: 1, Type: of13.GroupTypeAll,
		Buckets: []of13.Bucket{bucket(of13.Output(2)), bucket(of13.Output(3))}}})
	mustAdd(t, tbl,
		flow(0, 2, of13.NewMatch(of13.InPort(1)), apply(of13.GroupAction(1))),
		flow(0, 1, nil, apply(of13.Output(7))),
	)
	if got := tbl.OutPorts(udpPkt(1)); !reflect.DeepEqual(got, []uint32{2, 3}) {
		t.Fatalf("modified group: %v", got)
	}
	if pk, _ := tbl.GroupPackets(1); pk != 0 {
		t.Fatal("Trace must not count")
	}
	tbl.Inject(udpPkt(1))
	if pk, _ := tbl.GroupPackets(1); pk != 1 {
		t.Fatal("Inject must count group packets")
	}
	// Deleting the group deletes the flow that uses it; the packet now
	// takes the lower-priority flow. Deleting it again is not an error.
	mustApply(t, tbl, of13.GroupMod{Command: of13.ModDelete, Group: of13.Group{ID: 1}})
	mustApply(t, tbl, of13.GroupMod{Command: of13.ModDelete, Group: of13.Group{ID: 1}})
	if tbl.Len() != 1 || len(tbl.Groups()) != 0 {
		t.Fatalf("after delete:\n%s", tbl)
	}
	if got := tbl.OutPorts(udpPkt(1)); !reflect.DeepEqual(got, []uint32{7}) {
		t.Fatalf("after delete: %v", got)
	}
	mustApply(t, tbl, groupAdd(1, of13.GroupTypeAll), groupAdd(2, of13.GroupTypeAll, bucket(of13.GroupAction(1))))
	mustApply(t, tbl, of13.GroupMod{Command: of13.ModDelete, Group: of13.Group{ID: of13.GroupAll}})
	if len(tbl.Groups()) != 0 {
		t.Fatal("delete all groups")
	}
}

func TestMeters(t *testing.T) {
	tbl := New(Config{})
	m := of13.Meter{ID: 3, Flags: of13.MeterKbps, Bands: []of13.MeterBand{{Type: of13.BandDrop, Rate: 96}}}
	mustApply(t, tbl, of13.MeterMod{Command: of13.ModAdd, Meter: m})
	wantErr(t, tbl.ApplyMeterMod(of13.MeterMod{Command: of13.ModAdd, Meter: m}), ErrMeterExists)
	wantErr(t, tbl.ApplyMeterMod(of13.MeterMod{Command: of13.ModModify, Meter: of13.Meter{ID: 4, Bands: m.Bands}}), ErrUnknownMeter)
	wantErr(t, tbl.ApplyMeterMod(of13.MeterMod{Command: of13.ModAdd, Meter: of13.Meter{ID: 0}}), ErrInvalidMeter)
	wantErr(t, tbl.ApplyMeterMod(of13.MeterMod{Command: of13.ModAdd, Meter: of13.Meter{ID: 5, Flags: of13.MeterKbps | of13.MeterPktps}}), ErrBadMeterFlags)
	wantErr(t, tbl.ApplyMeterMod(of13.MeterMod{Command: of13.ModAdd, Meter: of13.Meter{ID: 5, Bands: []of13.MeterBand{{Type: of13.BandDrop}}}}), ErrBadMeterRate)
	wantErr(t, tbl.ApplyMeterMod(of13.MeterMod{Command: of13.ModAdd, Meter: of13.Meter{ID: 5, Bands: []of13.MeterBand{{Type: 9, Rate: 1}}}}), ErrBadMeterBand)
	wantErr(t, tbl.ApplyMeterMod(of13.MeterMod{Command: 9, Meter: m}), ErrBadMeterCommand)
	m2 := m
	m2.Bands = []of13.MeterBand{{Type: of13.BandDrop, Rate: 200}}
	mustApply(t, tbl, of13.MeterMod{Command: of13.ModModify, Meter: m2})
	if got := tbl.Meters(); len(got) != 1 || !got[0].Equal(&m2) {
		t.Fatalf("meters %v", got)
	}
	mustAdd(t, tbl,
		flow(0, 2, of13.NewMatch(of13.InPort(1)), of13.Instructions{Meter: 3, Apply: []of13.Action{of13.Output(2)}}),
		flow(0, 1, nil, apply(of13.Output(9))),
	)
	r := tbl.Inject(udpPkt(1))
	if !reflect.DeepEqual(r.Meters, []uint32{3}) || len(r.Outputs) != 1 {
		t.Fatalf("trace:\n%s", r)
	}
	if pk, ok := tbl.MeterPackets(3); !ok || pk != 1 {
		t.Fatalf("meter packets %d", pk)
	}
	if !reflect.DeepEqual(tbl.Meters()[0].Bands, m2.Bands) {
		t.Fatal("meter bands")
	}
	// Deleting the meter removes the flow using it, as OVS does.
	mustApply(t, tbl, of13.MeterMod{Command: of13.ModDelete, Meter: of13.Meter{ID: of13.MeterAll}})
	if tbl.Len() != 1 || len(tbl.Meters()) != 0 {
		t.Fatalf("after meter delete:\n%s", tbl)
	}
}

func TestStringIncludesMetersAndGroups(t *testing.T) {
	tbl := New(Config{})
	mustApply(t, tbl,
		of13.MeterMod{Command: of13.ModAdd, Meter: of13.Meter{ID: 1, Flags: of13.MeterKbps, Bands: []of13.MeterBand{{Type: of13.BandDrop, Rate: 10}}}},
		groupAdd(1, of13.GroupTypeAll, bucket(of13.Output(1))),
	)
	want := "meter=1,kbps,bands=type=drop,rate=10\ngroup_id=1,type=all,bucket=output:1\n"
	if got := tbl.String(); got != want {
		t.Fatalf("got\n%s", got)
	}
	wantErr(t, tbl.Apply(of13.PacketOut{}), ErrBadRequestType)
}
