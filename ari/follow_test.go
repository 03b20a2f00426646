package ari_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ari"
)

func chanJSON(id, name, state string) string {
	return fmt.Sprintf(`{"id":%q,"name":%q,"state":%q,"caller":{"number":"201"},"dialplan":{"exten":"402"}}`, id, name, state)
}

// TestDialplanDialNaming: channels a dialplan Dial() creates are filed
// under the caller's call, as their Linkedid is at creation (the recordings
// have no dialplan Dial; the rule is Asterisk's, as the AMI captures in
// ami/testdata show for Dial(PJSIP/202) and Local channels): the callee
// through the Dial event that names its caller, and a Local pair's ;2
// half, created before the Dial that names its ;1, with its ;1.
func TestDialplanDialNaming(t *testing.T) {
	frames := []string{
		`{"type":"ChannelCreated","channel":` + chanJSON("10.1", "PJSIP/201-01", "Ring") + `}`,
		`{"type":"ChannelDialplan","channel":` + chanJSON("10.1", "PJSIP/201-01", "Ring") + `}`,
		`{"type":"ChannelCreated","channel":` + chanJSON("10.2", "Local/402@default-0001;1", "Down") + `}`,
		`{"type":"ChannelCreated","channel":` + chanJSON("10.3", "Local/402@default-0001;2", "Ring") + `}`,
		`{"type":"Dial","caller":` + chanJSON("10.1", "PJSIP/201-01", "Ring") + `,"peer":` + chanJSON("10.2", "Local/402@default-0001;1", "Down") + `}`,
		`{"type":"ChannelCreated","channel":` + chanJSON("10.4", "PJSIP/202-02", "Down") + `}`,
		`{"type":"ChannelVarset","variable":"X","value":"y","channel":` + chanJSON("10.4", "PJSIP/202-02", "Down") + `}`,
		`{"type":"Dial","caller":` + chanJSON("10.3", "Local/402@default-0001;2", "Ring") + `,"peer":` + chanJSON("10.4", "PJSIP/202-02", "Down") + `}`,
		`{"type":"ChannelDestroyed","cause":16,"cause_txt":"Normal Clearing","channel":` + chanJSON("10.4", "PJSIP/202-02", "Down") + `}`,
	}
	f := ari.NewFollower(ari.Options{Server: "lab"})
	var got []string
	for _, fr := range frames {
		ev, err := ari.Decode([]byte(fr))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, summary(f.Apply(ev, time.Time{}))...)
	}
	want := []string{
		"start 10.1 10.1 PJSIP/201-01",
		"add 10.1 10.2 Local/402@default-0001;1",
		"add 10.1 10.3 Local/402@default-0001;2",
		"add 10.1 10.4 PJSIP/202-02",
		"leg-end 10.1 10.4 cause=16 Normal Clearing",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
