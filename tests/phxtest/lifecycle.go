package phxtest

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"

	"github.com/gorilla/websocket"
)

// StopMode says how Stop ends the connections.
type StopMode int

const (
	// Graceful closes every connection with 1012 (service restart), as a
	// Phoenix node does on SIGTERM.
	Graceful StopMode = iota
	// Kill drops every connection without a close frame (clients see 1006),
	// as when the node is killed.
	Kill
)

// RefuseMode says how the server refuses new connections.
type RefuseMode int

const (
	// RefuseNone accepts connections normally.
	RefuseNone RefuseMode = iota
	// RefuseForbidden answers every websocket handshake with HTTP 403, as
	// when UserSocket.connect returns :error.
	RefuseForbidden
	// RefuseDial stops listening: dials fail with ECONNREFUSED. Open
	// connections are kept.
	RefuseDial
)

// listenLocked starts listening and serving if the server should; s.mu held.
func (s *Server) listenLocked() error {
	if s.closed || s.stopped || s.refuse == RefuseDial || s.hs != nil {
		return nil
	}
	var ln net.Listener
	if s.pipe {
		s.memln = newMemListener(s.addr)
		ln = s.memln
	} else {
		tl, err := net.Listen("tcp", s.addr)
		if err != nil {
			return err
		}
		ln = tl
		s.addr = tl.Addr().String()
	}
	s.ln = ln
	hs := &http.Server{Handler: s.mux, ErrorLog: log.New(io.Discard, "", 0)}
	s.hs = hs
	s.spawn(func() { _ = hs.Serve(ln) })
	return nil
}

// unlistenLocked stops listening; open websocket connections are not
// touched (they are hijacked); s.mu held.
func (s *Server) unlistenLocked() {
	if s.hs == nil {
		return
	}
	_ = s.hs.Close()
	s.hs, s.ln, s.memln = nil, nil, nil
}

// RefuseConnects sets how new connections are refused; RefuseNone accepts
// them again.
func (s *Server) RefuseConnects(mode RefuseMode) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = mode
	if mode == RefuseDial {
		s.unlistenLocked()
		return nil
	}
	return s.listenLocked()
}

func (s *Server) refusing() RefuseMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refuse
}

// Stop stops the server as a node going down: it stops listening (dials
// fail with ECONNREFUSED) and ends every connection as mode says, waiting
// for them to finish. Start brings it back on the same address.
func (s *Server) Stop(mode StopMode) {
	_ = s.stop(context.Background(), mode)
}

func (s *Server) stop(ctx context.Context, mode StopMode) error {
	s.mu.Lock()
	s.stopped = true
	s.unlistenLocked()
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		if mode == Kill {
			c.Drop()
		} else {
			c.closeWith(websocket.CloseServiceRestart, "")
		}
	}
	for _, c := range conns {
		select {
		case <-c.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Start starts a stopped server again on the same address, as a fresh node:
// the demo app's history is empty and presence refs restart.
func (s *Server) Start() error {
	if s.demo != nil {
		s.demo.restart()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.stopped = false
	return s.listenLocked()
}

// Restart is Stop(mode) then Start.
func (s *Server) Restart(mode StopMode) error {
	s.Stop(mode)
	return s.Start()
}
