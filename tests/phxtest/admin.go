package phxtest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// registerAdmin serves the admin endpoints of the transcripts' app, so a
// separate process (phx serve) can be driven over HTTP:
//
//	POST /admin/broadcast?topic=T&event=E&n=N[&payload=JSON]  N broadcasts of {"i":k} (or payload)
//	     -> {"event":E,"n":N,"ok":true,"topic":T}
//	POST /admin/disconnect?token=X (or id=ID)  disconnect socket "user_socket:X"
//	     -> {"disconnected":"user_socket:X","ok":true}
//	POST /admin/reset                          clear the demo app's history -> {"ok":true}
//	POST /admin/crash?topic=T                  crash T's channels -> {"crashed":N,"ok":true,"topic":T}
//	POST /admin/stall?on=true|false            stall heartbeats -> {"ok":true,"stalled":B}
//	GET  /admin/stats                          Stats as JSON
func (s *Server) registerAdmin(mux *http.ServeMux) {
	mux.HandleFunc("POST /admin/broadcast", s.adminBroadcast)
	mux.HandleFunc("POST /admin/disconnect", s.adminDisconnect)
	mux.HandleFunc("POST /admin/reset", func(w http.ResponseWriter, _ *http.Request) {
		if s.demo != nil {
			s.demo.Reset()
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	})
	mux.HandleFunc("POST /admin/crash", func(w http.ResponseWriter, r *http.Request) {
		topic := r.URL.Query().Get("topic")
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "topic": topic, "crashed": s.CrashChannel(topic)})
	})
	mux.HandleFunc("POST /admin/stall", func(w http.ResponseWriter, r *http.Request) {
		on, err := strconv.ParseBool(r.URL.Query().Get("on"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "on must be true or false"})
			return
		}
		s.StallHeartbeats(on)
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "stalled": on})
	})
	mux.HandleFunc("GET /admin/stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
}

func (s *Server) adminBroadcast(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	topic, event := q.Get("topic"), q.Get("event")
	n := 1
	if v := q.Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 || n > maxDemoN {
			writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "bad n"})
			return
		}
	}
	if topic == "" || event == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "topic and event are required"})
		return
	}
	var fixed *Payload
	if v := q.Get("payload"); v != "" {
		p := RawJSON([]byte(v))
		if p.err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "payload is not JSON"})
			return
		}
		fixed = &p
	}
	for i := 1; i <= n; i++ {
		p := Payload{data: append(strconv.AppendInt([]byte(`{"i":`), int64(i), 10), '}')}
		if fixed != nil {
			p = *fixed
		}
		_ = s.Broadcast(topic, event, p)
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "topic": topic, "event": event, "n": n})
}

func (s *Server) adminDisconnect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id := q.Get("id")
	if id == "" && q.Get("token") != "" {
		id = "user_socket:" + q.Get("token")
	}
	if id == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "token or id is required"})
		return
	}
	s.Disconnect(id)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "disconnected": id})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"ok":false}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
