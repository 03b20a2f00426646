package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/voipsdn/voipsdn/controller/team"
)

// teamFlags are the flags (and environment variables) that put an instance
// in a controller team; run and cluster share them.
type teamFlags struct {
	etcd, name, instance          *string
	ca, cert, key, user, passFile *string
	listen, advertise, tokenFile  *string
	ttl                           *time.Duration
}

func addTeamFlags(fs *flag.FlagSet) *teamFlags {
	return &teamFlags{
		etcd:     fs.String("cluster-etcd", os.Getenv("VOIPSDN_CLUSTER_ETCD"), "controller team: etcd endpoints, comma-separated (default $VOIPSDN_CLUSTER_ETCD); empty runs alone"),
		name:     fs.String("cluster-name", os.Getenv("VOIPSDN_CLUSTER_NAME"), "controller team: the team's name (default $VOIPSDN_CLUSTER_NAME)"),
		instance: fs.String("instance-id", os.Getenv("VOIPSDN_INSTANCE_ID"), "controller team: this instance's id, unique and stable (default $VOIPSDN_INSTANCE_ID)"),
		ttl:      fs.Duration("cluster-ttl", envDuration("VOIPSDN_CLUSTER_TTL", team.DefaultTTL), "controller team: etcd lease TTL, whole seconds (default $VOIPSDN_CLUSTER_TTL or 4s)"),
		listen: fs.String("cluster-listen", envOr("VOIPSDN_CLUSTER_LISTEN", ":6654"),
			"controller team: liveness link listen address; peers must reach it; \"off\" disables the link (default $VOIPSDN_CLUSTER_LISTEN or :6654)"),
		advertise: fs.String("cluster-advertise", os.Getenv("VOIPSDN_CLUSTER_ADVERTISE"),
			"controller team: liveness link address peers dial (default: the listen address, or this host's address toward etcd)"),
		tokenFile: fs.String("cluster-link-token-file", os.Getenv("VOIPSDN_CLUSTER_LINK_TOKEN_FILE"),
			"controller team: file holding a secret shared by the team's instances; peers' links must prove it"),
		ca:       fs.String("cluster-etcd-ca", os.Getenv("VOIPSDN_CLUSTER_ETCD_CA"), "controller team: CA certificate for etcd's TLS, PEM"),
		cert:     fs.String("cluster-etcd-cert", os.Getenv("VOIPSDN_CLUSTER_ETCD_CERT"), "controller team: client certificate for etcd, PEM"),
		key:      fs.String("cluster-etcd-key", os.Getenv("VOIPSDN_CLUSTER_ETCD_KEY"), "controller team: client key for etcd, PEM"),
		user:     fs.String("cluster-etcd-user", os.Getenv("VOIPSDN_CLUSTER_ETCD_USER"), "controller team: etcd user name"),
		passFile: fs.String("cluster-etcd-password-file", os.Getenv("VOIPSDN_CLUSTER_ETCD_PASSWORD_FILE"), "controller team: file holding the etcd password (or set $VOIPSDN_CLUSTER_ETCD_PASSWORD)"),
	}
}

// config returns the team configuration, nil when no etcd is named.
func (f *teamFlags) config(needInstance bool) (*team.Config, error) {
	eps := team.SplitEndpoints(*f.etcd)
	if len(eps) == 0 {
		if *f.name != "" || *f.instance != "" {
			return nil, errors.New("--cluster-name and --instance-id need --cluster-etcd")
		}
		return nil, nil
	}
	c := &team.Config{Endpoints: eps, Cluster: *f.name, Instance: *f.instance, TTL: *f.ttl,
		CAFile: *f.ca, CertFile: *f.cert, KeyFile: *f.key, Username: *f.user}
	c.Password = os.Getenv("VOIPSDN_CLUSTER_ETCD_PASSWORD")
	if *f.passFile != "" {
		b, err := os.ReadFile(*f.passFile)
		if err != nil {
			return nil, fmt.Errorf("etcd password file: %w", err)
		}
		c.Password = strings.TrimRight(string(b), "\r\n")
	}
	if needInstance {
		c.Advertise = *f.advertise
	}
	if needInstance && *f.listen != "off" && *f.listen != "" {
		c.Listen = *f.listen
		if *f.tokenFile != "" {
			b, err := os.ReadFile(*f.tokenFile)
			if err != nil {
				return nil, fmt.Errorf("team link token file: %w", err)
			}
			if c.LinkToken = []byte(strings.TrimRight(string(b), "\r\n")); len(c.LinkToken) == 0 {
				return nil, errors.New("team link token file is empty")
			}
		}
	}
	if !needInstance && c.Instance == "" {
		c.Instance = "cli"
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

// clusterCmd reads and steers a controller team through etcd.
func clusterCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	usage := func() {
		fmt.Fprintln(stderr, "usage: voipsdn cluster status|drain|undrain --cluster-etcd URL --cluster-name NAME [--instance-id ID] [--for 10m]")
	}
	if len(args) == 0 {
		usage()
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("cluster "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := addTeamFlags(fs)
	dur := fs.Duration("for", 10*time.Minute, "drain: how long the instance stays drained")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg, err := tf.config(sub != "status")
	if err == nil && cfg == nil {
		err = errors.New("--cluster-etcd (or $VOIPSDN_CLUSTER_ETCD) is required")
	}
	if err != nil {
		fmt.Fprintln(stderr, "voipsdn cluster:", err)
		return 2
	}
	cl, err := cfg.Client()
	if err != nil {
		fmt.Fprintln(stderr, "voipsdn cluster:", err)
		return 1
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	switch sub {
	case "status":
		st, err := team.ReadStatus(ctx, cl, cfg.Cluster)
		printStatus(stdout, st)
		if err != nil {
			fmt.Fprintln(stderr, "voipsdn cluster status:", err)
			return 1
		}
	case "drain":
		if err := team.Drain(ctx, cl, cfg.Cluster, cfg.Instance, *dur); err != nil {
			fmt.Fprintln(stderr, "voipsdn cluster drain:", err)
			return 1
		}
		fmt.Fprintf(stdout, "instance %s drained for %v: it resigns every switch and does not campaign\n", cfg.Instance, *dur)
	case "undrain":
		if err := team.Undrain(ctx, cl, cfg.Cluster, cfg.Instance); err != nil {
			fmt.Fprintln(stderr, "voipsdn cluster undrain:", err)
			return 1
		}
		fmt.Fprintf(stdout, "instance %s campaigns again\n", cfg.Instance)
	default:
		usage()
		return 2
	}
	return 0
}

func printStatus(w io.Writer, st team.Status) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "cluster %s\n\nETCD ENDPOINT\tVERSION\tLEADER\tHEALTH\n", st.Cluster)
	for _, e := range st.Endpoints {
		h := "ok"
		if e.Err != "" {
			h = e.Err
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", e.Endpoint, e.Version, e.Leader, h)
	}
	fmt.Fprintf(tw, "\nINSTANCE\tLEASE\tTTL LEFT\tLEASE AGE\tDRAINED\tLINK\n")
	for _, m := range st.Members {
		age := "?"
		if !m.Since.IsZero() {
			age = time.Since(m.Since).Truncate(time.Second).String()
		}
		l := m.Link
		if l == "" {
			l = "-"
		}
		fmt.Fprintf(tw, "%s\t%x\t%v/%v\t%s\t%v\t%s\n", m.Instance, m.Lease, m.TTL, m.Granted, age, m.Draining, l)
	}
	fmt.Fprintf(tw, "\nDATAPATH\tMASTER\tGENERATION\tSTANDBYS\n")
	for _, d := range st.DPs {
		fmt.Fprintf(tw, "%#x\t%s\t%d\t%s\n", d.DPID, d.Master, d.Generation, strings.Join(d.Candidates, ","))
	}
	tw.Flush()
}
