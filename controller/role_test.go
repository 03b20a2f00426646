package controller

import (
	"errors"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

func roleReply(xid uint32, role uint32, gen uint64) []byte {
	b := wire.AppendRoleRequest(nil, xid, role, gen)
	b[1] = byte(wire.TypeRoleReply)
	return b
}

func errorMsg(xid uint32, typ of13.ErrorType, code uint16) []byte {
	return wire.AppendError(nil, xid, typ, code, make([]byte, 64))
}

func testFlowMod(p uint16) of13.Message {
	return of13.AddFlow(of13.Flow{Table: 0, Priority: p, Match: of13.NewMatch(of13.InPort(1))})
}

// In team mode nothing is written before the switch confirms MASTER, the
// gate opens on that reply, and closes again when the switch reports this
// controller a slave; the role request, reply and stale error round-trip.
func TestRoleGate(t *testing.T) {
	roles := make(chan Role, 4)
	srv := &Server{RoleGate: true, RoleChanged: func(_ *Switch, r Role, _ uint64) { roles <- r }}
	rec, addr := startFake(t, srv)
	f := dialFake(t, addr)
	f.handshake(7)
	sw := rec.sw(t, 5*time.Second)
	ctx := ctxT(t)

	if err := sw.Send(ctx, testFlowMod(1)); !errors.Is(err, ErrNotMaster) {
		t.Fatalf("send before MASTER: %v, want ErrNotMaster", err)
	}
	if err := sw.SendWithBarrier(ctx, []of13.Message{testFlowMod(1)}, func(error) {}); !errors.Is(err, ErrNotMaster) {
		t.Fatalf("send with barrier before MASTER: %v, want ErrNotMaster", err)
	}

	type res struct {
		r   Role
		gen uint64
		err error
	}
	got := make(chan res, 1)
	go func() {
		r, g, err := sw.RequestRole(ctx, RoleMaster, 42)
		got <- res{r, g, err}
	}()
	// The gated flow-mods never reached the switch: the role request is
	// the first message after the handshake.
	h, body, err := f.r.Next()
	if err != nil || h.Type != wire.TypeRoleRequest {
		t.Fatalf("first message after handshake: %v %v, want role-request", h.Type, err)
	}
	role, gen, err := wire.DecodeRole(body)
	if err != nil || role != wire.RoleMaster || gen != 42 {
		t.Fatalf("role request %d gen %d: %v", role, gen, err)
	}
	f.send(roleReply(h.XID, wire.RoleMaster, 42))
	if r := <-got; r.err != nil || r.r != RoleMaster || r.gen != 42 {
		t.Fatalf("RequestRole = %+v", r)
	}
	if err := sw.Send(ctx, testFlowMod(2)); err != nil {
		t.Fatalf("send as MASTER: %v", err)
	}
	fh, _ := f.expect(wire.TypeFlowMod)

	// The switch refuses a flow-mod as from a slave: the gate closes and
	// the team is told.
	f.send(errorMsg(fh.XID, of13.ErrBadRequest, 10))
	select {
	case r := <-roles:
		if r != RoleSlave {
			t.Fatalf("RoleChanged(%s), want slave", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("IS_SLAVE did not reach RoleChanged")
	}
	if err := sw.Send(ctx, testFlowMod(3)); !errors.Is(err, ErrNotMaster) {
		t.Fatalf("send after IS_SLAVE: %v, want ErrNotMaster", err)
	}
	if r, _ := sw.Role(); r != RoleSlave {
		t.Fatalf("Role() = %s after IS_SLAVE", r)
	}

	// A stale request comes back as ErrRoleStale and leaves the gate shut.
	go func() {
		r, g, err := sw.RequestRole(ctx, RoleMaster, 41)
		got <- res{r, g, err}
	}()
	h, _ = f.expect(wire.TypeRoleRequest)
	f.send(errorMsg(h.XID, of13.ErrRoleRequestFailed, 0))
	if r := <-got; !errors.Is(r.err, ErrRoleStale) {
		t.Fatalf("stale RequestRole = %+v, want ErrRoleStale", r)
	}
	if err := sw.Send(ctx, testFlowMod(4)); !errors.Is(err, ErrNotMaster) {
		t.Fatalf("send after a stale request: %v", err)
	}

	// Master again, then an ONF role status demotes.
	go func() {
		r, g, err := sw.RequestRole(ctx, RoleMaster, 50)
		got <- res{r, g, err}
	}()
	h, _ = f.expect(wire.TypeRoleRequest)
	f.send(roleReply(h.XID, wire.RoleMaster, 50))
	<-got
	f.send(wire.AppendONFRoleStatus(nil, 0, wire.RoleStatus{Role: wire.RoleSlave, Generation: 51}))
	if r := <-roles; r != RoleSlave {
		t.Fatalf("RoleChanged(%s) after role status", r)
	}
	if r, g := sw.Role(); r != RoleSlave || g != 51 {
		t.Fatalf("Role() = %s %d after role status", r, g)
	}
	if srv.Stats().Withheld != 4 {
		t.Fatalf("Withheld = %d, want 4", srv.Stats().Withheld)
	}
}

// Without RoleGate nothing is withheld and no role request is sent.
func TestNoRoleGateAlone(t *testing.T) {
	rec, addr := startFake(t, &Server{})
	f := dialFake(t, addr)
	f.handshake(7)
	sw := rec.sw(t, 5*time.Second)
	if err := sw.Send(ctxT(t), testFlowMod(1)); err != nil {
		t.Fatal(err)
	}
	h, _, err := f.r.Next()
	if err != nil || h.Type != wire.TypeFlowMod {
		t.Fatalf("first message %s %v, want the flow-mod", h.Type, err)
	}
}
