package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/internal/etcdlab"
)

// Team flags are checked before anything starts: a name or id without
// etcd, an unnamed instance, and a cluster command without etcd are
// refused with a clear message.
func TestClusterFlagsValidated(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--config", "x.yaml", "--cluster-name", "c"}, "need --cluster-etcd"},
		{[]string{"run", "--config", "x.yaml", "--cluster-etcd", "http://127.0.0.1:1", "--cluster-name", "c"}, "instance id"},
		{[]string{"run", "--config", "x.yaml", "--cluster-etcd", "http://127.0.0.1:1", "--cluster-name", "a/b", "--instance-id", "i"}, "cluster name"},
		{[]string{"run", "--config", "x.yaml", "--cluster-etcd", "http://127.0.0.1:1", "--cluster-name", "c", "--instance-id", "i", "--cluster-etcd-password-file", "/nonexistent"}, "password file"},
		{[]string{"run", "--config", "x.yaml", "--cluster-etcd", "http://127.0.0.1:1", "--cluster-name", "c", "--instance-id", "i", "--cluster-link-token-file", "/nonexistent"}, "link token file"},
		{[]string{"run", "--config", "x.yaml", "--cluster-etcd", "http://127.0.0.1:1", "--cluster-name", "c", "--instance-id", "i", "--cluster-listen", "off", "--cluster-advertise", "10.0.0.1:6654"}, "advertised link address without a listen address"},
		{[]string{"cluster", "status"}, "--cluster-etcd"},
		{[]string{"cluster"}, "usage: voipsdn cluster"},
	} {
		t.Setenv("VOIPSDN_CLUSTER_ETCD", "")
		var out, errb bytes.Buffer
		if code := dispatch(context.Background(), tc.args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2; stderr %s", tc.args, code, errb.String())
		}
		if !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: stderr %q, want %q", tc.args, errb.String(), tc.want)
		}
	}
}

// cluster drain, status and undrain against a real etcd.
func TestClusterStatusAndDrain(t *testing.T) {
	etcd := etcdlab.Start(t, 1)
	ep := etcd.Endpoints()[0]
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := dispatch(context.Background(), args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	if out := run("cluster", "drain", "--cluster-etcd", ep, "--cluster-name", "c", "--instance-id", "ctl-a", "--for", "1m"); !strings.Contains(out, "ctl-a drained") {
		t.Fatalf("drain: %s", out)
	}
	out := run("cluster", "status", "--cluster-etcd", ep, "--cluster-name", "c")
	if !strings.Contains(out, ep) || !strings.Contains(out, "true") || !strings.Contains(out, "DATAPATH") {
		t.Fatalf("status:\n%s", out)
	}
	run("cluster", "undrain", "--cluster-etcd", ep, "--cluster-name", "c", "--instance-id", "ctl-a")
}
