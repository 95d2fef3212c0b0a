package protocol_test

import (
	"fmt"
	"net/url"

	"github.com/rvct/phoenix/protocol"
)

// The URL a client dials for the socket declared as "/socket" in the
// endpoint: params are url-encoded and vsn is always sent.
func ExampleEndpointURL() {
	u, err := protocol.EndpointURL("https://example.com/socket", url.Values{"token": {"s3cr3t/+"}}, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u)
	fmt.Println(protocol.RedactURL(u))
	// Output:
	// wss://example.com/socket/websocket?token=s3cr3t%2F%2B&vsn=2.0.0
	// wss://example.com/socket/websocket?…
}

// Decoding a reply from the server and encoding the next push.
func ExampleDecodeText() {
	f, err := protocol.DecodeText([]byte(`[null,"1","nochannel:foo","phx_reply",{"response":{"reason":"unmatched topic"},"status":"error"}]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := f.Reply()
	fmt.Printf("ref %s on %s: %s %q\n", f.Ref, f.Topic, r.Status, r.Reason())

	var refs protocol.Refs
	join := protocol.Frame{Ref: refs.Next(), Topic: "room:lobby", Event: protocol.EventJoin, Payload: []byte(`{"user":"bob"}`)}
	join.JoinRef = join.Ref
	fmt.Println(string(protocol.AppendText(nil, &join)))
	hb := protocol.Frame{Ref: refs.Next(), Topic: protocol.TopicPhoenix, Event: protocol.EventHeartbeat}
	fmt.Println(string(protocol.AppendText(nil, &hb)))

	_, err = protocol.DecodeText([]byte(`[1,2,3]`))
	fmt.Println(err)
	// Output:
	// ref 1 on nochannel:foo: error "unmatched topic"
	// ["1","1","room:lobby","phx_join",{"user":"bob"}]
	// [null,"2","phoenix","heartbeat",{}]
	// protocol: malformed json frame: frame has fewer than 5 elements at byte 7
}

// The Sec-WebSocket-Protocol values that carry an auth token to a socket
// declared with auth_token: true.
func ExampleAuthProtocols() {
	protos := protocol.AuthProtocols("1234")
	fmt.Println(protos)
	tok, ok := protocol.TokenFromProtocols(protos)
	fmt.Println(tok, ok)
	// Output:
	// [phoenix base64url.bearer.phx.MTIzNA]
	// 1234 true
}
