package protocol

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// EndpointURL turns a socket URL such as ws://host/socket into the websocket
// URL the client dials: ws(s)://host/socket/websocket?<params>&vsn=<vsn>.
// http and https map to ws and wss. Params already in the URL's query are
// kept; params and vsn replace any of the same name. An empty vsn means 2.0.0.
// A URL with user info (user:password@) is refused: a websocket handshake
// cannot carry it.
func EndpointURL(socketURL string, params url.Values, vsn string) (string, error) {
	u, err := url.Parse(socketURL)
	if err != nil {
		// A *url.Error repeats the whole URL, token included: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
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
	if u.Hostname() == "" {
		return "", fmt.Errorf("%w: %q: no host", ErrBadEndpoint, redactURL(socketURL))
	}
	if u.User != nil {
		// A websocket handshake cannot carry URL credentials (gorilla refuses
		// such URLs at every dial): say so now rather than retry forever.
		return "", fmt.Errorf("%w: %q: user info in the URL is not supported; pass credentials as params, an auth token or a header",
			ErrBadEndpoint, redactURL(socketURL))
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		// url.Query would drop the bad pair (often the token) without a word.
		return "", fmt.Errorf("%w: %q: query is not url-encoded", ErrBadEndpoint, redactURL(socketURL))
	}
	// Keep RawPath beside Path so escapes such as %2F survive.
	path, raw := strings.TrimSuffix(u.Path, "/"), strings.TrimSuffix(u.RawPath, "/")
	if !strings.HasSuffix(path, "/websocket") {
		path += "/websocket"
		if raw != "" {
			raw += "/websocket"
		}
	}
	u.Path, u.RawPath = path, raw
	for k, vs := range params {
		q[k] = append([]string(nil), vs...)
	}
	if vsn == "" {
		vsn = Vsn2
	}
	q.Set("vsn", vsn)
	u.RawQuery = q.Encode()
	u.Fragment, u.RawFragment = "", ""
	return u.String(), nil
}

// redactURL drops the user info and the query (they often hold a secret)
// from a URL that may not parse, for an error message.
func redactURL(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i] + "?…"
	}
	if i := strings.Index(s, "://"); i >= 0 {
		auth := s[i+3:]
		if j := strings.IndexByte(auth, '/'); j >= 0 {
			auth = auth[:j]
		}
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			s = s[:i+3] + "…@" + s[i+3+at+1:]
		}
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
