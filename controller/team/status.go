package team

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Status is a team as etcd records it.
type Status struct {
	Cluster   string
	Endpoints []EndpointStatus
	Members   []MemberStatus
	DPs       []DPStatus
}

// EndpointStatus is one etcd endpoint's health.
type EndpointStatus struct {
	Endpoint string
	Version  string
	Leader   bool
	Err      string
}

// MemberStatus is one live instance.
type MemberStatus struct {
	Instance string
	Since    time.Time // when it took its current lease
	Lease    int64
	TTL      time.Duration // the lease's remaining time to live
	Granted  time.Duration
	Draining bool
	Link     string // its liveness link address, "" without one
}

// DPStatus is one datapath's election.
type DPStatus struct {
	DPID       uint64
	Master     string // "" when no instance holds it
	Generation int64  // the master's generation id
	Candidates []string
}

// ReadStatus reads the team's members, drains and elections from etcd,
// and the health of each endpoint.
func ReadStatus(ctx context.Context, cl *clientv3.Client, cluster string) (Status, error) {
	st := Status{Cluster: cluster}
	for _, ep := range cl.Endpoints() {
		es := EndpointStatus{Endpoint: ep}
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		r, err := cl.Status(sctx, ep)
		cancel()
		if err != nil {
			es.Err = err.Error()
		} else {
			es.Version = r.Version
			es.Leader = r.Leader == r.Header.MemberId
			if len(r.Errors) > 0 {
				es.Err = strings.Join(r.Errors, "; ")
			}
		}
		st.Endpoints = append(st.Endpoints, es)
	}
	r, err := cl.Get(ctx, clusterPrefix(cluster), clientv3.WithPrefix())
	if err != nil {
		return st, fmt.Errorf("team: read %s: %w", clusterPrefix(cluster), err)
	}
	drained := map[string]bool{}
	link := map[string]string{}
	dps := map[uint64]*DPStatus{}
	type cand struct {
		id  string
		rev int64
	}
	cands := map[uint64][]cand{}
	for _, kv := range r.Kvs {
		k := string(kv.Key)
		switch {
		case strings.HasPrefix(k, membersPrefix(cluster)):
			m := MemberStatus{Instance: strings.TrimPrefix(k, membersPrefix(cluster)), Lease: kv.Lease}
			m.Since, _ = time.Parse(time.RFC3339, string(kv.Value))
			if kv.Lease != 0 {
				if tr, err := cl.TimeToLive(ctx, clientv3.LeaseID(kv.Lease)); err == nil {
					m.TTL = time.Duration(tr.TTL) * time.Second
					m.Granted = time.Duration(tr.GrantedTTL) * time.Second
				}
			}
			st.Members = append(st.Members, m)
		case strings.HasPrefix(k, instancesPrefix(cluster)):
			var rec instanceRecord
			if json.Unmarshal(kv.Value, &rec) == nil {
				link[strings.TrimPrefix(k, instancesPrefix(cluster))] = rec.Addr
			}
		case strings.HasPrefix(k, clusterPrefix(cluster)+"drain/"):
			drained[strings.TrimPrefix(k, clusterPrefix(cluster)+"drain/")] = true
		default:
			if id, ok := parseMasterKey(cluster, k); ok {
				cands[id] = append(cands[id], cand{string(kv.Value), kv.CreateRevision})
				if dps[id] == nil {
					dps[id] = &DPStatus{DPID: id}
				}
			}
		}
	}
	for id, cs := range cands {
		slices.SortFunc(cs, func(a, b cand) int { return int(a.rev - b.rev) })
		d := dps[id]
		d.Master, d.Generation = cs[0].id, cs[0].rev
		for _, c := range cs[1:] {
			d.Candidates = append(d.Candidates, c.id)
		}
		st.DPs = append(st.DPs, *d)
	}
	for i := range st.Members {
		st.Members[i].Draining = drained[st.Members[i].Instance]
		st.Members[i].Link = link[st.Members[i].Instance]
	}
	slices.SortFunc(st.DPs, func(a, b DPStatus) int {
		if a.DPID < b.DPID {
			return -1
		}
		if a.DPID > b.DPID {
			return 1
		}
		return 0
	})
	slices.SortFunc(st.Members, func(a, b MemberStatus) int { return strings.Compare(a.Instance, b.Instance) })
	return st, nil
}

// Drain makes instance resign every DP and stop campaigning for d (or
// until Undrain): a key on a lease of d that the instance watches.
func Drain(ctx context.Context, cl *clientv3.Client, cluster, instance string, d time.Duration) error {
	if !validName(cluster) || !validName(instance) {
		return fmt.Errorf("team: bad cluster %q or instance %q", cluster, instance)
	}
	secs := int64((d + time.Second - 1) / time.Second)
	g, err := cl.Grant(ctx, secs)
	if err != nil {
		return fmt.Errorf("team: drain: %w", err)
	}
	until := time.Now().Add(time.Duration(secs) * time.Second).UTC().Format(time.RFC3339)
	if _, err := cl.Put(ctx, drainKey(cluster, instance), until, clientv3.WithLease(g.ID)); err != nil {
		return fmt.Errorf("team: drain: %w", err)
	}
	return nil
}

// Undrain ends a drain early.
func Undrain(ctx context.Context, cl *clientv3.Client, cluster, instance string) error {
	if _, err := cl.Delete(ctx, drainKey(cluster, instance)); err != nil {
		return fmt.Errorf("team: undrain: %w", err)
	}
	return nil
}
