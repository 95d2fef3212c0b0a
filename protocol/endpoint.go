package protocol

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
)

// EndpointURL turns a socket URL such as ws://host/socket into the websocket
// URL the client dials: ws(s)://host/socket/websocket?<params>&vsn=<vsn>.
// http and https map to ws and wss. Params already in the URL's query are
// kept; params and vsn replace any of the same name. An empty vsn means 2.0.0.
func EndpointURL(socketURL string, params url.Values, vsn string) (string, error) {
	u, err := url.Parse(socketURL)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrBadEndpoint, redactURL(socketURL), err)
	}
	switch strings.ToLower(u.Scheme) {
	case "ws", "http":
		u.Scheme = "ws"
	case "wss", "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("%w: %q: scheme must be ws, wss, http or https", ErrBadEndpoint, redactURL(socketURL))
	}
	if u.Host == "" {
		return "", fmt.Errorf("%w: %q: no host", ErrBadEndpoint, redactURL(socketURL))
	}
	path := strings.TrimSuffix(u.Path, "/")
	if !strings.HasSuffix(path, "/websocket") {
		path += "/websocket"
	}
	u.Path, u.RawPath = path, ""
	q := u.Query()
	for k, vs := range params {
		q[k] = append([]string(nil), vs...)
	}
	if vsn == "" {
		vsn = Vsn2
	}
	q.Set("vsn", vsn)
	u.RawQuery = q.Encode()
	u.Fragment = ""
	return u.String(), nil
}

// redactURL drops the query (it often holds a token) from a URL used in an
// error message.
func redactURL(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		return s[:i] + "?…"
	}
	return s
}

// RedactURL returns s without its query string and user info, for logs and
// errors: socket params often carry tokens.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return redactURL(s)
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	u.Fragment = ""
	return u.String()
}

// AuthTokenPrefix starts the subprotocol that carries an auth token.
const AuthTokenPrefix = "base64url.bearer.phx."

// AuthProtocols returns the Sec-WebSocket-Protocol values that pass token to
// a Phoenix socket declared with auth_token: true: "phoenix" and
// "base64url.bearer.phx.<T>", T being the token in standard base64 without
// padding (as the official client's btoa(token) with "=" removed).
func AuthProtocols(token string) []string {
	return []string{"phoenix", AuthTokenPrefix + base64.RawStdEncoding.EncodeToString([]byte(token))}
}

// TokenFromProtocols finds the auth token in a client's subprotocols, as the
// server reads it. ok is false when none carries a token or it does not decode.
func TokenFromProtocols(protocols []string) (token string, ok bool) {
	for _, p := range protocols {
		if rest, found := strings.CutPrefix(strings.TrimSpace(p), AuthTokenPrefix); found {
			b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(rest, "="))
			if err != nil {
				b, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(rest, "="))
			}
			if err != nil {
				return "", false
			}
			return string(b), true
		}
	}
	return "", false
}
