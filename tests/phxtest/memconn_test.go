package phxtest

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func TestMemConn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := memPipe(memAddr("a"), memAddr("b"))
		// Buffered: a write does not wait for the reader.
		if n, err := a.Write([]byte("hello")); n != 5 || err != nil {
			t.Fatalf("write: %d %v", n, err)
		}
		buf := make([]byte, 3)
		if n, _ := b.Read(buf); string(buf[:n]) != "hel" {
			t.Fatalf("read %q", buf[:n])
		}
		// Read deadline.
		_ = a.SetReadDeadline(time.Now().Add(time.Second))
		start := time.Now()
		if _, err := a.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read past deadline: %v", err)
		}
		if time.Since(start) != time.Second {
			t.Fatalf("deadline after %v", time.Since(start))
		}
		var ne net.Error
		_ = a.SetReadDeadline(time.Now().Add(-time.Second))
		if _, err := a.Read(buf); !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("read with a past deadline: %v", err)
		}
		_ = a.SetReadDeadline(time.Time{})
		// A full buffer blocks the writer until the reader drains it.
		big := make([]byte, memBufLimit+10)
		done := make(chan error)
		go func() {
			_, err := b.Write(big)
			done <- err
		}()
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("a write past the buffer limit did not wait")
		default:
		}
		if _, err := io.ReadFull(a, make([]byte, len(big))); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// Close: the peer reads what is left, then EOF; its writes fail.
		if n, _ := b.Read(buf); string(buf[:n]) != "lo" {
			t.Fatalf("read %q", buf[:n])
		}
		_, _ = a.Write([]byte("bye"))
		_ = a.Close()
		if n, _ := io.ReadFull(b, buf); string(buf[:n]) != "bye" {
			t.Fatalf("read after close %q", buf[:n])
		}
		if _, err := b.Read(buf); err != io.EOF {
			t.Fatalf("read after drain: %v", err)
		}
		if _, err := b.Write([]byte("x")); !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("write to a closed peer: %v", err)
		}
		if _, err := a.Read(buf); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read after close: %v", err)
		}
		if err := a.Close(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("second close: %v", err)
		}
		_ = b.Close()
	})
}

func TestMemListener(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newMemListener("srv")
		go func() {
			c, err := l.Accept()
			if err == nil {
				c.Write([]byte("x"))
				c.Close()
			}
		}()
		c, err := l.dial(context.Background(), "cli")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(c); err != nil {
			t.Fatal(err)
		}
		c.Close()
		l.Close()
		if _, err := l.dial(context.Background(), "cli"); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial a closed listener: %v", err)
		}
		if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("accept on a closed listener: %v", err)
		}
	})
}
