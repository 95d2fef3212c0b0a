package actors

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"testing"
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
