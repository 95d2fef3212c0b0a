package chaos

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rvct/phoenix/tests/faultproxy"
	"github.com/rvct/phoenix/tests/phxtest"
)

// feed is a channel whose history lives outside the server, as a database
// would, so it survives the server's restarts: the join answers the
// messages after the last_id param (and, as a server with a coarse cursor,
// the two before it too, so the bridge must deduplicate).
type feed struct {
	mu   sync.Mutex
	next int
	msgs []phxtest.Message
}

func (f *feed) add(body string) phxtest.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	m := phxtest.Message{ID: strconv.Itoa(f.next), Body: body, InsertedAt: "2026-12-04T00:00:00Z"}
	f.msgs = append(f.msgs, m)
	return m
}

func (f *feed) option() phxtest.Option {
	return phxtest.WithChannel("feed:*", func() phxtest.Channel {
		return phxtest.ChannelFuncs{JoinFunc: func(_ string, p phxtest.Payload, _ *phxtest.ChannelSocket) (phxtest.Payload, error) {
			var last int
			var s string
			if json.Unmarshal(p.Field("last_id"), &s) == nil {
				last, _ = strconv.Atoi(s)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			out := []phxtest.Message{}
			for _, m := range f.msgs {
				if id, _ := strconv.Atoi(m.ID); id > last-2 {
					out = append(out, m)
				}
			}
			return phxtest.JSON(map[string]any{"messages": out}), nil
		}}
	})
}

// buildPhx builds the phx command (with -race when the tests run with it)
// into dir.
func buildPhx(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "phx")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, "github.com/rvct/phoenix/cmd/phx")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/phx: %v\n%s", err, out)
	}
	return bin
}

// sinkIDs reads the message ids forwarded to the sink file, in order.
func sinkIDs(t *testing.T, path string) []int {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			Topic   string          `json:"topic"`
			Event   string          `json:"event"`
			Payload phxtest.Message `json:"payload"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			if sc.Err() == nil && !bytes.HasSuffix(sc.Bytes(), []byte("}")) {
				break // a line being written
			}
			t.Fatalf("sink line %q: %v", sc.Text(), err)
		}
		id, _ := strconv.Atoi(line.Payload.ID)
		ids = append(ids, id)
	}
	return ids
}

// lockedBuffer is a bytes.Buffer safe for a subprocess's writer and the
// test's reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The bridge scenario: `phx bridge` with a cursor, run as its own process
// against a phxtest server behind the fault proxy on loopback TCP, while
// messages are posted (history, then broadcast) every 4 ms and the network
// and the server fail in turn: TCP resets, the channel crashing, new
// connections refused, a blackhole, the server killed and restarted, the
// server restarted gracefully. The sink (a file) receives every message
// exactly once.
func TestBridgeExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the phx command")
	}
	const (
		history  = 20
		messages = 1200
		topicF   = "feed:bridge"
	)
	dir := t.TempDir()
	bin := buildPhx(t, dir)
	fd := &feed{}
	srv := phxtest.NewServer(fd.option())
	defer srv.Close()
	proxy, err := faultproxy.New(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	for i := range history {
		fd.add("history " + strconv.Itoa(i))
	}
	sink := filepath.Join(dir, "sink.jsonl")
	var stderr lockedBuffer
	cmd := exec.Command(bin, "bridge", "--url", "ws://"+proxy.Addr()+"/socket", "--topic", topicF, "--to", sink,
		"--event", "new_msg", "--cursor-param", "last_id", "--cursor-field", "id",
		"--replay-field", "messages", "--replay-event", "new_msg", "--json", "--log-level", "warn")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	waitSink := func(n int, within time.Duration) []int {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			ids := sinkIDs(t, sink)
			if len(ids) >= n || time.Now().After(deadline) {
				return ids
			}
			select {
			case err := <-exited:
				stopped = true
				t.Fatalf("phx bridge exited: %v\n%s", err, stderr.String())
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	if ids := waitSink(history, 20*time.Second); len(ids) < history {
		t.Fatalf("the bridge forwarded %d of the %d history messages\n%s", len(ids), history, stderr.String())
	}

	// Post messages while the faults run.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range messages {
			m := fd.add("live " + strconv.Itoa(i))
			_ = srv.Broadcast(topicF, "new_msg", phxtest.JSON(m))
			time.Sleep(4 * time.Millisecond)
		}
	}()
	faults := []struct {
		name string
		do   func()
	}{
		{"tcp reset", func() { proxy.ResetAll() }},
		{"channel crash", func() { srv.CrashChannel(topicF) }},
		{"refused for 300 ms", func() {
			proxy.RefuseNew(true)
			proxy.ResetAll()
			time.Sleep(300 * time.Millisecond)
			proxy.RefuseNew(false)
		}},
		{"blackhole 500 ms", func() {
			proxy.Blackhole(true)
			time.Sleep(500 * time.Millisecond)
			proxy.Blackhole(false)
		}},
		{"server killed", func() { _ = srv.Restart(phxtest.Kill) }},
		{"server restarted (1012)", func() { _ = srv.Restart(phxtest.Graceful) }},
	}
	var applied []string
	for k := 0; ; k++ {
		select {
		case <-done:
		case <-time.After(250 * time.Millisecond):
			ft := faults[k%len(faults)]
			ft.do()
			applied = append(applied, ft.name)
			continue
		}
		break
	}
	lastPost := time.Now()
	total := history + messages
	ids := waitSink(total, 30*time.Second)
	caughtUp := time.Since(lastPost)

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("phx bridge exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("phx bridge did not exit after SIGINT\n%s", stderr.String())
	}
	ids = sinkIDs(t, sink)
	if strings.Contains(stderr.String(), "DATA RACE") {
		t.Errorf("the race detector fired in phx bridge:\n%s", stderr.String())
	}

	seen := map[int]int{}
	outOfOrder := 0
	for i, id := range ids {
		seen[id]++
		if i > 0 && id < ids[i-1] {
			outOfOrder++
		}
	}
	missing, dup := 0, 0
	for id := 1; id <= total; id++ {
		switch seen[id] {
		case 0:
			missing++
		case 1:
		default:
			dup += seen[id] - 1
		}
	}
	var report struct {
		Forwarded, Replayed, Duplicates, Undelivered, SinkRetries int
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	rep := lines[len(lines)-1]
	if err := json.Unmarshal([]byte(rep), &report); err != nil {
		t.Errorf("bridge report %q: %v", rep, err)
	}
	t.Logf("%d faults while %d messages were posted (%d before): %s", len(applied), messages, history, strings.Join(applied, ", "))
	t.Logf("sink: %d lines for %d messages: %d missing, %d duplicated, %d out of order; caught up %v after the last post",
		len(ids), total, missing, dup, outOfOrder, caughtUp.Round(time.Millisecond))
	t.Logf("bridge report: %s", rep)
	if missing != 0 || dup != 0 || len(ids) != total {
		t.Errorf("the sink did not get every message exactly once: %d lines, %d missing, %d duplicated", len(ids), missing, dup)
	}
	if report.Forwarded != total || report.Undelivered != 0 {
		t.Errorf("report: forwarded %d, undelivered %d; want %d and 0", report.Forwarded, report.Undelivered, total)
	}
	if report.Duplicates == 0 {
		t.Errorf("no duplicate was skipped: the join replies overlap, so the scenario did not test deduplication")
	}
}
