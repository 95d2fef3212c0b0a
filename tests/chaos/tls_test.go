package chaos

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// tlsFront is a TLS server (httptest's self-signed certificate for
// 127.0.0.1 and example.com) that forwards to a phxtest server, websocket
// upgrades included: a wss endpoint for the client.
type tlsFront struct {
	app       *app
	srv       *phxtest.Server
	front     *httptest.Server
	transport *http.Transport
}

func newTLSFront(t *testing.T) *tlsFront {
	t.Helper()
	a := &app{}
	srv := phxtest.NewServer(a.option())
	backend, err := url.Parse(srv.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(backend)
	tr := &http.Transport{DisableKeepAlives: true}
	rp.Transport = tr
	rp.ErrorLog = discardLog()
	front := httptest.NewUnstartedServer(rp)
	front.Config.ErrorLog = discardLog()
	front.StartTLS()
	tf := &tlsFront{app: a, srv: srv, front: front, transport: tr}
	t.Cleanup(func() {
		front.Close()
		tr.CloseIdleConnections()
		srv.Close()
	})
	return tf
}

// url is the front's socket URL, wss://127.0.0.1:PORT/socket.
func (f *tlsFront) url() string { return "wss://" + f.front.Listener.Addr().String() + "/socket" }

// roots trusts the front's certificate.
func (f *tlsFront) roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(f.front.Certificate())
	return pool
}

// dialOnce opens one session on a new supervisor with opts and returns its
// state once it is ready or has failed to connect, with the first socket
// error seen.
func dialOnce(t *testing.T, url string, opts ...supervisor.EndpointOption) (supervisor.State[Val], error) {
	t.Helper()
	log := newSocketLog()
	sup := supervisor.New()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sup.Shutdown(ctx)
	}()
	ep, err := sup.Endpoint(url, append([]supervisor.EndpointOption{supervisor.WithStatusHandler(log.handler),
		supervisor.WithDialTimeout(5 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := supervisor.NewSession(ep, chaosConfig("chaos:tls"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Subscribe(nil)()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if st := s.State(); st.Status == supervisor.Ready {
			return st, nil
		}
		if ev, ok := log.firstClosedAfter(time.Time{}); ok {
			return s.State(), ev.ev.Err
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("neither ready nor failed within 10s")
	return supervisor.State[Val]{}, nil
}

// spec: K8 — wss verifies the server's certificate by default: a server
// whose certificate no trusted root signed is refused with the x509 error
// (and the server never sees a websocket connection); with the server's
// root configured the same server is accepted; a certificate for another
// name is refused even with the right root.
func TestTLS(t *testing.T) {
	f := newTLSFront(t)

	st, err := dialOnce(t, f.url())
	var unknown x509.UnknownAuthorityError
	var ce *supervisor.ConnectionError
	if !errors.As(err, &ce) || ce.Op != "dial" || !errors.As(err, &unknown) {
		t.Errorf("default config: socket error %v, want a dial ConnectionError wrapping x509.UnknownAuthorityError", err)
	}
	if st.Status == supervisor.Ready {
		t.Error("default config: the session joined a server with an untrusted certificate")
	}
	if n := f.app.joins.Load(); n != 0 {
		t.Errorf("the server saw %d joins over an untrusted connection", n)
	}
	t.Logf("untrusted certificate, default config: refused: %v", err)

	st, err = dialOnce(t, f.url(), supervisor.WithTLSConfig(&tls.Config{RootCAs: f.roots()}))
	if err != nil || st.Status != supervisor.Ready {
		t.Errorf("with the server's root: %v %v, want ready", st.Status, err)
	}
	t.Logf("with the server's root configured: %v", st.Status)

	// The certificate is for 127.0.0.1 and example.com, not phx.test.
	_, err = dialOnce(t, f.url(), supervisor.WithTLSConfig(&tls.Config{RootCAs: f.roots(), ServerName: "phx.test"}))
	var host x509.HostnameError
	if !errors.As(err, &host) {
		t.Errorf("certificate for another name: %v, want x509.HostnameError", err)
	}
	t.Logf("right root, wrong name: refused: %v", err)
}
