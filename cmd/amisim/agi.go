package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/agi/agisim"
)

// defaultAGIEnv is the environment of recording
// agi/testdata/captures/02-fastagi-404-after-answer, with the host left
// for --connect's.
const defaultAGIEnv = "agi_network: yes\nagi_network_script: qos?class=emergency\n" +
	"agi_request: agi://voipsdn:4573/qos?class=emergency\nagi_channel: PJSIP/201-00000006\n" +
	"agi_language: en\nagi_type: PJSIP\nagi_uniqueid: 1796624786.8\nagi_version: 22.10.1\n" +
	"agi_callerid: 201\nagi_calleridname: Alice 201\nagi_callingpres: 0\nagi_callingani2: 0\n" +
	"agi_callington: 0\nagi_callingtns: 0\nagi_dnid: 404\nagi_rdnis: unknown\nagi_context: default\n" +
	"agi_extension: 404\nagi_priority: 2\nagi_enhanced: 0.0\nagi_accountcode: \nagi_threadid: 140237777630912\n\n"

// runAGI is "amisim agi": the Asterisk side of FastAGI sessions against a
// FastAGI server (voipsdn's), as agisim models it.
func runAGI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("amisim agi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	connect := fs.String("connect", "127.0.0.1:4573", "FastAGI server address")
	recording := fs.String("recording", "", "take the agi_* environment from this .from-asterisk recording")
	script := fs.String("script", "", "URL path and query to ask for (default: the environment's, qos?class=emergency)")
	uniqueid := fs.String("uniqueid", "", "the channel's uniqueid (default: the environment's)")
	answered := fs.Bool("answered", false, "the channel is answered (CHANNEL(rtp,...) known)")
	hangup := fs.Bool("hangup-after-env", false, "the caller hangs up as soon as the environment is sent")
	noSigHup := fs.Bool("no-sighup", false, "AGISIGHUP=no: send no HANGUP lines")
	count := fs.Int("count", 1, "sessions to run, one after another (uniqueids get a suffix)")
	timeout := fs.Duration("timeout", 5*time.Second, "wait for each command at most this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	env := []byte(defaultAGIEnv)
	if *recording != "" {
		b, err := os.ReadFile(*recording)
		if err != nil {
			fmt.Fprintln(stderr, "amisim agi:", err)
			return 1
		}
		if env = agisim.EnvOf(b); env == nil {
			fmt.Fprintf(stderr, "amisim agi: %s holds no agi_* environment\n", *recording)
			return 1
		}
	}
	failed := 0
	for i := range *count {
		uid := *uniqueid
		if *count > 1 {
			uid = envValue(env, "agi_uniqueid", uid) + "." + strconv.Itoa(i)
		}
		e := rewriteEnv(env, *script, uid)
		sc := agisim.Scenario{Env: e, HangupAfterEnv: *hangup, NoSigHup: *noSigHup, Channel: agisim.Channel{
			Uniqueid: envValue(e, "agi_uniqueid", ""), Answered: *answered,
			RTPDest: "10.0.100.201:25062", RTPSrc: "10.0.100.1:10096",
		}}
		tr, err := agisim.Run(ctx, *connect, sc, *timeout)
		if err != nil {
			fmt.Fprintf(stderr, "amisim agi: session %d: %v\n", i+1, err)
			failed++
			continue
		}
		res, _ := tr.Model.Var("VOIPSDN_QOS")
		fmt.Fprintf(stdout, "session %d uniqueid %s: %d commands %q, VOIPSDN_QOS=%s, server closed: %v\n",
			i+1, sc.Channel.Uniqueid, len(tr.Commands), tr.Commands, res, tr.ServerClosed)
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// envValue returns a variable of an environment block, or def.
func envValue(env []byte, name, def string) string {
	for line := range strings.SplitSeq(string(env), "\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			return v
		}
	}
	return def
}

// rewriteEnv sets the script (in agi_network_script and agi_request) and
// the uniqueid of an environment block, when given.
func rewriteEnv(env []byte, script, uid string) []byte {
	lines := strings.Split(string(env), "\n")
	for i, l := range lines {
		name, _, _ := strings.Cut(l, ": ")
		switch {
		case name == "agi_network_script" && script != "":
			lines[i] = name + ": " + script
		case name == "agi_request" && script != "":
			if j := strings.Index(l, "://"); j >= 0 {
				if k := strings.IndexByte(l[j+3:], '/'); k >= 0 {
					lines[i] = l[:j+3+k+1] + script
				}
			}
		case name == "agi_uniqueid" && uid != "":
			lines[i] = name + ": " + uid
		}
	}
	return []byte(strings.Join(lines, "\n"))
}
