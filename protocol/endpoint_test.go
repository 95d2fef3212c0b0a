package protocol

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// spec: W1 — the URL the client dials.
func TestEndpointURL(t *testing.T) {
	tests := []struct {
		in     string
		params url.Values
		vsn    string
		want   string
	}{
		{"ws://localhost:4000/socket", nil, "", "ws://localhost:4000/socket/websocket?vsn=2.0.0"},
		{"ws://localhost:4000/socket", url.Values{"token": {"good"}}, "", "ws://localhost:4000/socket/websocket?token=good&vsn=2.0.0"},
		{"http://example.com/socket", nil, "", "ws://example.com/socket/websocket?vsn=2.0.0"},
		{"https://example.com/socket", nil, "", "wss://example.com/socket/websocket?vsn=2.0.0"},
		{"wss://example.com/socket", nil, "", "wss://example.com/socket/websocket?vsn=2.0.0"},
		{"HTTPS://example.com/socket", nil, "", "wss://example.com/socket/websocket?vsn=2.0.0"},
		{"ws://h/socket/", nil, "", "ws://h/socket/websocket?vsn=2.0.0"},
		{"ws://h/socket/websocket", nil, "", "ws://h/socket/websocket?vsn=2.0.0"},
		{"ws://h/socket/websocket/", nil, "", "ws://h/socket/websocket?vsn=2.0.0"},
		{"ws://h", nil, "", "ws://h/websocket?vsn=2.0.0"},
		{"ws://h/", nil, "", "ws://h/websocket?vsn=2.0.0"},
		{"ws://[::1]:4000/socket", nil, "", "ws://[::1]:4000/socket/websocket?vsn=2.0.0"},
		{"ws://h/a%2Fb/socket", nil, "", "ws://h/a%2Fb/socket/websocket?vsn=2.0.0"},
		// params are url-encoded
		{"ws://h/socket", url.Values{"token": {"a b&c=d/é+"}}, "", "ws://h/socket/websocket?token=a+b%26c%3Dd%2F%C3%A9%2B&vsn=2.0.0"},
		{"ws://h/socket", url.Values{"k": {"1", "2"}}, "", "ws://h/socket/websocket?k=1&k=2&vsn=2.0.0"},
		// an existing query is kept; params and vsn replace the same names
		{"ws://h/socket?user=bob&token=old", url.Values{"token": {"new"}}, "", "ws://h/socket/websocket?token=new&user=bob&vsn=2.0.0"},
		{"ws://h/socket?vsn=1.0.0", nil, "", "ws://h/socket/websocket?vsn=2.0.0"},
		{"ws://h/socket", url.Values{"vsn": {"9"}}, "", "ws://h/socket/websocket?vsn=2.0.0"},
		{"ws://h/socket", nil, Vsn1, "ws://h/socket/websocket?vsn=1.0.0"},
		{"ws://h/socket#frag", nil, "", "ws://h/socket/websocket?vsn=2.0.0"},
	}
	for _, tt := range tests {
		got, err := EndpointURL(tt.in, tt.params, tt.vsn)
		if err != nil || got != tt.want {
			t.Errorf("EndpointURL(%q, %v, %q) = %q, %v; want %q", tt.in, tt.params, tt.vsn, got, err, tt.want)
		}
	}
	// The caller's params are not changed.
	p := url.Values{"token": {"x"}}
	if _, err := EndpointURL("ws://h/socket", p, ""); err != nil || len(p) != 1 || p.Get("vsn") != "" {
		t.Errorf("params changed: %v %v", p, err)
	}
}

// spec: W1 — a URL that cannot be dialled is ErrBadEndpoint, and the error
// does not show the query (it often holds the token).
func TestEndpointURLBad(t *testing.T) {
	for _, in := range []string{
		"", "socket", "/socket", "localhost:4000/socket", "ftp://h/socket?token=SECRET", "tcp://h/socket",
		"ws:///socket?token=SECRET", "ws://:4000/socket?token=SECRET", "ws://h:bad port/socket?token=SECRET",
		"ws://h/socket?token=SECRET%zz", "ws://h/socket?token=SECRET;x=1", "ws://h/%zz?token=SECRET",
		"ws://user:SECRET@h:x/socket", "ws://h\x7f/socket?token=SECRET",
		"wss://user:SECRET@h/socket", // user info: a handshake cannot carry it
	} {
		got, err := EndpointURL(in, nil, "")
		if !errors.Is(err, ErrBadEndpoint) || got != "" {
			t.Errorf("EndpointURL(%q) = %q, %v; want ErrBadEndpoint", in, got, err)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("EndpointURL(%q): error shows the secret: %v", in, err)
		}
	}
}

// spec: W1 — RedactURL hides the query and the user info.
func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		"ws://h/socket/websocket?token=SECRET&vsn=2.0.0": "ws://h/socket/websocket?…",
		"wss://user:SECRET@h/s?x=1#frag":                 "wss://h/s?…",
		"ws://h/socket":                                  "ws://h/socket",
		"ws://h/socket#SECRET":                           "ws://h/socket",
		"ws://h:bad port/s?token=SECRET":                 "ws://h:bad port/s?…",
		"ws://u:SECRET@h:bad port/s":                     "ws://…@h:bad port/s",
	}
	for in, want := range tests {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// spec: W1a — the auth token subprotocol, as the official client writes it.
func TestAuthProtocols(t *testing.T) {
	got := AuthProtocols("1234")
	if len(got) != 2 || got[0] != "phoenix" || got[1] != "base64url.bearer.phx.MTIzNA" {
		t.Fatalf("AuthProtocols(1234) = %q", got)
	}
	for _, tok := range []string{"", "1234", "a", "ab", "abc", "good", "\xfb\xff\xfe", "tok+en/with=chars é", strings.Repeat("x", 1000)} {
		protos := AuthProtocols(tok)
		if strings.ContainsAny(protos[1], "= ,") {
			t.Errorf("AuthProtocols(%q) = %q: padding or separators in a subprotocol", tok, protos[1])
		}
		back, ok := TokenFromProtocols(protos)
		if !ok || back != tok {
			t.Errorf("TokenFromProtocols(AuthProtocols(%q)) = %q, %v", tok, back, ok)
		}
	}
	// The server side reads what other clients send too: padding, URL-safe
	// alphabet, white space after a comma split.
	for protos, want := range map[string]string{
		"phoenix| base64url.bearer.phx.MTIzNA==": "1234",
		"base64url.bearer.phx.-_8":               "\xfb\xff",
		"base64url.bearer.phx.+/8":               "\xfb\xff",
	} {
		if got, ok := TokenFromProtocols(strings.Split(protos, "|")); !ok || got != want {
			t.Errorf("TokenFromProtocols(%q) = %q, %v; want %q", protos, got, ok, want)
		}
	}
	for _, protos := range [][]string{nil, {"phoenix"}, {"base64url.bearer.phx.!!!"}, {"bearer.MTIzNA"}} {
		if got, ok := TokenFromProtocols(protos); ok || got != "" {
			t.Errorf("TokenFromProtocols(%q) = %q, %v; want none", protos, got, ok)
		}
	}
}
