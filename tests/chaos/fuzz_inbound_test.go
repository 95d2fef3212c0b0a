package chaos

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rvct/phoenix/protocol"
	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// fuzzReadLimit is the client's read limit in FuzzInbound: inputs over it
// take the read-limit path (close 1009, reconnect).
const fuzzReadLimit = 16 << 10

// sentinel is a malformed frame sent after each input: when the client has
// counted it, it has read and handled the input before it.
var sentinel = []byte("sentinel: not a frame")

// outcome is what the client must do with one inbound message.
type outcome int

const (
	outMalformed    outcome = iota // counted as malformed (SPEC W6)
	outUnknownTopic                // counted as unknown topic (SPEC K5)
	outStaleJoin                   // counted as stale join_ref (SPEC K5)
	outHeartbeat                   // a heartbeat reply: no counter
	outDelivered                   // handed to the session of its topic
	outTooBig                      // over the read limit: close 1009, reconnect
)

var outcomeNames = [...]string{"malformed", "unknown topic", "stale join_ref", "heartbeat reply", "delivered", "over the read limit"}

func (o outcome) String() string { return outcomeNames[o] }

// predict says what the client must do with data, given the joined topics
// and their join_refs: the decoder decides what is malformed, the routing
// rules (SPEC K5) the rest.
func predict(data []byte, binary bool, joined map[string]string) outcome {
	if len(data) > fuzzReadLimit {
		return outTooBig
	}
	f, err := protocol.V2.DecodeServer(data, binary)
	switch {
	case err != nil:
		return outMalformed
	case f.Topic == protocol.TopicPhoenix && f.Event == protocol.EventReply && f.Ref != "":
		return outHeartbeat
	case f.Topic == protocol.TopicPhoenix:
		return outUnknownTopic
	}
	jr, ok := joined[f.Topic]
	switch {
	case !ok:
		return outUnknownTopic
	case f.JoinRef != "" && f.JoinRef != jr:
		return outStaleJoin
	}
	return outDelivered
}

// fuzzRig is the client under fuzz: two sessions on one socket of an
// in-memory server, shared by every input of the process.
type fuzzRig struct {
	e        *env
	sessions []*supervisor.Session[Val]
	unsubs   []func()
	echo     []*supervisor.Call[Echo, Echo, json.RawMessage, Val]
}

func newFuzzRig(f *testing.F) *fuzzRig {
	e := &env{app: &app{}}
	e.srv = phxtest.NewPipeServer(e.app.option())
	e.sup = supervisor.New()
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = e.sup.Shutdown(ctx)
		e.srv.Close()
	})
	ep, err := e.sup.Endpoint(e.srv.URL(), supervisor.WithNetDialContext(e.srv.DialContext),
		supervisor.WithReadLimit(fuzzReadLimit))
	if err != nil {
		f.Fatal(err)
	}
	e.ep = ep
	r := &fuzzRig{e: e}
	for i := range 2 {
		cfg := chaosConfig(topic("fz", i))
		cfg.Rejoin = protocol.Backoff{Steps: []time.Duration{time.Millisecond}} // a phx_error rejoins at once
		s, err := supervisor.NewSession(ep, cfg)
		if err != nil {
			f.Fatal(err)
		}
		r.sessions = append(r.sessions, s)
		r.unsubs = append(r.unsubs, s.Subscribe(nil))
		r.echo = append(r.echo, echoCall(s))
	}
	return r
}

// healthy waits until both sessions are ready, remounting one the input
// closed for good (phx_close, SPEC L2), and returns the server connection
// and the joined topics with their join_refs.
func (r *fuzzRig) healthy(t *testing.T) (*phxtest.Conn, map[string]string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		conns := r.e.srv.Conns()
		ready := len(conns) == 1
		for i, s := range r.sessions {
			st := s.State()
			if st.Status == supervisor.Failed {
				r.unsubs[i]()
				r.unsubs[i] = s.Subscribe(nil)
			}
			ready = ready && st.Status == supervisor.Ready
		}
		if ready {
			joined := map[string]string{}
			for _, s := range r.sessions {
				if ch := conns[0].Channel(s.Topic()); ch != nil {
					joined[s.Topic()] = ch.JoinRef()
				}
			}
			if len(joined) == len(r.sessions) && r.flush(conns[0]) {
				return conns[0], joined
			}
		}
		time.Sleep(100 * time.Microsecond)
	}
	for _, s := range r.sessions {
		t.Logf("%s: %+v", s.Topic(), s.State())
	}
	t.Fatalf("sessions not ready again within 10s (server connections %d)", r.e.srv.ConnCount())
	return nil, nil
}

// flush makes sure the client has read everything the server sent so far
// (the consequences of the previous input, such as the phx_close of a
// duplicate join after a rejoin): it sends the sentinel and waits until it
// is counted.
func (r *fuzzRig) flush(conn *phxtest.Conn) bool {
	want := readDrops(r.e, nil).malformed + 1
	if conn.SendRaw(sentinel, false) != nil {
		return false
	}
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		if readDrops(r.e, nil).malformed >= want {
			return true
		}
		time.Sleep(50 * time.Microsecond)
	}
	return false
}

// FuzzInbound fuzzes the client's whole inbound path end to end: each input
// is sent by the server as one websocket message (text or binary) to a
// client with two joined sessions, and goes through gorilla's reader, the
// read limit, the frame decoder, routing and the session state machine,
// reducers, store and subscribers. For every input: nothing panics, the
// socket's counters move exactly as the decoder and the routing rules say
// (SPEC W6, K5), and afterwards both sessions are ready (after a reconnect
// or rejoin when the input called for one) and answer a call.
func FuzzInbound(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed.data, seed.binary)
	}
	r := newFuzzRig(f)
	f.Fuzz(func(t *testing.T, data []byte, binary bool) {
		conn, joined := r.healthy(t)
		want := predict(data, binary, joined)
		before := readDrops(r.e, nil)
		if err := conn.SendRaw(data, binary); err != nil {
			t.Skip("connection closing") // the previous input ended it; not this input's doing
		}
		if want == outTooBig {
			deadline := time.Now().Add(10 * time.Second)
			for readDrops(r.e, nil).disconnects == before.disconnects && time.Now().Before(deadline) {
				time.Sleep(100 * time.Microsecond)
			}
		} else {
			_ = conn.SendRaw(sentinel, false)
			wantMalformed := before.malformed + 1
			if want == outMalformed {
				wantMalformed++
			}
			deadline := time.Now().Add(10 * time.Second)
			for readDrops(r.e, nil).malformed < wantMalformed && time.Now().Before(deadline) {
				time.Sleep(50 * time.Microsecond)
			}
		}
		got := readDrops(r.e, nil).sub(before)
		exp := drops{}
		switch want {
		case outMalformed:
			exp.malformed = 2
		case outUnknownTopic:
			exp.malformed, exp.unknownTopic = 1, 1
		case outStaleJoin:
			exp.malformed, exp.staleJoin = 1, 1
		case outHeartbeat, outDelivered:
			exp.malformed = 1
		case outTooBig:
			exp.disconnects = 1
		}
		switch want {
		case outDelivered:
			// The session may react (a phx_error or an "unmatched topic"
			// reply makes it rejoin; the server's phx_close of the older
			// join then counts as stale): only the sentinel is certain.
			got.unknownTopic, got.staleJoin, got.unknownRef = 0, 0, 0
		case outHeartbeat:
			// Counted unless it happens to answer the pending heartbeat.
			if got.unknownRef <= 1 {
				got.unknownRef = 0
			}
		}
		if got.malformed != exp.malformed || got.unknownTopic != exp.unknownTopic || got.staleJoin != exp.staleJoin ||
			got.unknownRef != 0 || got.disconnects != exp.disconnects || got.panics != 0 {
			t.Fatalf("input %q (binary %v) is %s: counters moved %+v, want %+v", trunc(data), binary, want, got, exp)
		}
		r.healthy(t)
		for i, call := range r.echo {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			reply, err := call.Call(ctx, Echo{ID: i})
			cancel()
			if err != nil || reply.ID != i {
				t.Fatalf("after input %q (%s): %s echo %+v, %v", trunc(data), want, r.sessions[i].Topic(), reply, err)
			}
		}
	})
}

func trunc(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + fmt.Sprintf("... (%d bytes)", len(b))
	}
	return string(b)
}

type fuzzSeed struct {
	data   []byte
	binary bool
}

// fuzzSeeds are the frames a real Phoenix server sent in the wire
// transcripts (one per event name and frame type), the same with the topic
// moved to the rig's first session, the hostile catalogue aimed at it, and
// a few frames of its own.
func fuzzSeeds(f *testing.F) []fuzzSeed {
	var seeds []fuzzSeed
	kinds := map[string]bool{}
	files, err := filepath.Glob("../phxtest/testdata/phoenix-wire/*.jsonl")
	if err != nil || len(files) == 0 {
		f.Fatalf("no transcripts: %v", err)
	}
	for _, name := range files {
		file, err := os.Open(name)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(file)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var line struct {
				Dir      string `json:"dir"`
				Frame    string `json:"frame"`
				FrameHex string `json:"frame_hex"`
				Topic    string `json:"topic"`
			}
			if json.Unmarshal(sc.Bytes(), &line) != nil || line.Dir != "in" {
				continue
			}
			switch {
			case line.Frame != "":
				fr, err := protocol.DecodeText([]byte(line.Frame))
				kind := fmt.Sprint("text ", fr.Event, " ", fr.Topic == protocol.TopicPhoenix)
				if err != nil || kinds[kind] {
					continue
				}
				kinds[kind] = true
				seeds = append(seeds, fuzzSeed{data: []byte(line.Frame)})
				if fr.Topic != protocol.TopicPhoenix {
					moved := strings.Replace(line.Frame, `"`+fr.Topic+`"`, `"`+topic("fz", 0)+`"`, 1)
					seeds = append(seeds, fuzzSeed{data: []byte(moved)})
				}
			case line.FrameHex != "":
				b, err := hex.DecodeString(line.FrameHex)
				if err != nil || len(b) == 0 || kinds[fmt.Sprint("binary ", b[0])] {
					continue
				}
				kinds[fmt.Sprint("binary ", b[0])] = true
				seeds = append(seeds, fuzzSeed{data: b, binary: true})
			}
		}
		file.Close()
	}
	for _, hf := range phxtest.HostileFrames(phxtest.HostileTarget{Topic: topic("fz", 0), JoinRef: "1", OversizeSize: fuzzReadLimit + 1}) {
		seeds = append(seeds, fuzzSeed{data: hf.Data, binary: hf.Binary})
	}
	own := []string{
		`[null,null,"chaos:fz:0","tick",{"seq":7}]`,
		`["1",null,"chaos:fz:0","tick",{"seq":8}]`,
		`["1","1","chaos:fz:0","phx_error",{}]`,
		`["1","1","chaos:fz:0","phx_close",{}]`,
		`["1","5","chaos:fz:0","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]`,
		`[null,"3","phoenix","phx_reply",{"status":"ok","response":{}}]`,
	}
	for _, s := range own {
		seeds = append(seeds, fuzzSeed{data: []byte(s)})
	}
	return seeds
}
