package team

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// Key layout under /voipsdn/<cluster>/.
func clusterPrefix(cluster string) string { return "/voipsdn/" + cluster + "/" }

func dpPrefix(cluster string) string { return clusterPrefix(cluster) + "dp/" }

// masterPrefix is the election prefix of one datapath.
func masterPrefix(cluster string, dpid uint64) string {
	return fmt.Sprintf("%s%016x/master/", dpPrefix(cluster), dpid)
}

func membersPrefix(cluster string) string { return clusterPrefix(cluster) + "members/" }

func memberKey(cluster, instance string) string { return membersPrefix(cluster) + instance }

func instancesPrefix(cluster string) string { return clusterPrefix(cluster) + "instances/" }

func instanceKey(cluster, instance string) string { return instancesPrefix(cluster) + instance }

func drainKey(cluster, instance string) string { return clusterPrefix(cluster) + "drain/" + instance }

// parseMasterKey returns the dpid of an election key.
func parseMasterKey(cluster, key string) (uint64, bool) {
	rest, ok := strings.CutPrefix(key, dpPrefix(cluster))
	if !ok {
		return 0, false
	}
	hex, _, ok := strings.Cut(rest, "/master/")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(hex, 16, 64)
	return id, err == nil
}

// validName reports whether s may be a cluster name or instance id: it is
// a key component, so no slashes, and short.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// rank is instance's position (0 = preferred) among members for dpid by
// rendezvous hashing: every instance computes the same order from the same
// member list, and removing a member moves only its own DPs.
func rank(dpid uint64, instance string, members []string) int {
	type scored struct {
		id    string
		score uint64
	}
	s := make([]scored, 0, len(members)+1)
	seen := false
	for _, m := range members {
		if m == instance {
			seen = true
		}
		s = append(s, scored{m, score(dpid, m)})
	}
	if !seen {
		s = append(s, scored{instance, score(dpid, instance)})
	}
	slices.SortFunc(s, func(a, b scored) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	for i, x := range s {
		if x.id == instance {
			return i
		}
	}
	return 0
}

func score(dpid uint64, instance string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%016x/%s", dpid, instance)
	// FNV's low bits mix poorly for short inputs; finish with a
	// splitmix64 round.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
