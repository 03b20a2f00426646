package fault

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// PBX is a hostile AMI server for the fault cases: it speaks what an
// Asterisk 22 speaks at login (the greeting, Challenge, Login, Events,
// Filter, Ping; the shapes of ami/testdata/captures), has no calls of its
// own (CoreShowChannels lists none, Getvar and Status answer "No such
// channel"), and lets a test write anything to the logged-in session:
// bytes that are not UTF-8, event storms, events that contradict its state.
//
// One session at a time is current; Send and Storm write to it. Everything
// is torn down when the test ends.
type PBX struct {
	t        testing.TB
	ln       net.Listener
	Username string
	Secret   string
	// CloseAfterLogin makes every session end right after its login is
	// accepted, as a PBX that fails at once would.
	closeAfterLogin atomic.Bool

	logins   atomic.Int64 // accepted logins
	resyncs  atomic.Int64 // CoreShowChannels answered
	mu       sync.Mutex
	cur      *pbxSession
	loggedIn chan struct{} // a token per accepted login
	wg       sync.WaitGroup
}

type pbxSession struct {
	nc net.Conn
	mu sync.Mutex // one message (or storm chunk) at a time on the wire
	w  *bufio.Writer
}

// StartPBX listens on a loopback port and serves AMI clients until the
// test ends.
func StartPBX(t testing.TB) *PBX {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &PBX{t: t, ln: ln, Username: "voipsdn", Secret: "fault-suite-secret", loggedIn: make(chan struct{}, 1024)}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		if p.cur != nil {
			p.cur.nc.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// Port is the TCP port the PBX listens on.
func (p *PBX) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// CloseAfterLogin makes every later session close right after its login.
func (p *PBX) CloseAfterLogin(on bool) { p.closeAfterLogin.Store(on) }

// Logins is the number of logins accepted so far.
func (p *PBX) Logins() int64 { return p.logins.Load() }

// Resyncs is the number of CoreShowChannels answered so far.
func (p *PBX) Resyncs() int64 { return p.resyncs.Load() }

// VoIPConfig is the voip section (indented under the top level) that
// points voipsdn at the PBX as server name; secretFile is the name Start
// writes the secret under (see Files). extra lines go into the server's
// section (e.g. "max_calls: 1000000").
func (p *PBX) VoIPConfig(name, secretFile string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "voip:\n  asterisk:\n    %s:\n      host: 127.0.0.1\n      port: %d\n      username: %s\n      secret_file: %s\n",
		name, p.Port(), p.Username, secretFile)
	for _, e := range extra {
		fmt.Fprintf(&b, "      %s\n", e)
	}
	return b.String()
}

// WaitLogin waits for the next accepted login.
func (p *PBX) WaitLogin(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case <-p.loggedIn:
	case <-time.After(d):
		t.Fatalf("fault: voipsdn did not log in to the PBX within %s", d)
	}
}

// Send writes raw bytes to the current logged-in session.
func (p *PBX) Send(t testing.TB, b []byte) {
	t.Helper()
	s := p.session(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(b); err != nil {
		t.Fatalf("fault: PBX send: %v", err)
	}
	if err := s.w.Flush(); err != nil {
		t.Fatalf("fault: PBX send: %v", err)
	}
}

// Storm writes n events to the current session as fast as TCP takes them;
// event(i, buf) appends the i-th whole message to buf. Actions voipsdn
// sends meanwhile are answered between chunks. It returns the bytes
// written.
func (p *PBX) Storm(t testing.TB, n int, event func(i int, buf []byte) []byte) int64 {
	t.Helper()
	s := p.session(t)
	var total int64
	buf := make([]byte, 0, 256<<10)
	for i := 0; i < n; {
		buf = buf[:0]
		for ; i < n && len(buf) < 224<<10; i++ {
			buf = event(i, buf)
		}
		s.mu.Lock()
		_, err := s.w.Write(buf)
		if err == nil {
			err = s.w.Flush()
		}
		s.mu.Unlock()
		if err != nil {
			t.Fatalf("fault: PBX storm after %d events: %v", i, err)
		}
		total += int64(len(buf))
	}
	return total
}

func (p *PBX) session(t testing.TB) *pbxSession {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil {
		t.Fatal("fault: no AMI session is logged in to the PBX")
	}
	return p.cur
}

func (p *PBX) serve() {
	defer p.wg.Done()
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.run(nc)
		}()
	}
}

// run serves one client connection.
func (p *PBX) run(nc net.Conn) {
	defer nc.Close()
	s := &pbxSession{nc: nc, w: bufio.NewWriterSize(nc, 64<<10)}
	reply := func(kv ...string) bool {
		var b strings.Builder
		for i := 0; i+1 < len(kv); i += 2 {
			b.WriteString(kv[i] + ": " + kv[i+1] + "\r\n")
		}
		b.WriteString("\r\n")
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, err := s.w.WriteString(b.String()); err != nil {
			return false
		}
		return s.w.Flush() == nil
	}
	s.mu.Lock()
	s.w.WriteString("Asterisk Call Manager/11.0.0\r\n")
	s.w.Flush()
	s.mu.Unlock()
	rd := ami.NewReader(nc, 1<<20)
	challenge := ""
	for {
		m, err := rd.ReadMessage()
		if err != nil {
			return
		}
		if m.Kind() != ami.KindAction {
			continue
		}
		id := m.ActionID()
		switch strings.ToLower(m.Get("Action")) {
		case "challenge":
			challenge = strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
			reply("Response", "Success", "ActionID", id, "Challenge", challenge)
		case "login":
			ok := m.Get("Username") == p.Username
			if strings.EqualFold(m.Get("AuthType"), "MD5") {
				sum := md5.Sum([]byte(challenge + p.Secret))
				ok = ok && challenge != "" && strings.EqualFold(m.Get("Key"), hex.EncodeToString(sum[:]))
			} else {
				ok = ok && m.Get("Secret") == p.Secret
			}
			if !ok {
				reply("Response", "Error", "ActionID", id, "Message", "Authentication failed")
				return
			}
			p.logins.Add(1)
			reply("Response", "Success", "ActionID", id, "Message", "Authentication accepted")
			if p.closeAfterLogin.Load() {
				return
			}
			reply("Event", "FullyBooted", "Privilege", "system,all", "Uptime", "10", "LastReload", "10", "Status", "Fully Booted")
			p.mu.Lock()
			p.cur = s
			p.mu.Unlock()
			select {
			case p.loggedIn <- struct{}{}:
			default:
			}
		case "events":
			reply("Response", "Success", "ActionID", id, "Events", "On")
		case "filter":
			reply("Response", "Success", "ActionID", id, "Message", "Filter Added Successfully")
		case "ping":
			reply("Response", "Success", "ActionID", id, "Ping", "Pong",
				"Timestamp", strconv.FormatFloat(float64(time.Now().UnixMicro())/1e6, 'f', 6, 64))
		case "coreshowchannels":
			// No calls: the PBX's real state, whatever its events said.
			p.resyncs.Add(1)
			reply("Response", "Success", "ActionID", id, "EventList", "start", "Message", "Channels will follow")
			reply("Event", "CoreShowChannelsComplete", "ActionID", id, "EventList", "Complete", "ListItems", "0")
		case "getvar", "status":
			reply("Response", "Error", "ActionID", id, "Message", "No such channel")
		case "logoff":
			reply("Response", "Goodbye", "ActionID", id, "Message", "Thanks for all the fish.")
			return
		default:
			reply("Response", "Error", "ActionID", id, "Message", "Invalid/unknown command: "+m.Get("Action")+
				". Use Action: ListCommands to show available commands.")
		}
	}
}

// Newchannel appends a Newchannel event (Asterisk 22's fields, as in the
// captures) for channel uid of call linked, in state 4 (Ring) or 6 (Up).
func Newchannel(buf []byte, uid, linked string, up bool) []byte {
	return appendChannelEvent(buf, "Newchannel", uid, linked, up, "")
}

// Hangup appends a Hangup event (cause 16) for channel uid of call linked.
func Hangup(buf []byte, uid, linked string) []byte {
	return appendChannelEvent(buf, "Hangup", uid, linked, true, "Cause: 16\r\nCause-txt: Normal Clearing\r\n")
}

func appendChannelEvent(buf []byte, event, uid, linked string, up bool, tail string) []byte {
	state, desc := "4", "Ring"
	if up {
		state, desc = "6", "Up"
	}
	buf = append(buf, "Event: "+event+"\r\nPrivilege: call,all\r\nChannel: PJSIP/201-"...)
	buf = append(buf, uid...)
	buf = append(buf, "\r\nChannelState: "+state+"\r\nChannelStateDesc: "+desc+
		"\r\nCallerIDNum: 201\r\nCallerIDName: Alice 201\r\nConnectedLineNum: <unknown>\r\nConnectedLineName: <unknown>"+
		"\r\nLanguage: en\r\nAccountCode: \r\nContext: default\r\nExten: 202\r\nPriority: 1\r\nUniqueid: "...)
	buf = append(buf, uid...)
	buf = append(buf, "\r\nLinkedid: "...)
	buf = append(buf, linked...)
	buf = append(buf, "\r\n"+tail+"\r\n"...)
	return buf
}
