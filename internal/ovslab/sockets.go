package ovslab

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// establishedTo counts the ESTABLISHED TCP connections of process pid by
// remote endpoint, keyed like OVS controller targets (see tcpTarget). ok is
// false when the process's sockets cannot be read.
func establishedTo(pid int) (counts map[string]int, ok bool) {
	if pid == 0 {
		return nil, false
	}
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil, false
	}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	counts = map[string]int{}
	for _, f := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, f))
		if err != nil {
			return nil, false
		}
		for _, e := range parseProcNetTCP(string(b)) {
			if e.state == "01" && inodes[e.inode] {
				counts[targetOf(e.remote)]++
			}
		}
	}
	return counts, true
}

// tcpTarget normalises an OVS "tcp:IP:PORT" target; ok is false for other
// forms (ssl:, unix:, host names), whose state only the database knows.
func tcpTarget(target string) (string, bool) {
	rest, ok := strings.CutPrefix(target, "tcp:")
	if !ok {
		return "", false
	}
	ap, err := netip.ParseAddrPort(rest)
	if err != nil {
		return "", false
	}
	return targetOf(ap), true
}

func targetOf(ap netip.AddrPort) string {
	a := ap.Addr().Unmap()
	if a.Is4() {
		return fmt.Sprintf("tcp:%s:%d", a, ap.Port())
	}
	return fmt.Sprintf("tcp:[%s]:%d", a, ap.Port())
}

type tcpEntry struct {
	remote netip.AddrPort
	state  string
	inode  string
}

// parseProcNetTCP parses /proc/net/tcp or tcp6.
func parseProcNetTCP(s string) []tcpEntry {
	var es []tcpEntry
	for i, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 10 {
			continue
		}
		remote, ok := parseHexAddrPort(f[2])
		if !ok {
			continue
		}
		es = append(es, tcpEntry{remote: remote, state: f[3], inode: f[9]})
	}
	return es
}

// parseHexAddrPort parses "0100007F:1A0B": the address as 32-bit words in
// host (little-endian) order, the port big-endian hex.
func parseHexAddrPort(s string) (netip.AddrPort, bool) {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, false
	}
	raw, err := hex.DecodeString(h)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, false
	}
	for w := 0; w < len(raw); w += 4 {
		raw[w], raw[w+1], raw[w+2], raw[w+3] = raw[w+3], raw[w+2], raw[w+1], raw[w]
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr, uint16(port)), true
}
