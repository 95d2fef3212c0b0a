package phxtest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// serverNonce makes presence refs differ between servers of one process.
var serverNonce atomic.Uint32

// Server is an in-process Phoenix-protocol server. Create it with
// NewServer (loopback TCP), NewPipeServer (in-memory, for testing/synctest)
// or Listen (a TCP address of your choice); Close it when done.
type Server struct {
	cfg   config
	pipe  bool
	addr  string
	log   *slog.Logger
	debug bool // log at debug level (checked before building hot-path log records)
	rec   *Recorder
	demo  *Demo
	nonce uint32

	mu       sync.Mutex
	closed   bool
	stopped  bool // by Stop, until Start
	refuse   RefuseMode
	ln       net.Listener
	memln    *memListener
	hs       *http.Server
	conns    map[*Conn]struct{}
	nextConn uint64
	nextDial uint64

	wg      sync.WaitGroup
	closing chan struct{} // closed by Close

	ps      pubsub
	pres    presence
	faults  faults
	stallHB atomic.Bool
	refSeq  atomic.Uint64
	changed notifier
	stats   counters

	upgrader websocket.Upgrader
	mux      *http.ServeMux
}

// pipeHost is the host of a pipe server's URL. It never resolves, so a
// client that forgot to use DialContext fails fast instead of dialling
// someone else.
const pipeHost = "phxtest.invalid:4000"

// NewServer starts a server on loopback TCP (127.0.0.1:0, or WithAddr's
// address), like httptest.NewServer. It panics if the options are invalid or
// it cannot listen; use Listen to get an error instead.
func NewServer(opts ...Option) *Server {
	s, err := Listen("", opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Listen starts a server on TCP address addr ("" means WithAddr's address,
// or 127.0.0.1:0).
func Listen(addr string, opts ...Option) (*Server, error) {
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	if addr == "" {
		addr = cfg.addr
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s := newServer(cfg, false)
	s.addr = addr
	s.mu.Lock()
	err = s.listenLocked()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s, nil
}

// NewPipeServer starts a server on an in-memory listener: no TCP, every
// connection is an in-memory pipe made by DialContext. Everything it starts
// belongs to the calling goroutine's synctest bubble, so it runs under
// testing/synctest with fake time. It panics if the options are invalid.
func NewPipeServer(opts ...Option) *Server {
	cfg, err := buildConfig(opts)
	if err != nil {
		panic(err)
	}
	s := newServer(cfg, true)
	s.addr = pipeHost
	s.mu.Lock()
	err = s.listenLocked()
	s.mu.Unlock()
	if err != nil {
		panic(err)
	}
	return s
}

func newServer(cfg config, pipe bool) *Server {
	s := &Server{
		cfg:     cfg,
		pipe:    pipe,
		log:     cfg.logger,
		debug:   cfg.logger.Enabled(context.Background(), slog.LevelDebug),
		rec:     cfg.recorder,
		demo:    cfg.demo,
		nonce:   serverNonce.Add(1),
		conns:   map[*Conn]struct{}{},
		closing: make(chan struct{}),
	}
	s.upgrader = websocket.Upgrader{
		CheckOrigin:  func(*http.Request) bool { return true },
		Subprotocols: []string{"phoenix"},
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/socket/websocket", s.handleSocket)
	s.registerAdmin(s.mux)
	return s
}

// URL returns the socket URL, "ws://HOST/socket"; clients dial
// URL()+"/websocket?vsn=2.0.0".
func (s *Server) URL() string { return "ws://" + s.addr + "/socket" }

// HTTPURL returns "http://HOST", the base of the admin endpoints.
func (s *Server) HTTPURL() string { return "http://" + s.addr }

// Addr returns the host:port the server listens on (a fixed fake address for
// a pipe server).
func (s *Server) Addr() string { return s.addr }

// Profile returns the Phoenix version the server reproduces.
func (s *Server) Profile() Profile { return s.cfg.profile }

// Demo returns the demo app's state, or nil without WithDemoApp.
func (s *Server) Demo() *Demo { return s.demo }

// Recorder returns the recorder given with WithRecorder, or nil.
func (s *Server) Recorder() *Recorder { return s.rec }

// DialContext connects to the server: a TCP dial for a TCP server, an
// in-memory pipe for a pipe server (addr is ignored then). Plug it into
// websocket.Dialer.NetDialContext or http.Transport.DialContext. While the
// server is stopped or refusing dials it fails with ECONNREFUSED.
func (s *Server) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if !s.pipe {
		var d net.Dialer
		if addr == "" {
			addr = s.addr
		}
		return d.DialContext(ctx, "tcp", addr)
	}
	s.mu.Lock()
	ln := s.memln
	s.nextDial++
	n := s.nextDial
	s.mu.Unlock()
	if ln == nil {
		ln = closedMemListener(s.addr)
	}
	return ln.dial(ctx, "client:"+strconv.FormatUint(n, 10))
}

func closedMemListener(addr string) *memListener {
	l := newMemListener(addr)
	l.Close()
	return l
}

// Dialer returns a websocket.Dialer that dials this server.
func (s *Server) Dialer() *websocket.Dialer {
	return &websocket.Dialer{NetDialContext: s.DialContext, HandshakeTimeout: 10 * time.Second}
}

// Client returns an HTTP client for the admin endpoints that dials this
// server (keep-alives off, so it leaves no goroutine behind).
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: s.DialContext, DisableKeepAlives: true}}
}

// spawn runs f in a goroutine that Close waits for. It must be called by a
// goroutine Close also waits for, or with s.mu held and s not closed.
func (s *Server) spawn(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

func (s *Server) route(topic string) *route { return s.cfg.route(topic) }

// addConn registers a new connection and counts its goroutines; false when
// the server is closed or stopped.
func (s *Server) addConn(c *Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.stopped {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(2) // the transport (serve) and the writer
	go func() {
		defer s.wg.Done()
		c.w.run()
	}()
	s.changed.fire()
	return true
}

func (s *Server) removeConn(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.changed.fire()
}

func (s *Server) nextConnNum() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextConn++
	return s.nextConn
}

// Conns returns the open connections, oldest first.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	out := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].num < out[j].num })
	return out
}

// ConnCount returns how many connections are open.
func (s *Server) ConnCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Disconnect closes every connection whose socket id is id, as
// Endpoint.broadcast(id, "disconnect", %{}) does: close 1000 on Phoenix
// 1.7, 1001 on 1.8, and no phx_close or phx_error first. It returns how
// many it closed.
func (s *Server) Disconnect(id string) int {
	code := websocket.CloseNormalClosure
	if s.cfg.profile >= Phoenix18 {
		code = websocket.CloseGoingAway
	}
	n := 0
	for _, c := range s.Conns() {
		if id != "" && c.id == id {
			c.closeWith(code, "")
			n++
		}
	}
	return n
}

// errorPayload is phx_error's payload for the profile.
func (s *Server) errorPayload() []byte {
	if s.cfg.profile >= Phoenix18 {
		return []byte(`{"reason":"channel_crash"}`)
	}
	return emptyObject
}

// Close stops the server: it stops listening, drops every connection
// (no close frame), and waits for every goroutine it started. It is
// idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return
	}
	s.closed = true
	close(s.closing)
	s.unlistenLocked()
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Drop()
	}
	s.wg.Wait()
}

// Shutdown closes every connection with 1012 (service restart), as a
// Phoenix node draining on SIGTERM, waits for them to end or for ctx, then
// closes the server.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.stop(ctx, Graceful)
	s.Close()
	return err
}

// Stats counts what the server has done.
type Stats struct {
	Conns      int    // open connections
	Channels   int    // joined channels
	FramesIn   uint64 // data frames received
	FramesOut  uint64 // frames written (data and control)
	Broadcasts uint64 // broadcasts (each counted once, however many receive it)
}

type counters struct {
	framesIn, framesOut, broadcasts atomic.Uint64
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		Conns:      s.ConnCount(),
		Channels:   s.ChannelCount(),
		FramesIn:   s.stats.framesIn.Load(),
		FramesOut:  s.stats.framesOut.Load(),
		Broadcasts: s.stats.broadcasts.Load(),
	}
}

func sortChannels(chans []*ChannelSocket) {
	sort.Slice(chans, func(i, j int) bool { return chans[i].conn.num < chans[j].conn.num })
}

// String describes the server.
func (s *Server) String() string {
	kind := "tcp"
	if s.pipe {
		kind = "pipe"
	}
	return fmt.Sprintf("phxtest.Server(%s %s %s)", kind, s.addr, s.cfg.profile)
}
