package benchfmt

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseLine(t *testing.T) {
	l, err := ParseLine([]byte(`{"phase":"ready"}` + "\n"))
	require.NoError(t, err)
	require.Equal(t, PhaseReady, l.Phase)
	require.Nil(t, l.Result)

	l, err = ParseLine([]byte(`{"workload":"W3","client":"js","ok":true,"n":5,"count":5,"cpu_user_s":0.5,"cpu_sys_s":0.25,"goroutines":-1}`))
	require.NoError(t, err)
	require.NotNil(t, l.Result)
	require.Equal(t, "W3", l.Result.Workload)
	require.InDelta(t, 0.75, l.Result.CPUS(), 1e-9)
	require.Equal(t, -1, l.Result.Goroutines)

	for _, junk := range []string{"", "panic: boom", "[1,2]", `{"other":1}`, `{"phase":`} {
		_, err := ParseLine([]byte(junk))
		require.True(t, errors.Is(err, ErrNotALine), "%q: %v", junk, err)
	}
	_, err = ParseLine([]byte(`{"workload":"W1","n":"many"}`))
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrNotALine))
}

func TestKilledLine(t *testing.T) {
	ns, err := ParseKilled(KilledLine(1700000000123456789))
	require.NoError(t, err)
	require.EqualValues(t, 1700000000123456789, ns)
	for _, bad := range []string{"", "killed", "killed x", "dead 1"} {
		_, err := ParseKilled(bad)
		require.Error(t, err, bad)
	}
}
