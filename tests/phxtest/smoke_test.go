package phxtest

import (
	"testing"
	"testing/synctest"

	"github.com/gorilla/websocket"
)

func TestSmokeTCP(t *testing.T) {
	srv := NewServer(WithDemoApp())
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial(srv.URL()+"/websocket?vsn=2.0.0&token=good", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	for _, f := range []string{
		`["1","1","chat:x","phx_join",{"user":"alice"}]`,
		`["1","2","chat:x","new_msg",{"body":"hi"}]`,
		`[null,"3","phoenix","heartbeat",{}]`,
	} {
		ws.WriteMessage(websocket.TextMessage, []byte(f))
	}
	for i := 0; i < 6; i++ {
		_, d, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s", d)
	}
}

func TestSmokePipe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewPipeServer(WithDemoApp())
		defer srv.Close()
		ws, _, err := srv.Dialer().Dial(srv.URL()+"/websocket?vsn=2.0.0&token=good", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		ws.WriteMessage(websocket.TextMessage, []byte(`["1","1","chat:slow","phx_join",{}]`))
		_, d, err := ws.ReadMessage()
		t.Logf("%s %v", d, err)
	})
}
