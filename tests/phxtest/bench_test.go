package phxtest

import (
	"strconv"
	"testing"

	"github.com/gorilla/websocket"
)

func benchDial(b *testing.B, srv *Server) *websocket.Conn {
	ws, _, err := websocket.DefaultDialer.Dial(srv.URL()+"/websocket?vsn=2.0.0", nil)
	if err != nil {
		b.Fatal(err)
	}
	return ws
}

func benchJoin(b *testing.B, ws *websocket.Conn, topic string) {
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`["1","1","`+topic+`","phx_join",{}]`)); err != nil {
		b.Fatal(err)
	}
	if _, _, err := ws.ReadMessage(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEchoRoundTrip measures one push and its reply over loopback TCP.
func BenchmarkEchoRoundTrip(b *testing.B) {
	srv := NewServer(WithDemoApp())
	defer srv.Close()
	ws := benchDial(b, srv)
	defer ws.Close()
	benchJoin(b, ws, "room:bench")
	frame := []byte(`["1","2","room:bench","echo",{"body":"hello"}]`)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			b.Fatal(err)
		}
		if _, _, err := ws.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBroadcastFanout measures one broadcast reaching 100 connections.
func BenchmarkBroadcastFanout(b *testing.B) {
	const conns = 100
	srv := NewServer(WithDemoApp())
	defer srv.Close()
	clients := make([]*websocket.Conn, conns)
	for i := range clients {
		clients[i] = benchDial(b, srv)
		defer clients[i].Close()
		benchJoin(b, clients[i], "room:fan")
	}
	errs := make(chan error, conns)
	b.ReportAllocs()
	b.ResetTimer()
	n := b.N
	for _, ws := range clients {
		go func() {
			for range n {
				if _, _, err := ws.ReadMessage(); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	p := JSON(map[string]string{"body": "hello"})
	for range n {
		if err := srv.Broadcast("room:fan", "msg", p); err != nil {
			b.Fatal(err)
		}
	}
	for range clients {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFlood measures the demo app's flood: n broadcasts from one
// channel to its own connection, then the reply.
func BenchmarkFlood(b *testing.B) {
	srv := NewServer(WithDemoApp())
	defer srv.Close()
	ws := benchDial(b, srv)
	defer ws.Close()
	benchJoin(b, ws, "chat:flood")
	const n = 1000
	frame := []byte(`["1","2","chat:flood","flood",{"n":` + strconv.Itoa(n) + `,"size":100}]`)
	b.SetBytes(n * 100)
	b.ResetTimer()
	for b.Loop() {
		if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			b.Fatal(err)
		}
		for range n + 1 {
			if _, _, err := ws.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
