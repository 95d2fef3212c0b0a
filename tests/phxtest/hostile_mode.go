package phxtest

import (
	"sync"
	"time"

	"github.com/rvct/phoenix/protocol"
)

// DefaultHostileEvery is the default pause between two rounds of the
// hostile mode.
const DefaultHostileEvery = 10 * time.Millisecond

// HostileConfig configures the hostile mode (Server.StartHostile). The zero
// value sends the default catalogue every 10 ms until Stop.
type HostileConfig struct {
	// Every is the pause between two rounds. Default DefaultHostileEvery.
	Every time.Duration
	// Rounds stops the mode after that many rounds; 0 runs until Stop.
	Rounds int
	// Frames returns the frames of one round for one connection; nil or
	// empty skips the connection this round. The default aims
	// HostileFrames at one of the connection's joined topics (a different
	// one each round), with event "hostile" and no large or oversized
	// message; a connection with no channel, or not speaking vsn 2.0.0, is
	// skipped.
	Frames func(c *Conn, round int) []HostileFrame
}

// Hostile is the hostile mode of a Server: a goroutine that sends hostile
// frames to every open connection, round after round, while the server
// otherwise behaves as usual. Start it with Server.StartHostile; Stop it
// before closing the server.
type Hostile struct {
	srv  *Server
	cfg  HostileConfig
	stop chan struct{}
	done chan struct{}
	once sync.Once

	mu     sync.Mutex
	sent   HostileCounts
	rounds int
}

// StartHostile starts the hostile mode (see Hostile). It belongs to the
// caller's synctest bubble, if any: its pauses run on the fake clock.
func (s *Server) StartHostile(cfg HostileConfig) *Hostile {
	if cfg.Every <= 0 {
		cfg.Every = DefaultHostileEvery
	}
	if cfg.Frames == nil {
		cfg.Frames = DefaultHostileFrames
	}
	h := &Hostile{srv: s, cfg: cfg, stop: make(chan struct{}), done: make(chan struct{})}
	go h.run()
	return h
}

// DefaultHostileFrames is the default HostileConfig.Frames: the catalogue
// aimed at the connection's joined topic number round modulo their count.
func DefaultHostileFrames(c *Conn, round int) []HostileFrame {
	if c.Serializer() != protocol.V2 {
		return nil
	}
	topics := c.Topics()
	if len(topics) == 0 {
		return nil
	}
	topic := topics[round%len(topics)]
	ch := c.Channel(topic)
	if ch == nil {
		return nil
	}
	return HostileFrames(HostileTarget{Topic: topic, JoinRef: ch.JoinRef()})
}

func (h *Hostile) run() {
	defer close(h.done)
	t := time.NewTimer(h.cfg.Every)
	defer t.Stop()
	for round := 0; h.cfg.Rounds == 0 || round < h.cfg.Rounds; round++ {
		select {
		case <-h.stop:
			return
		case <-h.srv.closing:
			return
		case <-t.C:
		}
		var n HostileCounts
		for _, c := range h.srv.Conns() {
			if frames := h.cfg.Frames(c, round); len(frames) > 0 {
				sent, _ := c.SendHostile(frames)
				n = n.Add(sent)
			}
		}
		h.mu.Lock()
		h.sent = h.sent.Add(n)
		h.rounds++
		h.mu.Unlock()
		t.Reset(h.cfg.Every)
	}
}

// Stop ends the hostile mode, waits for its goroutine and returns the counts
// of frames sent. It is idempotent.
func (h *Hostile) Stop() HostileCounts {
	h.once.Do(func() { close(h.stop) })
	<-h.done
	return h.Sent()
}

// Done is closed when the mode has ended (Stop, its last round, or the
// server's Close).
func (h *Hostile) Done() <-chan struct{} { return h.done }

// Sent returns the counts of hostile frames queued so far, by kind. A frame
// counts once the connection's writer accepted it; one still queued when the
// connection dies is counted but never arrives.
func (h *Hostile) Sent() HostileCounts {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sent
}

// Rounds returns how many rounds have been sent.
func (h *Hostile) Rounds() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rounds
}
