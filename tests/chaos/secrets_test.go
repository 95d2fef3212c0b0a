package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// The secrets of TestSecretsNeverLogged: each is passed one way, and none
// may appear in a log line, an error string or a stats id.
const (
	secretParam     = "SECRET-PARAM-7f3a"     // WithParams token
	secretAuthToken = "SECRET-AUTHTOKEN-91bc" // WithAuthToken (Sec-WebSocket-Protocol)
	secretHeader    = "SECRET-HEADER-c0de"    // WithHeader Authorization
	secretQuery     = "SECRET-QUERY-55aa"     // in the endpoint URL's query
	secretUserinfo  = "SECRET-USERINFO-e1f2"  // in the endpoint URL's user info
	secretBadURL    = "SECRET-BADURL-0b0b"    // in the query of an invalid endpoint URL
)

var allSecrets = []string{secretParam, secretAuthToken, secretHeader, secretQuery, secretUserinfo, secretBadURL}

// waitStatus waits (on the fake clock) until s has status st.
func waitStatus(t *testing.T, s *supervisor.Session[Val], st supervisor.Status, bound time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(bound); s.State().Status != st; {
		if time.Now().After(deadline) {
			cur := s.State()
			t.Fatalf("%s: %v %v after %v, want %v", s.Topic(), cur.Status, cur.Error, bound, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// texts collects every string the library hands out.
type texts struct {
	mu  sync.Mutex
	all []string
}

func (x *texts) add(format string, args ...any) {
	x.mu.Lock()
	x.all = append(x.all, fmt.Sprintf(format, args...))
	x.mu.Unlock()
}

// spec: K8, W1, W1a — tokens and params never appear in logs or error
// strings. A client with a secret in its params, its auth token, a header,
// its URL's query and user info goes through refused connects (403 and
// connection refused), a killed server, a stalled heartbeat, hostile
// frames, failing calls and an invalid endpoint URL, logging at Debug
// level; every log line, error string, socket event and stats id is
// searched for the secrets.
func TestSecretsNeverLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &logBuffer{}
		var seen texts
		var accept atomic.Bool
		var gotParam, gotToken atomic.Value
		auth := phxtest.WithAuth(func(params url.Values, token string) bool {
			gotParam.Store(params.Get("token"))
			gotToken.Store(token)
			return accept.Load()
		})
		e := &env{t: t, app: &app{}}
		e.srv = phxtest.NewPipeServer(e.app.option(), auth)
		u := e.srv.URL() + "?api_key=" + secretQuery
		e.start(u, []supervisor.Option{supervisor.WithLogger(logs.logger())},
			supervisor.WithNetDialContext(e.srv.DialContext),
			supervisor.WithStaticParams(url.Values{"token": {secretParam}}),
			supervisor.WithAuthToken(func() string { return secretAuthToken }),
			supervisor.WithHeader(http.Header{"Authorization": {"Bearer " + secretHeader}}),
			supervisor.WithHeartbeatInterval(5*time.Second),
			supervisor.WithStatusHandler(func(ev supervisor.SocketEvent) { seen.add("%s %v %v", ev.Socket, ev.Status, ev.Err) }),
		)
		s := e.session(topic("secret", 0))
		record := func() { st := s.State(); seen.add("%v %v %+v", st.Status, st.Error, st.Value) }
		unsub := s.Subscribe(func(st supervisor.State[Val]) { seen.add("%v %v", st.Status, st.Error) })
		defer unsub()

		// Refused with 403 for a while, then accepted.
		time.Sleep(2 * time.Second)
		record()
		accept.Store(true)
		waitStatus(t, s, supervisor.Ready, 10*time.Second)
		if gotParam.Load() != secretParam || gotToken.Load() != secretAuthToken {
			t.Fatalf("the server did not get the secrets (param %v, token %v): the test would prove nothing", gotParam.Load(), gotToken.Load())
		}

		// Calls cut by a killed server that stays down (connection refused).
		hold := holdCall(s)
		errs := make(chan error, 1)
		go func() { _, err := hold.Call(context.Background(), Echo{ID: 1}); errs <- err }()
		synctest.Wait()
		e.srv.Stop(phxtest.Kill)
		seen.add("%v", <-errs)
		_, err := echoCall(s, supervisor.WithCallTimeout(time.Second)).Call(context.Background(), Echo{ID: 2})
		seen.add("%v", err)
		time.Sleep(2 * time.Second)
		record()
		if err := e.srv.Start(); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, s, supervisor.Ready, 10*time.Second)

		// Hostile frames, an error reply, then a stalled heartbeat.
		conn := e.srv.Conns()[0]
		_, _ = conn.SendHostile(phxtest.HostileFrames(phxtest.HostileTarget{Topic: s.Topic(), JoinRef: conn.Channel(s.Topic()).JoinRef()}))
		bad := supervisor.NewCall[Echo, Echo, json.RawMessage](s, "bad", "no_such_event")
		_, err = bad.Call(context.Background(), Echo{ID: 3})
		seen.add("%v", err)
		conn.StallHeartbeats(true)
		time.Sleep(11 * time.Second)
		record()
		waitStatus(t, s, supervisor.Ready, 10*time.Second)

		// User info in the URL: gorilla refuses such a URL at every dial.
		ui, err := e.sup.Endpoint(strings.Replace(e.srv.URL(), "ws://", "ws://user:"+secretUserinfo+"@", 1),
			supervisor.WithNetDialContext(e.srv.DialContext))
		if err != nil {
			seen.add("%v", err)
		} else {
			us, err := supervisor.NewSession(ui, chaosConfig(topic("secret", 1)))
			if err != nil {
				t.Fatal(err)
			}
			unsubUI := us.Subscribe(nil)
			time.Sleep(time.Second)
			st := us.State()
			seen.add("%v %v %s", st.Status, st.Error, ui.ID())
			t.Logf("endpoint with user info in its URL: accepted; its session: %v, %v", st.Status, st.Error)
			unsubUI()
		}

		// Invalid endpoint URLs carrying secrets.
		for _, bad := range []string{
			"ws://exa mple.com/socket?token=" + secretBadURL,
			"ws:///socket?token=" + secretBadURL,
			"ws://user:" + secretBadURL + "@[::1/socket",
			"ftp://example.com/socket?token=" + secretBadURL,
			"ws://example.com/socket?token=%zz" + secretBadURL,
		} {
			_, err := e.sup.Endpoint(bad)
			if err == nil {
				t.Errorf("Endpoint(%q) accepted", bad)
				continue
			}
			seen.add("%v", err)
		}
		for _, ep := range e.sup.Stats().Endpoints {
			seen.add("%s", ep.ID)
			for _, k := range ep.Sockets {
				seen.add("%s", k.ID)
			}
		}
		seen.add("%s", e.ep.ID())

		log := logs.String()
		for _, want := range []string{"connect failed", "reconnecting", "malformed", "heartbeat"} {
			if !strings.Contains(log, want) {
				t.Errorf("the log has no %q line: the scenario did not run as planned", want)
			}
		}
		seen.mu.Lock()
		defer seen.mu.Unlock()
		leaks := 0
		for _, secret := range allSecrets {
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, secret) {
					leaks++
					t.Errorf("log line leaks %s: %s", secret, line)
				}
			}
			for _, x := range seen.all {
				if strings.Contains(x, secret) {
					leaks++
					t.Errorf("error or state text leaks %s: %s", secret, x)
				}
			}
		}
		t.Logf("%d log lines and %d error, state, event and id strings searched for %d secrets: %d leaks",
			logs.lines(), len(seen.all), len(allSecrets), leaks)
	})
}

// A URL with user info is unusable: gorilla/websocket refuses it at every
// dial ("malformed ws or wss URL"), so such an endpoint retries for ever
// and never connects. Endpoint should refuse it at once, as it does other
// unusable URLs (ErrInvalidOption), or send the user info as it should be
// sent.
func TestEndpointUserInfo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newPipeEnv(t, pipeOpts{})
		ep, err := e.sup.Endpoint(strings.Replace(e.srv.URL(), "ws://", "ws://user:pass@", 1),
			supervisor.WithNetDialContext(e.srv.DialContext))
		if err != nil {
			if !errors.Is(err, supervisor.ErrInvalidOption) {
				t.Fatalf("Endpoint with user info: %v, want ErrInvalidOption", err)
			}
			return
		}
		s, err := supervisor.NewSession(ep, chaosConfig("chaos:userinfo"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Subscribe(nil)()
		time.Sleep(time.Minute)
		if st := s.State(); st.Status != supervisor.Ready {
			t.Errorf("an endpoint with user info in its URL was accepted but never connects: after 1 min %v, %v", st.Status, st.Error)
		}
	})
}
