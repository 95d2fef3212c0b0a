package protocol

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// malformedText are text frames DecodeText must refuse with a *DecodeError.
var malformedText = []struct{ name, frame string }{
	{"not JSON", `not json`},
	{"empty", ``},
	{"white space only", " \t\r\n"},
	{"JSON null", `null`},
	{"number", `42`},
	{"string", `"frame"`},
	{"empty array", `[]`},
	{"empty array with space", `[ ]`},
	{"wrong arity 3", `[1,2,3]`},
	{"4 elements", `["1","1","room:mal12","phx_join"]`},
	{"V1 object on V2", `{"topic":"chat:mal","event":"phx_join","payload":{},"ref":"1"}`},
	{"numeric refs", `[1,1,"room:mal13","phx_join",{}]`},
	{"numeric join_ref", `[1,"1","t","e",{}]`},
	{"numeric ref", `["1",1,"t","e",{}]`},
	{"numeric topic", `[null,"1",123,"phx_join",{}]`},
	{"numeric event", `["1","1","room:mal11",42,{}]`},
	{"null topic", `[null,null,null,"e",{}]`},
	{"null event", `[null,null,"t",null,{}]`},
	{"bool ref", `[null,true,"t","e",{}]`},
	{"object ref", `[{},null,"t","e",{}]`},
	{"array topic", `[null,null,["t"],"e",{}]`},
	{"unterminated array", `[null,null,"t","e",{}`},
	{"unterminated payload", `[null,null,"t","e",{"a":1]`},
	{"trailing comma", `[null,null,"t","e",{},]`},
	{"missing comma", `[null null,"t","e",{}]`},
	{"leading comma", `[,null,null,"t","e",{}]`},
	{"data after frame", `[null,null,"t","e",{}] x`},
	{"two frames", `[null,null,"t","e",{}][null,null,"t","e",{}]`},
	{"nested garbage", `[null,null,"t","e",{"a":[1,{"b":}]}]`},
	{"object key not string", `[null,null,"t","e",{a:1}]`},
	{"object missing colon", `[null,null,"t","e",{"a" 1}]`},
	{"object trailing comma", `[null,null,"t","e",{"a":1,}]`},
	{"mismatched brackets", `[null,null,"t","e",{"a":[1}]]`},
	{"single quotes", `[null,null,'t',"e",{}]`},
	{"bad literal", `[nul,null,"t","e",{}]`},
	{"capital literal", `[null,null,"t","e",True]`},
	{"truncated literal", `[null,null,"t","e",fals`},
	{"leading zero", `[null,null,"t","e",01]`},
	{"bare minus", `[null,null,"t","e",-]`},
	{"bare fraction", `[null,null,"t","e",1.]`},
	{"leading dot", `[null,null,"t","e",.5]`},
	{"plus sign", `[null,null,"t","e",+1]`},
	{"empty exponent", `[null,null,"t","e",1e]`},
	{"hex number", `[null,null,"t","e",0x10]`},
	{"NaN", `[null,null,"t","e",NaN]`},
	{"invalid escape", `[null,null,"t\q","e",{}]`},
	{"invalid escape in payload", `[null,null,"t","e","\x41"]`},
	{"short unicode escape", `[null,null,"t\u12","e",{}]`},
	{"non-hex unicode escape", `[null,null,"t","\u00zz",{}]`},
	{"escape at end", `[null,null,"t","e","\`},
	{"unterminated string", `[null,null,"t,"e",{}]`},
	{"raw newline in string", "[null,null,\"a\nb\",\"e\",{}]"},
	{"raw tab in string", "[null,null,\"t\",\"e\",\"a\tb\"]"},
	{"NUL in string", "[null,null,\"t\x00\",\"e\",{}]"},
	{"NUL outside string", "[null,null,\"t\",\"e\",{}]\x00"},
	{"byte order mark", "\uFEFF[null,null,\"t\",\"e\",{}]"},
	{"comment", `[null,null,"t","e",{}] // c`},
	{"deep nesting", strings.Repeat("[", 100000)},
	{"deep nesting closed", "[null,null,\"t\",\"e\"," + strings.Repeat("[", 100000) + strings.Repeat("]", 100001)},
	{"deep object nesting", "[null,null,\"t\",\"e\"," + strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000) + "]"},
}

// spec: W6 — every malformed text frame is a typed error, never a panic;
// encoding/json agrees that none is a valid vsn 2.0.0 frame.
func TestDecodeTextMalformed(t *testing.T) {
	for _, tt := range malformedText {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.frame)
			f, err := DecodeText(data)
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeText(%.60q) = %+v, %v; want *DecodeError", tt.frame, f, err)
			}
			if de.Format != "json" || !strings.HasPrefix(de.Error(), "protocol: malformed json frame: ") {
				t.Errorf("error %q (format %q)", de.Error(), de.Format)
			}
			if de.Offset > len(data) {
				t.Errorf("offset %d past the %d-byte frame", de.Offset, len(data))
			}
			if stdlibV2Valid(data) {
				t.Errorf("oracle: encoding/json accepts %q as a vsn 2.0.0 frame", tt.frame)
			}
		})
	}
}

// spec: W6 — the JSON scanner accepts exactly what encoding/json accepts
// (below the nesting bound).
func TestValidJSONMatchesStdlib(t *testing.T) {
	cases := []string{
		`{}`, `[]`, `{"a":1}`, `[1,[2,[3]]]`, ` {"a" : [ true , false , null ] } `, `"x"`, `0`, `-0`, `-0.5e+10`,
		`1E-2`, `"\u00e9\ud83d\ude00\/\b\f\n\r\t\"\\"`, "\"\xff\xfe\"", `{"a":{"b":{}}}`, `[{}]`, `[[],[]]`,
		`{"a":1}x`, `{"a":1`, `{"a"}`, `{,}`, `[1 2]`, `["a",]`, `{"a":1 "b":2}`, `00`, `1.e5`, `"\u12G4"`,
		"\"\x7f\"", "\"\x1f\"", `"\'"`, ``, ` `, `nul`, `[`, `]`, `}`, `{"a":[}`, `[{]`, `{"a":1}}`, `[1]]`,
	}
	for _, c := range malformedText {
		cases = append(cases, c.frame)
	}
	for _, c := range cases {
		if got, want := ValidJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("ValidJSON(%q) = %v, encoding/json says %v", c, got, want)
		}
	}
}

// spec: W6 — the nesting bound is encoding/json's (10000 levels), counted
// from the frame (or reply, or V1 object) itself, and deep input is refused
// without recursion.
func TestNestingBound(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	objs := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	for _, tc := range []struct {
		name string
		data string
		ok   func([]byte) bool
	}{
		{"ValidJSON", nest(maxDepth), ValidJSON},
		{"ValidJSON objects", objs(maxDepth), ValidJSON},
		{"DecodeText", `[null,null,"t","e",` + nest(maxDepth-1) + `]`, func(b []byte) bool { _, err := DecodeText(b); return err == nil }},
		{"DecodeText extra", `[null,null,"t","e",{},` + nest(maxDepth-1) + `]`, func(b []byte) bool { _, err := DecodeText(b); return err == nil }},
		{"ParseReply", `{"status":"ok","response":` + objs(maxDepth-1) + `}`, func(b []byte) bool { _, err := ParseReply(b); return err == nil }},
		{"DecodeV1", `{"topic":"t","event":"e","payload":` + nest(maxDepth-1) + `}`, func(b []byte) bool { _, err := DecodeV1(b); return err == nil }},
	} {
		at := []byte(tc.data)
		if !tc.ok(at) || !json.Valid(at) {
			t.Errorf("%s: %d levels refused (encoding/json: %v)", tc.name, maxDepth, json.Valid(at))
		}
		// One level more: wrap the innermost value once more.
		mid := strings.Index(tc.data, "1}")
		var over string
		if mid >= 0 && strings.Contains(tc.data, `{"a":`) {
			over = tc.data[:mid] + `{"a":1}` + tc.data[mid+1:]
		} else {
			mid = strings.Index(tc.data, "[]")
			over = tc.data[:mid] + "[[]]" + tc.data[mid+2:]
		}
		if tc.ok([]byte(over)) || json.Valid([]byte(over)) {
			t.Errorf("%s: %d levels accepted (encoding/json: %v)", tc.name, maxDepth+1, json.Valid([]byte(over)))
		}
	}
}

// spec: W6 — Phoenix accepts a sixth element and ignores it; so do we.
func TestSixElements(t *testing.T) {
	data := []byte(`["1","1","chat:mal6","phx_join",{"user":"m4"},"extra"]`)
	env, err := SplitText(data)
	if err != nil || env.Extra != 1 {
		t.Fatalf("SplitText: %+v %v", env, err)
	}
	f, err := DecodeText(data)
	if err != nil || f.Event != EventJoin || string(f.Payload) != `{"user":"m4"}` {
		t.Fatalf("DecodeText: %+v %v", f, err)
	}
	if _, err := SplitText([]byte(`["1","1","t","e",{},"x",]`)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("trailing comma after extra element: %v", err)
	}
}

// spec: W2, W6 — non-object payloads are frames like any other.
func TestNonObjectPayloads(t *testing.T) {
	for _, p := range []string{`"notamap"`, `[1,2,3]`, `null`, `42`, `true`, `"just a string"`} {
		f, err := DecodeText([]byte(`["1","2","room:x","echo",` + p + `]`))
		if err != nil || string(f.Payload) != p {
			t.Errorf("payload %s: %+v %v", p, f, err)
		}
	}
}
