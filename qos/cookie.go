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
)

// CallCookie returns the cookie of a call's flows. It is a hash of the
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
