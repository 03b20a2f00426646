package dp

import (
	"bytes"
	"context"
	"time"

	"github.com/voipsdn/voipsdn/faucet/pipeline"
)

// learn runs the pipeline's learning decision for a packet's source and
// turns the result into flow changes in b.
func (r *runner) learn(now time.Time, pk packetIn, b *batch) {
	port, local, ok := r.stackLearnPort(pk.inPort, pk.vid, pk.src)
	if !ok {
		return
	}
	res := r.st.learned.Learn(now, r.st.dp, port, pk.vid, pk.src)
	for _, o := range res.Evicted {
		r.dropHost(o, b)
	}
	switch res.Outcome {
	case pipeline.OutcomeIgnored:
		return
	case pipeline.OutcomeLearned, pipeline.OutcomeMoved:
		r.setOwner(b, res.Owner, res.Flows)
		h := r.st.hosts[res.Owner]
		if h == nil { // a host whose port has no flows for it
			h = &hostEntry{}
			r.st.hosts[res.Owner] = h
		}
		if h.located && (h.vid != pk.vid || !bytes.Equal(h.mac, pk.src)) {
			r.m.hosts.forget(r.id, h.vid, h.mac)
		}
		if he, ok := r.m.opts.Events.(HostEvents); ok {
			var prev uint32
			if h.located && h.port != pk.inPort {
				prev = h.port
			}
			he.HostLearned(r.id, pk.inPort, prev, pk.vid, bytes.Clone(pk.src), pk.ip)
		}
		// pk.src points into the packet-in's buffer: keep a copy, not the buffer.
		h.located, h.port, h.vid, h.mac = local, port, pk.vid, bytes.Clone(pk.src)
		if local {
			r.m.hosts.learnMAC(Location{DP: r.st.dp.Name, DPID: r.id, Port: port, VID: pk.vid, MAC: pk.src})
		}
		for _, x := range res.Extra {
			r.setOwner(b, x.Owner, x.Flows)
		}
		return
	case pipeline.OutcomeRefreshed:
		// The switch timed the host's flows out on its own: add them
		// again even though they were sent before.
		r.setHost(b, res.Owner, res.Flows, true)
		if local {
			r.m.hosts.learnMAC(Location{DP: r.st.dp.Name, DPID: r.id, Port: port, VID: pk.vid, MAC: pk.src})
		}
		return
	case pipeline.OutcomeDenied, pipeline.OutcomeBanned:
		r.ctr.learnFailures.Add(1)
		r.log.Debug("learning refused", "outcome", res.Outcome.String(), "reason", res.Reason,
			"port", pk.inPort, "vid", pk.vid, "mac", pk.src.String())
	}
	if res.Owner != "" {
		r.setOwner(b, res.Owner, res.Flows)
	}
	for _, x := range res.Extra {
		r.setOwner(b, x.Owner, x.Flows)
	}
}

// dropHost removes an owner's flows and, for a host, its location.
func (r *runner) dropHost(owner string, b *batch) {
	r.setOwner(b, owner, nil)
	r.forgetHost(owner)
}

// forgetHost drops a host's entry, whose flows are already gone or being
// deleted, and unpublishes its location.
func (r *runner) forgetHost(owner string) {
	if h, ok := r.st.hosts[owner]; ok {
		delete(r.st.hosts, owner)
		if h.located {
			r.m.hosts.forget(r.id, h.vid, h.mac)
		}
	}
}

// expire removes the hosts and bans that have timed out at now.
func (r *runner) expire(ctx context.Context, now time.Time) {
	owners := r.st.learned.Expire(now, r.st.dp)
	if len(owners) == 0 {
		return
	}
	var b batch
	he, _ := r.m.opts.Events.(HostEvents)
	for _, o := range owners {
		if h := r.st.hosts[o]; he != nil && h != nil && h.located {
			he.HostExpired(r.id, h.port, h.vid, h.mac)
		}
		r.dropHost(o, &b)
	}
	if err := r.send(ctx, &b); err != nil {
		r.log.Warn("removing expired hosts failed", "err", err)
	}
}

// portDown forgets the hosts learned on a port that went down or away.
func (r *runner) portDown(ctx context.Context, port uint32) error {
	var b batch
	for _, o := range r.st.learned.PortDown(port) {
		r.dropHost(o, &b)
	}
	return r.send(ctx, &b)
}
