package faultproxy_test

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/rvct/phoenix/tests/faultproxy"
)

// Put a proxy in front of a server, slow it down, then cut the connection.
func Example() {
	// A one-connection echo server standing in for tests/phxtest.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	served := make(chan struct{})
	go func() {
		defer close(served)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(c, c)
	}()

	p, err := faultproxy.New(ln.Addr().String(), faultproxy.WithLatency(20*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()

	c, _ := net.Dial("tcp", p.Addr())
	defer c.Close()
	start := time.Now()
	_, _ = c.Write([]byte("ping"))
	buf := make([]byte, 4)
	_, _ = io.ReadFull(c, buf)
	fmt.Println(string(buf), time.Since(start) >= 40*time.Millisecond)

	fmt.Println("cut:", p.ResetAll(), "live:", p.Conns())
	_, err = c.Read(buf)
	fmt.Println("client read failed:", err != nil)
	<-served
	// Output:
	// ping true
	// cut: 1 live: 0
	// client read failed: true
}
