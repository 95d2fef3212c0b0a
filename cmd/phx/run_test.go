package main

import (
	"context"
	"flag"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunWithoutCommand(t *testing.T) {
	r := runCmd(context.Background())
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "Usage: phx COMMAND")

	r = runCmd(context.Background(), "frobnicate")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `unknown command "frobnicate"`)
}

func TestHelpListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		r := runCmd(context.Background(), args...)
		assert.Equal(t, exitOK, r.code)
		for _, c := range commands() {
			assert.Contains(t, r.stdout, "  "+c.name+" ")
		}
	}
	r := runCmd(context.Background(), "help", "call")
	assert.Equal(t, exitOK, r.code)
	assert.True(t, strings.HasPrefix(r.stdout, "Usage: phx call "), r.stdout)
}

// Every command's -h is on stdout, exits 0, and names the flags and exit
// codes of the contract.
func TestCommandHelpIsAccurate(t *testing.T) {
	contract := map[string][]string{
		"serve":  {"-addr", "-require-token", "-max-channels", "-profile", "-log-level", "-json"},
		"demo":   {"-url", "-param", "-token", "-log-level", "-json"},
		"listen": {"-url", "-param", "-token", "-log-level", "-json", "TOPIC..."},
		"call":   {"-url", "-param", "-token", "-log-level", "-json", "-topic", "-event", "-payload", "-join-payload", "-timeout"},
		"load": {"-url", "-param", "-token", "-log-level", "-json", "-sockets", "-topics", "-topic-pattern", "-event",
			"-payload-size", "-rate", "-concurrency", "-duration", "-out"},
		"bridge": {"-url", "-param", "-token", "-log-level", "-json", "-topic", "-to", "-event", "-cursor-param",
			"-cursor-field", "-replay-field", "-replay-event"},
	}
	for _, c := range commands() {
		for _, h := range []string{"-h", "--help"} {
			r := runCmd(context.Background(), c.name, h)
			require.Equal(t, exitOK, r.code, c.name)
			assert.True(t, strings.HasPrefix(r.stdout, "Usage: phx "+c.name), c.name)
			assert.Empty(t, r.stderr, c.name)
			for _, f := range contract[c.name] {
				assert.Contains(t, r.stdout, f, "%s -h names %s", c.name, f)
			}
			assert.Contains(t, r.stdout, "Exit codes:", c.name)
		}
	}
	r := runCmd(context.Background(), "call", "-h")
	for _, code := range []string{"0 ", "1 ", "2 ", "3 ", "4 ", "130"} {
		assert.Contains(t, r.stdout, "\n  "+code, "call documents exit code %s", code)
	}
}

// jsonNames lists the JSON field names of t, recursively.
func jsonNames(t reflect.Type) []string {
	var out []string
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Map || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, name)
		out = append(out, jsonNames(f.Type)...)
	}
	return out
}

// The JSON outputs' field names are the ones the help texts document.
func TestHelpDocumentsJSONFields(t *testing.T) {
	for _, c := range []struct {
		help  string
		types []any
	}{
		{loadHelp, []any{loadReport{}}},
		{bridgeHelp, []any{bridgeReport{}, bridgeLine{}}},
		{listenHelp, []any{listenState{}, listenEvent{}}},
	} {
		for _, v := range c.types {
			for _, name := range jsonNames(reflect.TypeOf(v)) {
				assert.Contains(t, c.help, name, "%T's field %q is documented", v, name)
			}
		}
	}
	for _, k := range []string{"url", "admin_url", "addr", "profile", "max_channels", "require_token"} {
		assert.Contains(t, serveHelp, k)
	}
}

// Bad flags and bad URLs: a clear message on stderr and exit 4.
func TestBadFlagsAndURLs(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"call", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"call", "--timeout", "soon"}, `invalid value "soon" for flag -timeout`},
		{[]string{"call", "--url", "ws://h/socket", "--event", "e"}, "--topic is required"},
		{[]string{"call", "--url", "ws://h/socket", "--topic", "t"}, "--event is required"},
		{[]string{"call", "--topic", "t", "--event", "e"}, "--url is required"},
		{[]string{"call", "--url", "ftp://h/socket", "--topic", "t", "--event", "e"}, "scheme must be ws, wss, http or https"},
		{[]string{"call", "--url", "ws:///socket", "--topic", "t", "--event", "e"}, "no host"},
		{[]string{"call", "--url", "ws://h/socket?token=%zz", "--topic", "t", "--event", "e"}, "bad --url"},
		{[]string{"call", "--url", "ws://h/socket", "--topic", "t", "--event", "e", "--payload", "{"}, "not valid JSON"},
		{[]string{"call", "--url", "ws://h/socket", "--topic", "t", "--event", "phx_join"}, "bad --event"},
		{[]string{"call", "--url", "ws://h/socket", "--topic", "t", "--event", "e", "--param", "=v"}, "want k=v"},
		{[]string{"call", "--url", "ws://h/socket", "--topic", "t", "--event", "e", "--log-level", "loud"}, "bad --log-level"},
		{[]string{"listen", "--url", "::nope", "t"}, "bad --url"},
		{[]string{"load", "--url", "mailto:x"}, "bad --url"},
		{[]string{"bridge", "--url", "ws://h/socket", "t", "--to", "gopher://x"}, "bad --to"},
		{[]string{"serve", "--addr", "nonsense"}, "cannot listen on nonsense"},
	} {
		r := runCmd(context.Background(), c.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.want, "%v", c.args)
		assert.NotContains(t, r.stderr, "panic", "%v", c.args)
	}
	r := runCmd(context.Background(), "call", "--bogus")
	assert.Contains(t, r.stderr, "Run `phx call -h` for usage.")
	assert.NotContains(t, r.stderr, "Usage:", "a bad flag gives a short message, not the whole help")
}

func TestParseInterleaved(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	url := fs.String("url", "", "")
	j := fs.Bool("json", false, "")
	pos, err := parseInterleaved(fs, []string{"a", "--url", "u", "b", "--json", "c", "--", "--not-a-flag", "d"})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c", "--not-a-flag", "d"}, pos)
	assert.Equal(t, "u", *url)
	assert.True(t, *j)
}
