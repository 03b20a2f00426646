package qos

import "hash/fnv"

// Per-call flows carry a cookie of their own so that they are never owned,
// and so never deleted, by the pipeline reconciler (which owns only the DP
// cookie), and so that a restarted controller can find them all with one
// masked flow-stats request.
const (
	// CookieCategory marks a flow as voipsdn per-call QoS ("VC" in ASCII)
	// in the top 16 bits.
	CookieCategory uint64 = 0x5643 << 48
	// CookieCategoryMask selects the category bits.
	CookieCategoryMask uint64 = 0xffff << 48
	// CookieCallMask selects the call identifier bits.
	CookieCallMask uint64 = 0xffffffff
	// CookieGenMask selects the generation bits, between the category and
	// the call identifier (see CookieGen).
	CookieGenMask  uint64 = 0xffff << cookieGenShift
	cookieGenShift        = 32
)

// A per-call flow's cookie carries a generation: the 16-bit number of the
// controller run (the store's Generation) that installed the flow. A flow
// keeps its cookie for life, so one adopted after a restart keeps the
// generation of the run that installed it. It lets a store tell, among the
// per-call flows a switch holds, the ones it installed itself (which it
// knows, or has deleted) from those an earlier run left (which it may
// adopt). CallCookie returns generation 0, which no running store uses.

// CookieGen returns the generation of a per-call cookie.
func CookieGen(c uint64) uint16 { return uint16((c & CookieGenMask) >> cookieGenShift) }

// WithGen returns cookie c with generation gen.
func WithGen(c uint64, gen uint16) uint64 {
	return c&^CookieGenMask | uint64(gen)<<cookieGenShift
}

// CallKey returns a per-call cookie without its generation: the same for
// every flow of one call, whichever run installed it, and equal to
// CallCookie of the call.
func CallKey(c uint64) uint64 { return c &^ CookieGenMask }

// CallCookie returns the cookie of a call's flows, at generation 0. It is a hash of the
// Asterisk server and the call's Linkedid, so it is the same after a
// controller restart, which lets the restarted controller adopt the flows
// of calls that are still up instead of reinstalling them.
func CallCookie(server, linkedid string) uint64 {
	h := fnv.New32a()
	h.Write([]byte(server))
	h.Write([]byte{0})
	h.Write([]byte(linkedid))
	return CookieCategory | uint64(h.Sum32())
}

// IsCallCookie reports whether a cookie belongs to a per-call flow.
func IsCallCookie(c uint64) bool { return c&CookieCategoryMask == CookieCategory }

// Per-call meters take ids from their own range, above any id a Faucet
// `meters:` section is likely to use, so the two never collide. Open
// vSwitch's userspace datapath offers 262,144 meter ids.
const (
	MeterIDBase  uint32 = 0x10000
	MeterIDCount uint32 = 0x20000
)
