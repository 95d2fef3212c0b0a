package tests

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rvct/phoenix/supervisor"
	"github.com/rvct/phoenix/tests/phxtest"
)

// A session whose socket cannot connect stays loading, but says why: its
// error is a transport error carrying the refused handshake (HTTP 403).
// When the server accepts again, the session joins and is ready.
//
// spec: S1, K1
func TestSessionDialFailureShowsTransportErrorE2E(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := demoEnv(t)
		require.NoError(t, e.srv.RefuseConnects(phxtest.RefuseForbidden))
		chat, err := supervisor.NewSession(e.ep, seedConfig("chat:dialfail"))
		require.NoError(t, err)
		var got states[ChatValue]
		unsubscribe := chat.Subscribe(got.add)
		defer unsubscribe()

		st := got.last()
		require.Equal(t, supervisor.Loading, st.Status)
		require.NotNil(t, st.Error, "a refused connect must show on the session")
		require.Equal(t, supervisor.KindTransport, st.Error.Kind)
		cause, ok := st.Error.Cause.(error)
		require.True(t, ok, "cause is the connection error, got %T", st.Error.Cause)
		var ce *supervisor.ConnectionError
		require.True(t, errors.As(cause, &ce), "cause %v", cause)
		require.Equal(t, 403, ce.HTTPCode)

		require.NoError(t, e.srv.RefuseConnects(phxtest.RefuseNone))
		// The reconnect backoff is at most 5 s a try (fake clock).
		for i := 0; i < 6 && chat.State().Status != supervisor.Ready; i++ {
			time.Sleep(time.Second)
			synctest.Wait()
		}
		st = chat.State()
		require.Equal(t, supervisor.Ready, st.Status)
		require.Nil(t, st.Error)
	})
}
