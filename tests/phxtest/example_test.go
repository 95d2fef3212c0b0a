package phxtest_test

import (
	"fmt"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/tests/phxtest"
)

// A test server with the demo app, on loopback TCP.
func Example() {
	srv := phxtest.NewServer(phxtest.WithDemoApp())
	defer srv.Close()

	ws, _, err := websocket.DefaultDialer.Dial(srv.URL()+"/websocket?vsn=2.0.0", nil)
	if err != nil {
		panic(err)
	}
	defer ws.Close()
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`["1","1","room:lobby","phx_join",{}]`))
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`["1","2","room:lobby","echo",{"hello":"world"}]`))
	for range 2 {
		_, msg, _ := ws.ReadMessage()
		fmt.Println(string(msg))
	}
	// Output:
	// ["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]
	// ["1","2","room:lobby","phx_reply",{"response":{"hello":"world"},"status":"ok"}]
}

// A channel of your own, and a fault: the server stops answering heartbeats.
func ExampleWithChannel() {
	counter := func() phxtest.Channel {
		n := 0
		return phxtest.ChannelFuncs{
			HandleInFunc: func(event string, p phxtest.Payload, s *phxtest.ChannelSocket) phxtest.Result {
				n++
				_ = s.Broadcast("counted", phxtest.JSON(map[string]int{"n": n}))
				return phxtest.Reply(phxtest.JSON(n))
			},
		}
	}
	srv := phxtest.NewServer(phxtest.WithChannel("counter:*", counter))
	defer srv.Close()

	ws, _, err := srv.Dialer().Dial(srv.URL()+"/websocket?vsn=2.0.0", nil)
	if err != nil {
		panic(err)
	}
	defer ws.Close()
	send := func(frame string) { _ = ws.WriteMessage(websocket.TextMessage, []byte(frame)) }
	read := func() {
		_, msg, _ := ws.ReadMessage()
		fmt.Println(string(msg))
	}
	send(`["1","1","counter:a","phx_join",{}]`)
	read()
	send(`["1","2","counter:a","inc",{}]`)
	read()
	read()
	srv.StallHeartbeats(true)
	send(`[null,"3","phoenix","heartbeat",{}]`)
	_ = ws.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, _, err = ws.ReadMessage()
	fmt.Println("heartbeat answered:", err == nil)
	// Output:
	// ["1","1","counter:a","phx_reply",{"response":{},"status":"ok"}]
	// [null,null,"counter:a","counted",{"n":1}]
	// ["1","2","counter:a","phx_reply",{"response":1,"status":"ok"}]
	// heartbeat answered: false
}
