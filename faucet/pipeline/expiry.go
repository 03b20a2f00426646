package pipeline

import (
	"slices"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// Hosts expire in the order they were learned, so Expire need not look at
// every host each time it runs (once a second): learning appends the host
// to a queue, and Expire pops from its front while the front has timed
// out. A host relearned since it was queued has a newer entry further
// back; its old entry is stale and skipped. At a hundred thousand hosts a
// full walk every second would stall the DP's goroutine for milliseconds.
//
// A configuration change can invalidate hosts anywhere in the queue (their
// port left the VLAN), so the first Expire under a new configuration walks
// every host once.

// expiryEntry is a host as queued when it was learned (or, on a
// permanent_learn port, last checked) at time at.
type expiryEntry struct {
	key hostKey
	h   *Host
	at  time.Time
}

// expiryQueue is a FIFO of learned hosts.
type expiryQueue struct {
	items []expiryEntry
	head  int
}

func (q *expiryQueue) push(k hostKey, h *Host, at time.Time) {
	q.items = append(q.items, expiryEntry{k, h, at})
}

func (q *expiryQueue) front() (expiryEntry, bool) {
	if q.head == len(q.items) {
		return expiryEntry{}, false
	}
	return q.items[q.head], true
}

func (q *expiryQueue) pop() {
	q.items[q.head] = expiryEntry{}
	q.head++
	// Reuse the front of the array once half of it is spent.
	if q.head >= 1024 && q.head*2 >= len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
}

// Expire forgets hosts not relearned within the DP timeout (except on
// permanent_learn ports) or whose port no longer carries their VLAN, and
// bans that have run out. It returns the owners whose flows to delete.
func (l *Learned) Expire(now time.Time, dp *config.DP) (expiredOwners []string) {
	c, err := l.compilerFor(dp)
	if err != nil {
		return nil
	}
	timeout := time.Duration(dp.Timeout) * time.Second
	if l.expiryChecked != dp {
		// A new configuration: check every host once.
		l.expiryChecked = dp
		for k, h := range l.hosts {
			if _, _, ok := c.hostValid(h); !ok {
				l.remove(k)
				expiredOwners = append(expiredOwners, HostOwner(h.VID, h.MAC))
			}
		}
	}
	for {
		e, ok := l.expiry.front()
		if !ok || now.Sub(e.at) <= timeout {
			break
		}
		l.expiry.pop()
		if l.hosts[e.key] != e.h {
			continue // relearned since (queued again) or already gone
		}
		if p, _, ok := c.hostValid(e.h); ok && p.PermanentLearn {
			// Permanent hosts never expire; look at it again a timeout
			// from now.
			l.expiry.push(e.key, e.h, now)
			continue
		}
		l.remove(e.key)
		expiredOwners = append(expiredOwners, HostOwner(e.h.VID, e.h.MAC))
	}
	for n, until := range l.portBans {
		if !now.Before(until) || c.ports[n] == nil {
			delete(l.portBans, n)
			expiredOwners = append(expiredOwners, PortBanOwner(n))
		}
	}
	for vid, until := range l.vlanBans {
		if !now.Before(until) || c.vlans[vid] == nil {
			delete(l.vlanBans, vid)
			expiredOwners = append(expiredOwners, VLANBanOwner(vid))
		}
	}
	slices.Sort(expiredOwners)
	return expiredOwners
}
