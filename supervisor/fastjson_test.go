package supervisor

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

type fjFlat struct {
	Body  string  `json:"body"`
	I     int     `json:"i"`
	I8    int8    `json:"i8"`
	U16   uint16  `json:"u16,omitempty"`
	U     uint    `json:"u"`
	F32   float32 `json:"f32"`
	F     float64
	OK    bool   `json:"ok"`
	Skip  string `json:"-"`
	inner int
}

type fjNamed string

type fjNamedFields struct {
	Kind fjNamed `json:"kind"`
	N    int64   `json:"n"`
}

type fjEmpty struct{}

// Types the fast path must leave to encoding/json.
type (
	fjNested struct {
		A struct{ B int } `json:"a"`
	}
	fjEmbedded struct {
		fjNamedFields
		X int
	}
	fjStringOpt struct {
		N int `json:"n,string"`
	}
	fjTime struct {
		At time.Time `json:"at"`
	}
	fjFoldDup struct {
		A int `json:"name"`
		B int `json:"NAME"`
	}
)

// fjPayloads: well-formed, odd and malformed payloads.
var fjPayloads = []string{
	`{"body":"hello","i":42,"ok":true}`,
	`{"body":"` + strings.Repeat("x", 100) + `","i":12345}`,
	` { "body" : "a" , "i" : -7 , "F" : 1.5e3 , "f32" : 3.25 } `,
	`{}`, `{ }`, `null`, ``, ` `, `[]`, `"str"`, `42`, `true`,
	`{"body":null,"i":null,"ok":null}`,
	`{"body":"caf\u00e9"}`, `{"body":"a\"b"}`, `{"body":"tab\there"}`,
	"{\"body\":\"\xff\xfe\"}", "{\"body\":\"h\xc3\xa9\"}",
	"{\"body\":\"ctrl\x01\"}",
	`{"BODY":"upper"}`, `{"Body":"title"}`, `{"f":2}`, `{"bOdY":"x","body":"y"}`,
	`{"body":"x","body":"y"}`,
	`{"i":1.0}`, `{"i":1e2}`, `{"i":01}`, `{"i":-0}`, `{"i":9223372036854775808}`,
	`{"i8":127}`, `{"i8":128}`, `{"i8":-129}`, `{"u":-1}`, `{"u16":65536}`, `{"u":18446744073709551615}`,
	`{"F":1e400}`, `{"f32":1e39}`, `{"F":-0.0}`, `{"F":.5}`, `{"F":5.}`, `{"F":1e}`, `{"F":-}`,
	`{"i":"42"}`, `{"body":42}`, `{"ok":1}`, `{"ok":"true"}`, `{"ok":tru}`, `{"ok":truex}`,
	`{"unknown":{"a":[1,2,{"b":null}],"c":"d\n\u0041"},"i":3}`,
	`{"unknown":[1,,2],"i":3}`, `{"unknown":[1 2],"i":3}`, `{"unknown":"\x","i":3}`,
	`{"unknown":"\u12g4"}`, `{"unknown":{"a" 1}}`, `{"unknown":{1:2}}`,
	`{"unknown":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
	`{"i":3,}`, `{"i":3`, `{"i" 3}`, `{i:3}`, `{"i":3}x`, `{"i":3}}`, `{,}`,
	`{"Skip":"no","inner":5,"-":"dash"}`,
	`{"kind":"k","n":-9223372036854775808}`,
	`{"a":{"B":1},"X":2,"kind":"e","n":3}`,
	`{"n":"12"}`, `{"at":"2026-12-04T19:55:43Z"}`, `{"name":1,"NAME":2}`,
}

// fjCompare decodes p into a fresh T with decodePayload and with
// encoding/json and fails on any difference (value or error presence).
func fjCompare[T any](t *testing.T, p string) {
	t.Helper()
	got, gotErr := decodePayload[T]([]byte(p), false)
	var want T
	wantErr := json.Unmarshal([]byte(p), &want)
	if (gotErr == nil) != (wantErr == nil) {
		t.Errorf("%T %q: error %v, encoding/json %v", want, p, gotErr, wantErr)
		return
	}
	if gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Errorf("%T %q: error %q, encoding/json %q", want, p, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%T %q:\n got %+v\nwant %+v", want, p, got, want)
	}
}

func TestFastDecodeMatchesEncodingJSON(t *testing.T) {
	// spec: E1, E3 — the fast path decodes exactly as encoding/json does:
	// same values, same errors, for well-formed, odd and malformed payloads.
	for _, p := range fjPayloads {
		fjCompare[fjFlat](t, p)
		fjCompare[fjNamedFields](t, p)
		fjCompare[fjEmpty](t, p)
		fjCompare[fjNested](t, p)
		fjCompare[fjEmbedded](t, p)
		fjCompare[fjStringOpt](t, p)
		fjCompare[fjTime](t, p)
		fjCompare[fjFoldDup](t, p)
	}
}

func TestFastPlanEligibility(t *testing.T) {
	// The fast path takes flat structs of scalars only.
	for _, c := range []struct {
		typ  reflect.Type
		fast bool
	}{
		{reflect.TypeFor[fjFlat](), true},
		{reflect.TypeFor[fjNamedFields](), true},
		{reflect.TypeFor[fjEmpty](), true},
		{reflect.TypeFor[fjNested](), false},
		{reflect.TypeFor[fjEmbedded](), false},
		{reflect.TypeFor[fjStringOpt](), false},
		{reflect.TypeFor[fjTime](), false},
		{reflect.TypeFor[fjFoldDup](), false},
		{reflect.TypeFor[map[string]any](), false},
		{reflect.TypeFor[[]int](), false},
		{reflect.TypeFor[time.Time](), false},
	} {
		if got := planFor(c.typ) != nil; got != c.fast {
			t.Errorf("%v: fast %v, want %v", c.typ, got, c.fast)
		}
	}
}

func FuzzFastDecode(f *testing.F) {
	for _, p := range fjPayloads {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		fjCompare[fjFlat](t, p)
		fjCompare[fjNamedFields](t, p)
	})
}

var fjSink fjBench

type fjBench struct {
	Body string `json:"body"`
	I    int    `json:"i"`
}

var fjBenchPayload = []byte(`{"body":"` + strings.Repeat("x", 100) + `","i":12345}`)

// BenchmarkDecodePayload: a W2 flood event decoded into the user's struct
// (the fast path).
func BenchmarkDecodePayload(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		v, err := decodePayload[fjBench](fjBenchPayload, false)
		if err != nil {
			b.Fatal(err)
		}
		fjSink = v
	}
}

// BenchmarkDecodePayloadStdlib: the same with encoding/json, for comparison.
func BenchmarkDecodePayloadStdlib(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var v fjBench
		if err := json.Unmarshal(fjBenchPayload, &v); err != nil {
			b.Fatal(err)
		}
		fjSink = v
	}
}
