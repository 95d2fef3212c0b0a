package actors

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/messages"
)

func TestSocketTLSVerifiesByDefault(t *testing.T) {
	// spec: K8 — wss verifies the server certificate by default; a
	// configured root pool makes the same server acceptable.
	up := websocket.Upgrader{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	wss := "wss" + strings.TrimPrefix(srv.URL, "https") + "/socket"

	events := make(chan messages.SocketEvent, 64)
	sys := NewSystem(SystemConfig{})
	defer sys.Close()
	ep, err := sys.NewEndpoint(EndpointConfig{URL: wss, OnStatus: func(e messages.SocketEvent) { events <- e }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ep.Place("room:a", nil); err != nil {
		t.Fatal(err)
	}
	for e := range events {
		if e.Status == messages.SocketOpen {
			t.Fatal("connected to a server with an unknown certificate")
		}
		if e.Status == messages.SocketClosed {
			var unknown x509.UnknownAuthorityError
			if !errors.As(e.Err, &unknown) {
				t.Fatalf("dial error %v, want an unknown-authority certificate error", e.Err)
			}
			break
		}
	}

	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	open := make(chan messages.SocketEvent, 64)
	ep2, err := sys.NewEndpoint(EndpointConfig{URL: wss, TLSConfig: &tls.Config{RootCAs: pool},
		OnStatus: func(e messages.SocketEvent) {
			if e.Status == messages.SocketOpen {
				open <- e
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ep2.Place("room:a", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-open:
	case <-time.After(10 * time.Second):
		t.Fatal("no connection with the server's root configured")
	}
}

func TestIdleSessionsOwnNoGoroutine(t *testing.T) {
	// spec: V1 — one actor system hosts every socket and session; an idle
	// session costs no goroutine: 500 joined sessions on one socket run on
	// the same goroutines as one.
	synctest.Test(t, func(t *testing.T) {
		srv := newWSServer(t)
		sys, ep := newFixture(t, srv, func(c *EndpointConfig) { c.MaxChannelsPerSocket = 1000 })
		_, ev := spawnTestSession(t, sys, ep, "room:0")
		waitEvent(t, ev, "joined")
		synctest.Wait()
		one := bubbleGoroutines()
		for i := 1; i < 500; i++ {
			_, ev := spawnTestSession(t, sys, ep, "room:"+strconv.Itoa(i))
			waitEvent(t, ev, "joined")
		}
		synctest.Wait()
		if many := bubbleGoroutines(); many != one {
			t.Fatalf("%d goroutines with 500 idle sessions, %d with one", many, one)
		}
		if srv.dialCount() != 1 || sys.Sessions() != 500 {
			t.Fatalf("%d connections, %d sessions", srv.dialCount(), sys.Sessions())
		}
	})
}
