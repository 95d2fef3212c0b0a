package actors

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-acc
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestBufConnChunkedReads(t *testing.T) {
	// spec: W4 — reads in pooled chunks deliver every byte in order, and a
	// connection with nothing left to read holds no chunk.
	client, server := tcpPair(t)
	bc := &bufConn{Conn: client}
	bc.enable()
	if bc.rd.raw == nil {
		t.Fatal("a TCP connection gets non-blocking chunked reads")
	}
	want := make([]byte, 300_000)
	for i := range want {
		want[i] = byte(rand.IntN(256))
	}
	go func() {
		for rest := want; len(rest) > 0; {
			n := min(len(rest), 1+rand.IntN(40_000))
			if _, err := server.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
		}
	}()
	got := make([]byte, 0, len(want))
	p := make([]byte, gorillaReadBuf)
	chunked := false
	for len(got) < len(want) {
		n, err := bc.Read(p[:1+rand.IntN(len(p))])
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		got = append(got, p[:n]...)
		chunked = chunked || bc.buffered()
	}
	if !bytes.Equal(got, want) {
		t.Fatal("bytes differ")
	}
	if !chunked {
		t.Fatal("no read went through a chunk")
	}
	if bc.buffered() {
		t.Fatal("a chunk is held with everything read")
	}
	server.Close()
	if _, err := bc.Read(p); err != io.EOF {
		t.Fatalf("after the peer closed: %v, want EOF", err)
	}
}

func TestBufConnPipeReadsDirectly(t *testing.T) {
	// A connection without a file descriptor (net.Pipe, as tests dial)
	// reads straight into the caller's buffer.
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	bc := &bufConn{Conn: a}
	bc.enable()
	if bc.rd.raw != nil {
		t.Fatal("a pipe has no raw connection")
	}
	go func() { _, _ = b.Write([]byte("hello")) }()
	p := make([]byte, 16)
	n, err := bc.Read(p)
	if err != nil || string(p[:n]) != "hello" || bc.buffered() {
		t.Fatalf("read %q, %v (buffered %v)", p[:n], err, bc.buffered())
	}
}

func TestBufConnWaitReadable(t *testing.T) {
	// spec: W4 — an idle read pump parks until the socket has data, reading
	// nothing; the data is then read in full.
	client, server := tcpPair(t)
	bc := &bufConn{Conn: client}
	bc.enable()
	woke := make(chan struct{})
	go func() {
		bc.waitReadable()
		close(woke)
	}()
	select {
	case <-woke:
		t.Fatal("waitReadable returned with nothing to read")
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := server.Write([]byte("frame")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-woke:
	case <-time.After(5 * time.Second):
		t.Fatal("waitReadable did not return once data came")
	}
	p := make([]byte, 16)
	n, err := bc.Read(p)
	if err != nil || string(p[:n]) != "frame" {
		t.Fatalf("read %q, %v", p[:n], err)
	}
	// Data already waiting: no wait at all.
	if _, err := server.Write([]byte("more")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	bc.waitReadable()
	if n, err := bc.Read(p); err != nil || string(p[:n]) != "more" {
		t.Fatalf("read %q, %v", p[:n], err)
	}
}

func TestGorillaReaderFound(t *testing.T) {
	// The read pump parks outside gorilla only when it can see gorilla's
	// read buffer empty: the field must be found in the gorilla version used.
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ws, err := up.Upgrade(w, r, nil); err == nil {
			_, _, _ = ws.ReadMessage()
			ws.Close()
		}
	}))
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	br := gorillaReader(ws)
	if br == nil {
		t.Fatal("gorilla's read buffer not found")
	}
	if br.Buffered() != 0 {
		t.Fatalf("%d bytes buffered on a new connection", br.Buffered())
	}
}

func TestSocketRoundTripsNeverStall(t *testing.T) {
	// spec: W4, K2 — thousands of push/reply round trips on loopback TCP,
	// one at a time: the read pump parks between replies (outside gorilla)
	// and must wake for every one (a lost readiness would stall a reply
	// until the next frame, or for ever).
	sys, pid, s := benchSetup(t)
	sys.Root().Send(pid, &benchStart{n: 1500, echo: true})
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("1,500 round trips did not finish in 30 s: a reply stalled")
	}
}

func TestBufConnWaitReadableAfterDataArrived(t *testing.T) {
	// spec: K2 — data that arrived after an empty non-blocking read, before
	// the pump parks, wakes it at once: the read and the wait are one
	// RawConn.Read (a wait alone would reset the poller's readiness and
	// sleep until the next frame).
	client, server := tcpPair(t)
	bc := &bufConn{Conn: client}
	bc.enable()
	bc.fillChunk() // nothing yet: EAGAIN
	if bc.buffered() {
		t.Fatal("read data that was never sent")
	}
	if _, err := server.Write([]byte("reply")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the poller sees the data arrive
	done := make(chan struct{})
	go func() {
		bc.waitReadable()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		client.Close() // unblock the waiter
		<-done
		t.Fatal("the pump stayed parked with data waiting")
	}
	p := make([]byte, 16)
	if n, err := bc.Read(p); err != nil || string(p[:n]) != "reply" {
		t.Fatalf("read %q, %v", p[:n], err)
	}
}
