package actors

import (
	"errors"
	"strconv"
	"testing"
	"testing/synctest"

	"github.com/rvct/phoenix/messages"
)

func TestEndpointConfigValidation(t *testing.T) {
	sys := NewSystem(SystemConfig{})
	defer sys.Close()
	bad := []EndpointConfig{
		{URL: "ftp://x/socket"},
		{URL: "ws:///socket"},
		{URL: "ws://x/socket", DialTimeout: -1},
		{URL: "ws://x/socket", HeartbeatInterval: -1},
		{URL: "ws://x/socket", MaxChannelsPerSocket: -1},
		{URL: "ws://x/socket", WriteQueueSize: -1},
		{URL: "ws://x/socket", ReadLimit: -1},
		{URL: "ws://x/socket", MaxJoinsInFlight: -1},
		{URL: "ws://x/socket", Serializer: 7},
	}
	bad = append(bad, EndpointConfig{URL: "https://user:pw@example.com/socket"}) // user info: refused, not retried forever
	for _, c := range bad {
		if _, err := sys.NewEndpoint(c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewEndpoint(%+v) = %v, want ErrInvalidConfig", c, err)
		}
	}
	ep, err := sys.NewEndpoint(EndpointConfig{URL: "https://example.com/socket?token=secret"})
	if err != nil {
		t.Fatal(err)
	}
	c := ep.Config()
	if c.MaxChannelsPerSocket != 100 || c.HeartbeatInterval != DefaultHeartbeatInterval ||
		c.WriteQueueSize != DefaultWriteQueueSize || c.ReadLimit != DefaultReadLimit || len(c.Backoff.Steps) != 10 {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if ep.ID() != "https://example.com/socket?%E2%80%A6" && ep.ID() != "https://example.com/socket?…" {
		t.Fatalf("endpoint id %q leaks or misses the redaction", ep.ID())
	}
	ep2, _ := sys.NewEndpoint(EndpointConfig{URL: "https://example.com/socket?token=secret"})
	if ep2.ID() == ep.ID() {
		t.Fatalf("two endpoints share id %q", ep.ID())
	}
}

func TestEndpointPlacementOneTopicOneSocket(t *testing.T) {
	// spec: K6 — a topic is never placed twice on one socket; placing it
	// again returns the same socket.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		_, ep := newFixture(t, srv, func(c *EndpointConfig) { c.MaxChannelsPerSocket = 2 })
		a1, _ := ep.Place("a", nil)
		a2, _ := ep.Place("a", nil)
		b, _ := ep.Place("b", nil)
		c, _ := ep.Place("c", nil)
		if a1 != a2 || b != a1 || c == a1 {
			t.Fatalf("placement a=%s,%s b=%s c=%s", a1.ID(), a2.ID(), b.ID(), c.ID())
		}
		ep.Release("a", a1)
		d, _ := ep.Place("d", nil)
		if d != a1 {
			t.Fatalf("a released slot is reused: d on %s", d.ID())
		}
		st := ep.Stats()
		if st.Channels != 3 || len(st.Sockets) != 2 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestEndpoint101stTopicOpensSecondSocket(t *testing.T) {
	// spec: K6a — at most 100 channels a socket by default; the 101st topic
	// opens a second socket and joins there.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		sys, ep := newFixture(t, srv, nil)
		evs := make([]chan tsEvent, 101)
		for i := range evs {
			_, evs[i] = spawnTestSession(t, sys, ep, "room:"+strconv.Itoa(i))
		}
		links := map[string]int{}
		for _, ev := range evs {
			j := waitEvent(t, ev, "joined")
			links[j.link.ID()]++
		}
		if len(links) != 2 || links[ep.ID()+"#1"] != 100 || links[ep.ID()+"#2"] != 1 {
			t.Fatalf("joined per socket %v, want 100 on #1 and 1 on #2", links)
		}
		if srv.dialCount() != 2 {
			t.Fatalf("%d connections, want 2", srv.dialCount())
		}
	})
}

func TestEndpointTooManyChannelsMovesTopic(t *testing.T) {
	// spec: K6a — a "too many channels joined" reply moves the topic to
	// another socket, and the socket that refused counts as full.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		srv.set(func(s *wsServer) { s.maxJoins = 2 })
		sys, ep := newFixture(t, srv, func(c *EndpointConfig) { c.MaxChannelsPerSocket = 10 })
		moved := 0
		for i := range 3 {
			_, ev := spawnTestSession(t, sys, ep, "room:"+strconv.Itoa(i))
			for e := range ev {
				if e.kind == "moved" {
					moved++
					if i != 2 || e.link.ID() != ep.ID()+"#2" {
						t.Fatalf("topic %d moved to %s, want only topic 2, to #2", i, e.link.ID())
					}
				}
				if e.kind == "joined" {
					if want := map[bool]string{true: "#2", false: "#1"}[i == 2]; e.link.ID() != ep.ID()+want {
						t.Fatalf("topic %d joined on %s, want %s", i, e.link.ID(), want)
					}
					break
				}
			}
		}
		if moved != 1 {
			t.Fatalf("%d topics moved, want 1", moved)
		}
		// The refusing socket is full: the next topic goes to #2 directly.
		l, _ := ep.Place("room:next", nil)
		if l.ID() != ep.ID()+"#2" {
			t.Fatalf("next topic placed on %s, want #2", l.ID())
		}
		st := ep.Stats()
		if st.Sockets[0].Channels != 2 || st.Sockets[1].Channels != 2 {
			t.Fatalf("channels per socket %d/%d", st.Sockets[0].Channels, st.Sockets[1].Channels)
		}
	})
}

func TestSystemSpawnSessionOncePerTopic(t *testing.T) {
	// spec: K6 — one session per (endpoint, topic).
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		sys, ep := newFixture(t, srv, nil)
		pid, _ := spawnTestSession(t, sys, ep, "room:a")
		again, err := sys.SpawnSession(ep, "room:a", nil)
		if !errors.Is(err, ErrSessionExists) || !again.Equal(pid) {
			t.Fatalf("second spawn = %v, %v", again, err)
		}
		if sys.Session(ep, "room:a") != pid || sys.Sessions() != 1 {
			t.Fatal("registry lost the session")
		}
		sys.Close()
		if _, err := sys.SpawnSession(ep, "room:b", nil); !errors.Is(err, messages.ErrClosed) {
			t.Fatalf("spawn after Close = %v", err)
		}
		if _, err := ep.Place("room:b", nil); !errors.Is(err, messages.ErrClosed) {
			t.Fatalf("place after Close = %v", err)
		}
	})
}
