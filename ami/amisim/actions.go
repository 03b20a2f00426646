package amisim

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// handle answers one action on session c.
func (s *Server) handle(c *session, m ami.Message) {
	name := strings.ToLower(m.Get("Action"))
	id := m.ActionID()
	c.mu.Lock()
	loggedIn := c.loggedIn
	c.mu.Unlock()
	switch name {
	case "login":
		s.login(c, m, id)
		return
	case "challenge":
		s.challengeAction(c, m, id)
		return
	case "logoff":
		c.finish(response("Goodbye", id).add("Message", "Thanks for all the fish.").bytes())
		return
	}
	if !loggedIn {
		c.send(response("Error", id).add("Message", "Permission denied").bytes(), false)
		return
	}
	switch name {
	case "ping":
		c.send(response("Success", id).add("Ping", "Pong").add("Timestamp", timestamp(s.now())).bytes(), false)
	case "events":
		on := c.setMask(m.Get("EventMask"))
		v := "Off"
		if on {
			v = "On"
		}
		c.send(response("Success", id).add("Events", v).bytes(), false)
	case "filter":
		c.send(response("Success", id).add("Message", "Filter Added Successfully").bytes(), false)
	case "getvar":
		s.getvar(c, m, id)
	case "status":
		s.status(c, m, id)
	case "coreshowchannels":
		s.coreShowChannels(c, id)
	case "hangup":
		s.hangupAction(c, m, id)
	case "originate":
		s.originate(c, m, id)
	case "command":
		s.command(c, m, id)
	case "agi":
		s.agiAction(c, m, id)
	default:
		c.send(response("Error", id).add("Message",
			fmt.Sprintf("Invalid/unknown command: %s. Use Action: ListCommands to show available commands.", m.Get("Action"))).bytes(), false)
	}
}

func (s *Server) challengeAction(c *session, m ami.Message, id string) {
	if !strings.EqualFold(m.Get("AuthType"), "MD5") {
		c.send(response("Error", id).add("Message", "Must specify AuthType").bytes(), false)
		return
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(1e9))
	ch := strconv.FormatInt(n.Int64(), 10)
	c.mu.Lock()
	c.challenge = ch
	c.mu.Unlock()
	c.send(response("Success", id).add("Challenge", ch).bytes(), false)
}

func (s *Server) login(c *session, m ami.Message, id string) {
	s.logins.Add(1)
	c.mu.Lock()
	ch := c.challenge
	c.mu.Unlock()
	ok := m.Get("Username") == s.opt.Username
	if strings.EqualFold(m.Get("AuthType"), "MD5") {
		sum := md5.Sum([]byte(ch + s.opt.Secret))
		ok = ok && ch != "" && strings.EqualFold(m.Get("Key"), hex.EncodeToString(sum[:]))
	} else {
		ok = ok && m.Get("Secret") == s.opt.Secret
	}
	if !ok {
		// Asterisk answers, then closes the socket.
		s.loginFails.Add(1)
		c.finish(response("Error", id).add("Message", "Authentication failed").bytes())
		return
	}
	c.setMask(m.Get("Events"))
	s.mu.Lock()
	c.mu.Lock()
	c.loggedIn = true
	c.mu.Unlock()
	c.send(response("Success", id).add("Message", "Authentication accepted").bytes(), false)
	if c.wants(classSystem) {
		up := strconv.FormatInt(s.now().Unix()-s.epoch, 10)
		c.send(s.event("FullyBooted", classSystem).add("Uptime", up).add("LastReload", up).add("Status", "Fully Booted").bytes(), true)
	}
	s.mu.Unlock()
}

func (s *Server) getvar(c *session, m ami.Message, id string) {
	name, variable := m.Get("Channel"), m.Get("Variable")
	s.mu.Lock()
	defer s.mu.Unlock()
	value := ""
	if name != "" {
		ch := s.chans[name]
		if ch == nil {
			c.send(response("Error", id).add("Message", "No such channel").bytes(), false)
			return
		}
		value = ch.variable(variable)
	}
	c.send(response("Success", id).add("Variable", variable).add("Value", value).bytes(), false)
}

func (s *Server) status(c *session, m ami.Message, id string) {
	name := m.Get("Channel")
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*simChan
	if name != "" {
		ch := s.chans[name]
		if ch == nil {
			c.send(response("Error", id).add("Message", "No such channel").bytes(), false)
			return
		}
		list = append(list, ch)
	} else {
		list = s.sortedChans()
	}
	c.send(response("Success", id).add("EventList", "start").add("Message", "Channel status will follow").bytes(), false)
	now := s.now()
	for _, ch := range list {
		e := (&msg{}).add("Event", "Status").add("Privilege", "Call")
		e.chanFields("", ch)
		e.add("Type", "PJSIP").add("DNID", "").add("EffectiveConnectedLineNum", ch.connNum).
			add("EffectiveConnectedLineName", ch.connName).add("TimeToHangup", "0").add("BridgeID", ch.bridge()).
			add("Application", ch.app).add("Data", ch.appData())
		native, read, readTrans, write, writeTrans := ch.formats()
		e.add("Nativeformats", "("+native+")").add("Readformat", read).add("Readtrans", readTrans)
		e.add("Writeformat", write).add("Writetrans", writeTrans).add("Callgroup", "0").add("Pickupgroup", "0")
		e.add("Seconds", strconv.Itoa(int(now.Sub(ch.created)/time.Second))).add("ActionID", id)
		c.send(e.bytes(), false)
	}
	n := strconv.Itoa(len(list))
	c.send((&msg{}).add("Event", "StatusComplete").add("ActionID", id).add("EventList", "Complete").
		add("ListItems", n).add("Items", n).bytes(), false)
}

func (s *Server) coreShowChannels(c *session, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.send(response("Success", id).add("EventList", "start").add("Message", "Channels will follow").bytes(), false)
	list := s.sortedChans()
	now := s.now()
	for _, ch := range list {
		e := (&msg{}).add("Event", "CoreShowChannel").add("ActionID", id)
		e.chanFields("", ch)
		d := now.Sub(ch.created) / time.Second
		app, data := ch.app, ""
		if ch.asyncAGI { // waiting in AGI(agi:async,...)
			app, data = "AGI", ch.agiData
		}
		e.add("Application", app).add("ApplicationData", data).
			add("Duration", fmt.Sprintf("%02d:%02d:%02d", d/3600, d/60%60, d%60)).add("BridgeId", ch.bridge())
		c.send(e.bytes(), false)
	}
	c.send((&msg{}).add("Event", "CoreShowChannelsComplete").add("ActionID", id).add("EventList", "Complete").
		add("ListItems", strconv.Itoa(len(list))).bytes(), false)
}

func (s *Server) hangupAction(c *session, m ami.Message, id string) {
	name := m.Get("Channel")
	cause := 16
	if v, ok := m.Int("Cause"); ok {
		cause = v
	}
	s.mu.Lock()
	var targets []*simChan
	if len(name) > 1 && strings.HasPrefix(name, "/") && strings.HasSuffix(name, "/") {
		re, err := regexp.Compile(name[1 : len(name)-1])
		if err == nil {
			for _, ch := range s.sortedChans() {
				if re.MatchString(ch.name) {
					targets = append(targets, ch)
				}
			}
		}
	} else if ch := s.chans[name]; ch != nil {
		targets = append(targets, ch)
	}
	if len(targets) == 0 {
		s.mu.Unlock()
		c.send(response("Error", id).add("Message", "No such channel").bytes(), false)
		return
	}
	c.send(response("Success", id).add("Message", "Channel Hungup").bytes(), false)
	for _, ch := range targets {
		s.hangupLocked(ch.call, ch, cause)
	}
	s.mu.Unlock()
}

func (s *Server) command(c *session, m ami.Message, id string) {
	cmd := strings.TrimSpace(m.Get("Command"))
	r := response("Success", id).add("Message", "Command output follows")
	switch cmd {
	case "core show version":
		r.add("Output", "Asterisk 22.10.1 (amisim) built by voipsdn")
	case "core show channels count":
		s.mu.Lock()
		r.add("Output", fmt.Sprintf("%d active channels", len(s.chans)))
		r.add("Output", fmt.Sprintf("%d active calls", len(s.calls)))
		s.mu.Unlock()
	default:
		r.add("Output", "No such command '"+cmd+"' (type 'core show help "+cmd+"' for other possible commands)")
	}
	c.send(r.bytes(), false)
}
