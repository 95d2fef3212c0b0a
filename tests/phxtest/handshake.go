package phxtest

import (
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/websocket"
	"github.com/rvct/phoenix/protocol"
)

// serializerFor picks the serializer for the vsn param as Phoenix does
// (~> 2.0.0 or ~> 1.0.0; no vsn means 1.0.0).
func serializerFor(q url.Values) (protocol.Serializer, bool) {
	vsn := q.Get("vsn")
	switch {
	case vsn == "" || vsn == "1.0.0" || strings.HasPrefix(vsn, "1.0."):
		return protocol.V1, true
	case vsn == "2.0.0" || strings.HasPrefix(vsn, "2.0."):
		return protocol.V2, true
	}
	return 0, false
}

// handleSocket is the websocket endpoint /socket/websocket: connect checks
// (vsn, auth, refusal) answer 403 with an empty body before anything else,
// a request without upgrade headers gets 400 as from cowboy, then the
// connection is upgraded and served.
func (s *Server) handleSocket(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token, _ := protocol.TokenFromProtocols(websocket.Subprotocols(r))
	ser, ok := serializerFor(q)
	if !ok || s.refusing() == RefuseForbidden || (s.cfg.auth != nil && !s.cfg.auth(q, token)) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "'connection' header must contain 'upgrade', got "+erlangList(r.Header.Values("Connection")))
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the request
	}
	id := ""
	if s.cfg.socketID != nil {
		id = s.cfg.socketID(q, token)
	} else if t := q.Get("token"); t != "" {
		id = "user_socket:" + t
	} else if token != "" {
		id = "user_socket:" + token
	}
	c := newConn(s, s.nextConnNum(), ws, ser, q, token, id)
	if !s.addConn(c) {
		_ = ws.NetConn().Close()
		return
	}
	s.log.Debug("phxtest: connected", "conn", c.num, "vsn", ser.Vsn(), "id", id)
	c.serve()
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// erlangList formats header tokens as cowboy's error message does: [] or
// [<<"keep-alive">>].
func erlangList(values []string) string {
	var parts []string
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				parts = append(parts, `<<"`+strings.ToLower(t)+`">>`)
			}
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}
