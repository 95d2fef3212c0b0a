package actors

import (
	"testing"
	"testing/synctest"
)

func TestInGaugeWaitsForTheSession(t *testing.T) {
	// spec: M5 — a flood is bounded: the read pump waits while the session
	// has more than inflowHigh frames unhandled, and goes on at inflowLow;
	// nothing is dropped (every frame is handled).
	synctest.Test(t, func(t *testing.T) {
		var g inGauge
		wake := make(chan struct{}, 1)
		stop := make(chan struct{})
		g.n.Store(inflowHigh)
		g.wait(&wake, stop) // at the mark: no wait
		g.n.Add(1)
		returned := make(chan struct{})
		go func() {
			g.wait(&wake, stop)
			close(returned)
		}()
		synctest.Wait()
		handled := 0
		for g.n.Load() > inflowLow {
			select {
			case <-returned:
				t.Fatalf("the pump went on with %d frames unhandled", g.n.Load())
			default:
			}
			g.handled()
			handled++
			synctest.Wait()
		}
		select {
		case <-returned:
		default:
			t.Fatalf("the pump still waits at %d frames", g.n.Load())
		}
		if handled != inflowHigh+1-inflowLow {
			t.Fatalf("handled %d frames before the pump went on", handled)
		}
	})
}

func TestInGaugeReleasedByDetachAndStop(t *testing.T) {
	// spec: K9 — a waiting read pump never outlives its session's route or
	// its connection.
	synctest.Test(t, func(t *testing.T) {
		for _, how := range []string{"close", "stop"} {
			var g inGauge
			wake := make(chan struct{}, 1)
			stop := make(chan struct{})
			g.n.Store(inflowHigh + 10)
			returned := make(chan struct{})
			go func() {
				g.wait(&wake, stop)
				close(returned)
			}()
			synctest.Wait()
			select {
			case <-returned:
				t.Fatalf("%s: the pump did not wait", how)
			default:
			}
			if how == "close" {
				g.close()
			} else {
				close(stop)
			}
			synctest.Wait()
			select {
			case <-returned:
			default:
				t.Fatalf("%s: the pump still waits", how)
			}
		}
	})
}
