package supervisor

import (
	"github.com/rvct/phoenix/actors"
)

// Endpoint is a pool of sockets to one Phoenix socket URL (SPEC K6a). Get
// one with Supervisor.Endpoint; sessions are created on it.
type Endpoint struct {
	inner *actors.Endpoint
	sup   *Supervisor
	// sessions maps topic -> the typed *Session[T]; owned by session.go,
	// guarded by newSessionMu (a plain map: a sync.Map entry costs twice).
	sessions map[string]any
}

// Endpoint returns a new pool of sockets to url, e.g.
// "wss://example.com/socket" (http and https work too; "/websocket" and
// vsn are added, SPEC W1). No connection is made until a session needs one.
// Each call makes a new pool, even for the same url. Options are validated:
// a bad url or option gives an error matching ErrInvalidOption.
func (s *Supervisor) Endpoint(url string, opts ...EndpointOption) (*Endpoint, error) {
	o := endpointOptions{cfg: actors.EndpointConfig{URL: url}}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	inner, err := s.sys.NewEndpoint(o.cfg)
	if err != nil {
		return nil, err
	}
	ep := &Endpoint{inner: inner, sup: s}
	s.mu.Lock()
	s.endpoints = append(s.endpoints, ep)
	s.mu.Unlock()
	return ep, nil
}

// ID names the endpoint: its URL without query or user info (plus "~n" for
// the n-th endpoint of one URL).
func (e *Endpoint) ID() string { return e.inner.ID() }

// Supervisor returns the Supervisor the endpoint belongs to.
func (e *Endpoint) Supervisor() *Supervisor { return e.sup }
