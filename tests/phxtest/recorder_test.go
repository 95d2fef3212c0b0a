package phxtest

import (
	"context"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The recorder keeps every frame both ways, in order, with close codes.
func TestRecorder(t *testing.T) {
	rec := NewRecorder()
	pipeTest(t, func(t *testing.T, srv *Server) {
		if srv.Recorder() != rec {
			t.Fatal("Recorder() is not the recorder given")
		}
		c := dial(t, srv, "vsn=2.0.0")
		c.send(joinRoom)
		c.expect(joinedRoom)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r, err := rec.Wait(ctx, Event("room:a", "phx_reply"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Dir != ToClient || r.Conn != srv.Conns()[0] || string(r.Data) != joinedRoom || r.Time.IsZero() {
			t.Fatalf("record %v", r)
		}
		if _, err := rec.Wait(ctx, Event("nope", "")); err != context.DeadlineExceeded {
			t.Fatalf("Wait for a frame that never comes: %v", err)
		}
		c.closeNow()
		recs := rec.Records()
		var got []string
		for _, r := range recs {
			got = append(got, r.String())
		}
		want := []string{
			"conn 1 in " + joinRoom,
			"conn 1 out " + joinedRoom,
			"conn 1 in close 1000",
			"conn 1 out close 1000",
		}
		if len(got) != len(want) {
			t.Fatalf("records:\n%v\nwant\n%v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("record %d: %s, want %s", i, got[i], want[i])
			}
		}
		if !recs[3].IsClose() || recs[3].CloseCode != websocket.CloseNormalClosure {
			t.Fatalf("close record %+v", recs[3])
		}
		if f, err := recs[0].Frame(); err != nil || f.Event != "phx_join" {
			t.Fatalf("Frame() = %+v, %v", f, err)
		}
		if n := len(rec.Filter(func(r Record) bool { return r.Dir == FromClient })); n != 2 {
			t.Fatalf("Filter: %d records from the client", n)
		}
		rec.Reset()
		if rec.Len() != 0 {
			t.Fatal("Reset kept records")
		}
	}, WithRecorder(rec))
}

func TestWaitContext(t *testing.T) {
	pipeTest(t, func(t *testing.T, srv *Server) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := srv.WaitJoined(ctx, "room:w", 1); err != context.DeadlineExceeded {
			t.Fatalf("WaitJoined: %v", err)
		}
		c := dial(t, srv, "vsn=2.0.0")
		go c.ws.WriteMessage(websocket.TextMessage, []byte(`["1","1","room:w","phx_join",{}]`))
		if err := srv.WaitJoined(context.Background(), "room:w", 1); err != nil {
			t.Fatal(err)
		}
		if srv.JoinCount("room:w") != 1 || len(srv.Channels("room:w")) != 1 {
			t.Fatalf("JoinCount %d", srv.JoinCount("room:w"))
		}
		if err := srv.WaitConns(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	})
}
