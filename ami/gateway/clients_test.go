package gateway_test

// Two small AMI clients in different styles, written as third-party
// clients would be: they know only the wire protocol.

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// wireMsg is one parsed message: ordered fields.
type wireMsg [][2]string

func (m wireMsg) get(k string) string {
	for _, f := range m {
		if strings.EqualFold(f[0], k) {
			return f[1]
		}
	}
	return ""
}

// readMsg reads one blank-line-terminated message (or the greeting line).
func readMsg(r *bufio.Reader) (wireMsg, error) {
	var m wireMsg
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if len(m) == 0 {
				continue
			}
			return m, nil
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			return wireMsg{{"", line}}, nil // the greeting
		}
		m = append(m, [2]string{k, v})
	}
}

func writeAction(w net.Conn, kv ...string) error {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", kv[i], kv[i+1])
	}
	b.WriteString("\r\n")
	_, err := w.Write([]byte(b.String()))
	return err
}

// syncClient is the simple style (astman, telnet scripts): send one
// action, read until its response, keep the events met on the way.
type syncClient struct {
	nc       net.Conn
	r        *bufio.Reader
	greeting string
	events   []wireMsg
	// foreign counts responses whose ActionID this client never sent.
	foreign int
	sent    map[string]bool
}

func dialSync(t *testing.T, addr, user, secret string) *syncClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	c := &syncClient{nc: nc, r: bufio.NewReader(nc), sent: map[string]bool{}}
	g, err := readMsg(c.r)
	if err != nil {
		t.Fatal(err)
	}
	c.greeting = g[0][1]
	r, err := c.do("Login", "Username", user, "Secret", secret)
	if err != nil || r.get("Response") != "Success" {
		t.Fatalf("login %s: %v %v", user, r, err)
	}
	return c
}

// do sends an action with a fresh ActionID and returns its response;
// event-list items and the Complete event are appended to list.
func (c *syncClient) do(name string, kv ...string) (wireMsg, error) {
	resp, _, err := c.doList(name, kv...)
	return resp, err
}

func (c *syncClient) doList(name string, kv ...string) (wireMsg, []wireMsg, error) {
	id := fmt.Sprintf("sync-%d", len(c.sent)+1)
	c.sent[id] = true
	if err := writeAction(c.nc, append([]string{"Action", name, "ActionID", id}, kv...)...); err != nil {
		return nil, nil, err
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var resp wireMsg
	var list []wireMsg
	for {
		m, err := readMsg(c.r)
		if err != nil {
			return resp, list, err
		}
		aid := m.get("ActionID")
		if aid != "" && !c.sent[aid] {
			c.foreign++
		}
		switch {
		case m.get("Response") != "" && m.get("Event") == "":
			if aid != id {
				continue
			}
			resp = m
			if !strings.EqualFold(m.get("EventList"), "start") {
				return resp, list, nil
			}
		case aid == id && resp != nil:
			list = append(list, m)
			if strings.EqualFold(m.get("EventList"), "Complete") {
				return resp, list, nil
			}
		default:
			c.events = append(c.events, m)
		}
	}
}

// pipeClient is the asynchronous style (asterisk-ami libraries): MD5
// login, one reader goroutine, actions written back to back and matched
// to their responses by ActionID.
type pipeClient struct {
	nc      net.Conn
	mu      sync.Mutex
	waiting map[string]chan []wireMsg // response (+ list) per ActionID
	partial map[string][]wireMsg
	events  []wireMsg
	foreign int
	done    chan struct{}
}

func dialPipe(t *testing.T, addr, user, secret string) *pipeClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &pipeClient{nc: nc, waiting: map[string]chan []wireMsg{}, partial: map[string][]wireMsg{}, done: make(chan struct{})}
	r := bufio.NewReader(nc)
	if _, err := readMsg(r); err != nil {
		t.Fatal(err)
	}
	go c.readLoop(r)
	t.Cleanup(func() { _ = nc.Close(); <-c.done })
	ch := c.send("Challenge", "AuthType", "md5")
	resp := <-ch
	sum := md5.Sum([]byte(resp[0].get("Challenge") + secret))
	ok := <-c.send("Login", "AuthType", "MD5", "Username", user, "Key", hex.EncodeToString(sum[:]))
	if ok[0].get("Response") != "Success" {
		t.Fatalf("md5 login %s: %v", user, ok)
	}
	return c
}

var pipeSeq struct {
	sync.Mutex
	n int
}

// send writes an action and returns where its response will arrive.
func (c *pipeClient) send(name string, kv ...string) chan []wireMsg {
	pipeSeq.Lock()
	pipeSeq.n++
	id := fmt.Sprintf("pipe-%d", pipeSeq.n)
	pipeSeq.Unlock()
	ch := make(chan []wireMsg, 1)
	c.mu.Lock()
	c.waiting[id] = ch
	c.mu.Unlock()
	_ = writeAction(c.nc, append([]string{"Action", name, "ActionID", id}, kv...)...)
	return ch
}

func (c *pipeClient) readLoop(r *bufio.Reader) {
	defer close(c.done)
	for {
		m, err := readMsg(r)
		if err != nil {
			return
		}
		id := m.get("ActionID")
		c.mu.Lock()
		ch := c.waiting[id]
		switch {
		case ch == nil && id != "" && !strings.HasPrefix(id, "pipe-"):
			c.foreign++
		case ch == nil:
			c.events = append(c.events, m)
		case m.get("Event") == "" && strings.EqualFold(m.get("EventList"), "start"):
			c.partial[id] = []wireMsg{m}
		case c.partial[id] != nil:
			c.partial[id] = append(c.partial[id], m)
			if strings.EqualFold(m.get("EventList"), "Complete") {
				ch <- c.partial[id]
				delete(c.partial, id)
				delete(c.waiting, id)
			}
		case m.get("Event") == "":
			ch <- []wireMsg{m}
			delete(c.waiting, id)
		default: // an event carrying a pending ActionID: not expected
			c.events = append(c.events, m)
		}
		c.mu.Unlock()
	}
}
