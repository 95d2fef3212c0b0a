package phxtest

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/rvct/phoenix/protocol"
)

// Every hostile frame is what its kind says, as the client's decoder sees
// it: malformed frames fail to decode, every other frame decodes and is
// aimed where its kind says (spec: W6, K5, E3).
func TestHostileFramesClassified(t *testing.T) {
	target := HostileTarget{Topic: "room:a", JoinRef: "3", LargeSize: 1000, OversizeSize: 5000}
	frames := HostileFrames(target)
	seen := map[HostileKind]int{}
	names := map[string]bool{}
	for _, hf := range frames {
		seen[hf.Kind]++
		if names[hf.Name] {
			t.Errorf("duplicate name %q", hf.Name)
		}
		names[hf.Name] = true
		f, err := protocol.V2.DecodeServer(hf.Data, hf.Binary)
		if hf.Kind == HostileMalformed {
			if err == nil {
				t.Errorf("%s: decodes to %+v, want a decode error", hf.Name, f)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s (%s): %v", hf.Name, hf.Kind, err)
			continue
		}
		switch hf.Kind {
		case HostileUnknownTopic:
			if f.Topic != HostileUnjoinedTopic && !(f.Topic == protocol.TopicPhoenix && f.Event != protocol.EventReply) {
				t.Errorf("%s: topic %q", hf.Name, f.Topic)
			}
		case HostileStaleJoin:
			if f.Topic != target.Topic || f.JoinRef == "" || f.JoinRef == target.JoinRef {
				t.Errorf("%s: %+v is not a stale join's frame", hf.Name, f)
			}
		case HostileUnknownRef:
			ok := f.Event == protocol.EventReply && f.Ref == hostileUnknownRef &&
				(f.Topic == target.Topic && f.JoinRef == target.JoinRef || f.Topic == protocol.TopicPhoenix && f.JoinRef == "")
			if !ok {
				t.Errorf("%s: %+v is not a reply to an unknown ref", hf.Name, f)
			}
		case HostileBadPayload, HostileLarge:
			if f.Topic != target.Topic || f.Event != "hostile" || (f.JoinRef != "" && f.JoinRef != target.JoinRef) {
				t.Errorf("%s: %+v is not an event of the target", hf.Name, f)
			}
			var p HostileEventPayload
			err := json.Unmarshal(f.Payload, &p)
			if f.Binary {
				err = ErrBinaryPayload
			}
			if hf.Kind == HostileBadPayload && err == nil {
				t.Errorf("%s: payload %s decodes into HostileEventPayload", hf.Name, f.Payload)
			}
			if hf.Kind == HostileLarge && (err != nil || p.N != 1 || len(hf.Data) != target.LargeSize) {
				t.Errorf("%s: %d bytes, decode %v, n %d", hf.Name, len(hf.Data), err, p.N)
			}
		case HostileOversized:
			if len(hf.Data) != target.OversizeSize || f.Topic != target.Topic {
				t.Errorf("%s: %d bytes for topic %q, want %d", hf.Name, len(hf.Data), f.Topic, target.OversizeSize)
			}
		}
	}
	for _, k := range HostileKinds() {
		if seen[k] == 0 {
			t.Errorf("no %s frame", k)
		}
	}
	if n := len(HostileFrames(HostileTarget{Topic: "room:a", JoinRef: "3"})); n != len(frames)-2 {
		t.Errorf("without sizes: %d frames, want %d", n, len(frames)-2)
	}
}

func TestHostileCounts(t *testing.T) {
	var n HostileCounts
	if n.String() != "none" || n.Total() != 0 {
		t.Fatalf("zero counts: %q %d", n, n.Total())
	}
	n.add(HostileMalformed, 3)
	n.add(HostileLarge, 1)
	n.add(HostileKind(99), 5) // ignored
	m := n.Add(n)
	if m.Of(HostileMalformed) != 6 || m.Of(HostileLarge) != 2 || m.Total() != 8 || m.Of(HostileKind(99)) != 0 {
		t.Fatalf("counts %v", m)
	}
	if got := m.String(); got != "malformed=6 large=2" {
		t.Fatalf("String() = %q", got)
	}
	if HostileKind(42).String() != "hostile(42)" || HostileOversized.String() != "oversized" {
		t.Fatal("kind names")
	}
}

// The hostile mode sends its rounds to every joined connection, skips the
// ones without a channel, counts what it sent and stops after Rounds.
func TestHostileModeRounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewPipeServer(WithDemoApp())
		defer srv.Close()
		joined := dial(t, srv, "vsn=2.0.0")
		idle := dial(t, srv, "vsn=2.0.0")
		joined.send(`["1","1","room:a","phx_join",{}]`)
		joined.expect(`["1","1","room:a","phx_reply",{"response":{},"status":"ok"}]`)

		const rounds = 3
		h := srv.StartHostile(HostileConfig{Rounds: rounds})
		<-h.Done()
		per := len(HostileFrames(HostileTarget{Topic: "room:a", JoinRef: "1"}))
		want := HostileFrames(HostileTarget{Topic: "room:a", JoinRef: "1"})
		for r := range rounds {
			for _, w := range want {
				got := joined.recv()
				exp := string(w.Data)
				if w.Binary {
					exp = "bin:" + hexOf(w.Data)
				}
				if got != exp {
					t.Fatalf("round %d, %s:\n got  %.80s\n want %.80s", r, w.Name, got, exp)
				}
			}
		}
		idle.quiet(DefaultHostileEvery)
		sent := h.Stop()
		if sent.Total() != uint64(rounds*per) || h.Rounds() != rounds {
			t.Fatalf("sent %v (%d) in %d rounds, want %d frames in %d", sent, sent.Total(), h.Rounds(), rounds*per, rounds)
		}
		if !strings.Contains(sent.String(), "malformed=") {
			t.Fatalf("counts %v", sent)
		}
	})
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
