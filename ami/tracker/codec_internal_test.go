package tracker

import (
	"testing"

	"github.com/voipsdn/voipsdn/ami"
)

// TestCodecOf: the codec on the wire, from Status fields as Asterisk 22
// prints them, transcoded or not, with one native format or several.
func TestCodecOf(t *testing.T) {
	cases := []struct {
		native, read, readTrans, write, writeTrans, want string
	}{
		{"(ulaw)", "ulaw", "", "ulaw", "", "ulaw"},                                                 // capture 15
		{"(ulaw)", "alaw", "(ulaw@8000)->(alaw@8000)", "alaw", "(alaw@8000)->(ulaw@8000)", "ulaw"}, // issue 14
		{"(g729)", "ulaw", "(g729@8000)->(slin@8000)->(ulaw@8000)", "ulaw", "(ulaw@8000)->(slin@8000)->(g729@8000)", "g729"},
		{"(ulaw|alaw)", "alaw", "", "alaw", "", "alaw"},
		{"(ulaw|g729)", "alaw", "(g729@8000)->(alaw@8000)", "alaw", "(alaw@8000)->(g729@8000)", "g729"},
		{"(ulaw|alaw)", "slin", "(nothing)", "(nothing)", "", "ulaw"},
		{"", "alaw", "", "alaw", "", "alaw"},
		{"(nothing)", "(nothing)", "", "nothing", "", ""},
	}
	for _, c := range cases {
		m := ami.Message{Fields: []ami.Field{{Key: "Event", Value: "Status"},
			{Key: "Nativeformats", Value: c.native}, {Key: "Readformat", Value: c.read}, {Key: "Readtrans", Value: c.readTrans},
			{Key: "Writeformat", Value: c.write}, {Key: "Writetrans", Value: c.writeTrans}}}
		if got := codecOf(m); got != c.want {
			t.Errorf("codecOf(%+v) = %q, want %q", c, got, c.want)
		}
	}
}
