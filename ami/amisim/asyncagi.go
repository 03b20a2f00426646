package amisim

import (
	"strconv"
	"strings"

	"github.com/voipsdn/voipsdn/ami"
)

const (
	classAGI      eventClass = "agi"
	classDialplan eventClass = "dialplan"
)

// startAsyncAGI runs AGI(agi:async,ARGS...) on the caller's channel, as
// capture 13 shows: Newexten AGI, then AsyncAGIStart with the agi_*
// environment URL-encoded in Env. The simulated dialplan does not wait
// for ASYNCAGI BREAK: the call goes on on its own timers.
func (s *Server) startAsyncAGI(ch *simChan, args []string) {
	appData := strings.Join(append([]string{"agi:async"}, args...), ",")
	s.broadcast(classDialplan, s.chanEvent("Newexten", ch).add("Extension", ch.exten).
		add("Application", "AGI").add("AppData", appData).bytes())
	var env strings.Builder
	for _, kv := range [][2]string{
		{"agi_request", "async"}, {"agi_channel", ch.name}, {"agi_language", "en"}, {"agi_type", "PJSIP"},
		{"agi_uniqueid", ch.uid}, {"agi_version", "22.10.1"}, {"agi_callerid", ch.cidNum},
		{"agi_calleridname", ch.cidName}, {"agi_callingpres", "0"}, {"agi_callingani2", "0"},
		{"agi_callington", "0"}, {"agi_callingtns", "0"}, {"agi_dnid", ch.exten}, {"agi_rdnis", "unknown"},
		{"agi_context", "default"}, {"agi_extension", ch.exten}, {"agi_priority", "1"},
		{"agi_enhanced", "0.0"}, {"agi_accountcode", ""}, {"agi_threadid", "140487316346560"},
	} {
		env.WriteString(kv[0] + ": " + kv[1] + "\n")
	}
	for i, a := range args {
		env.WriteString("agi_arg_" + strconv.Itoa(i+1) + ": " + a + "\n")
	}
	env.WriteString("\n")
	ch.asyncAGI, ch.agiData = true, appData
	s.broadcast(classAGI, s.chanEvent("AsyncAGIStart", ch).add("Env", uriEncode(env.String())).bytes())
}

// agiAction answers Action: AGI: the command is queued on a channel in
// AsyncAGI and runs at once; AGIExecStart/End and AsyncAGIExec report it.
func (s *Server) agiAction(c *session, m ami.Message, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, cmd, cmdID := m.Get("Channel"), m.Get("Command"), m.Get("CommandID")
	ch := s.chans[name]
	switch {
	case ch == nil:
		c.send(response("Error", id).add("Message", "Channel "+name+" does not exist.").bytes(), false)
		return
	case !ch.asyncAGI:
		c.send(response("Error", id).add("Message", "Failed to add AGI command to queue").bytes(), false)
		return
	}
	c.send(response("Success", id).add("Message", "Added AGI command to queue").bytes(), false)
	s.agiSeq++
	execID := strconv.FormatUint(1259572473+s.agiSeq, 10)
	result, code, desc := ch.runAGI(cmd)
	s.broadcast(classAGI, s.chanEvent("AGIExecStart", ch).add("CommandId", execID).add("Command", cmd).bytes())
	s.broadcast(classAGI, s.chanEvent("AGIExecEnd", ch).add("CommandId", execID).add("Command", cmd).
		add("ResultCode", code).add("Result", desc).bytes())
	s.broadcast(classAGI, s.chanEvent("AsyncAGIExec", ch).add("Result", uriEncode(result)).add("CommandId", cmdID).bytes())
	if !ch.asyncAGI {
		s.broadcast(classAGI, s.chanEvent("AsyncAGIEnd", ch).bytes())
	}
}

// runAGI runs the few AGI commands the simulator knows.
func (ch *simChan) runAGI(cmd string) (result, code, desc string) {
	words := strings.Fields(cmd)
	upper := strings.ToUpper(cmd)
	switch {
	case strings.HasPrefix(upper, "SET VARIABLE") && len(words) >= 4:
		if ch.vars == nil {
			ch.vars = map[string]string{}
		}
		ch.vars[words[2]] = strings.Trim(strings.Join(words[3:], " "), `"`)
		return "200 result=1\n", "200", "Success"
	case strings.HasPrefix(upper, "GET VARIABLE") && len(words) >= 3:
		if v := ch.variable(words[2]); v != "" {
			return "200 result=1 (" + v + ")\n", "200", "Success"
		}
		return "200 result=0\n", "200", "Success"
	case upper == "ASYNCAGI BREAK":
		ch.asyncAGI = false
		return "200 result=0\n", "200", "Success"
	}
	return "510 Invalid or unknown command\n", "510", "Invalid or unknown command"
}

// uriEncode escapes as Asterisk's ast_uri_encode does for AsyncAGI:
// everything but letters, digits and -_.!~*'() (capture 13 shows
// "(10.254.0.201%3A20932)%0A").
func uriEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
