package protocol

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// trickyPieces are the parts random strings are built from: every control
// character, quote and backslash, HTML characters, invalid and truncated
// UTF-8, UTF-8-encoded surrogates, the JS line separators, and plain text.
var trickyPieces = func() []string {
	p := []string{`"`, `\`, `/`, "<", ">", "&", "\x7f", "\u2028", "\u2029", "\ufffd", "é", "😀", "日本",
		"\xff", "\xfe", "\x80", "\xc3", "\xe2\x80", "\xf0\x9f\x98", "\xed\xa0\x80", "\xed\xbf\xbf", "\xc0\xaf",
		"\xf4\x90\x80\x80", "abc", "chat:lobby", " ", "\\u0041", `\"`}
	for c := range 0x20 {
		p = append(p, string(rune(c)))
	}
	return p
}()

func randomString(r *rand.Rand) string {
	var sb strings.Builder
	for range r.IntN(12) {
		if r.IntN(4) == 0 {
			sb.WriteByte(byte(r.IntN(256)))
		} else {
			sb.WriteString(trickyPieces[r.IntN(len(trickyPieces))])
		}
	}
	return sb.String()
}

// spec: W2 — appendQuoted writes what encoding/json would: for any Go string
// (invalid UTF-8 included) the literal unquotes, with encoding/json and with
// our own unquote, to the string encoding/json's own literal gives.
func TestAppendQuotedMatchesStdlib(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	inputs := append([]string{""}, trickyPieces...)
	for range 20000 {
		inputs = append(inputs, randomString(r))
	}
	for _, s := range inputs {
		std, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var want string
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		ours := appendQuoted([]byte("x"), s)
		if ours[0] != 'x' {
			t.Fatal("dst not kept")
		}
		ours = ours[1:]
		var got string
		if err := json.Unmarshal(ours, &got); err != nil || got != want {
			t.Fatalf("appendQuoted(%q) = %s: encoding/json reads %q (%v), want %q", s, ours, got, err, want)
		}
		if end, err := scanString(ours, 0); err != nil || end != len(ours) {
			t.Fatalf("appendQuoted(%q) = %s: scanString %d, %v", s, ours, end, err)
		}
		if u, ok := unquote(ours); !ok || u != want {
			t.Fatalf("unquote(appendQuoted(%q)) = %q, %v; want %q", s, u, ok, want)
		}
		if u, ok := unquote(std); !ok || u != want {
			t.Fatalf("unquote(%s) = %q, %v; want %q (encoding/json's reading)", std, u, ok, want)
		}
		if !utf8.Valid(ours) || bytes.ContainsAny(ours, "\u2028\u2029") {
			t.Fatalf("appendQuoted(%q) = %q: not valid UTF-8 or raw line separator", s, ours)
		}
		if utf8.ValidString(s) && !strings.ContainsAny(s, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\"\\\u2028\u2029") {
			if string(ours) != `"`+s+`"` {
				t.Fatalf("appendQuoted(%q) = %s: escaped what needs no escape", s, ours)
			}
		}
	}
}

// spec: W2, W6 — our string scanner and unquote agree with encoding/json on
// arbitrary literals: the same ones accepted, decoded to the same string.
func TestUnquoteMatchesStdlib(t *testing.T) {
	escapes := []string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0041`, `\u00e9`, `\u2028`, `\ud83d\ude00`,
		`\ud83d`, `\ude00`, `\ud83d\u0041`, `\ud83d\ud83d\ude00`, `\uDBFF\uDFFF`, `\uffff`, `\u0000`, `\u12`, `\u12zz`,
		`\x`, `\'`, `\`, `\U0041`, `\ud800\\`, `\ud800\u`, `\ud800\u12`}
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		var sb strings.Builder
		sb.WriteByte('"')
		for range r.IntN(8) {
			switch r.IntN(3) {
			case 0:
				sb.WriteString(escapes[r.IntN(len(escapes))])
			case 1:
				sb.WriteString(trickyPieces[r.IntN(len(trickyPieces))])
			default:
				sb.WriteByte(byte(r.IntN(256)))
			}
		}
		sb.WriteByte('"')
		lit := []byte(sb.String())
		var want string
		stdErr := json.Unmarshal(lit, &want)
		end, scanErr := scanString(lit, 0)
		accepted := scanErr == nil && end == len(lit)
		if accepted != (stdErr == nil) {
			t.Fatalf("%q: we accept=%v, encoding/json err=%v", lit, accepted, stdErr)
		}
		if !accepted {
			continue
		}
		got, ok := unquote(lit)
		if !ok || got != want {
			t.Fatalf("unquote(%q) = %q, %v; encoding/json gives %q", lit, got, ok, want)
		}
	}
}

// spec: W6 — plainWord must never call a word plain when one of its bytes is a quote,
// a backslash or a control character, whatever the other bytes.
func TestPlainWord(t *testing.T) {
	plainByte := func(c byte) bool { return c >= 0x20 && c != '"' && c != '\\' }
	check := func(w [8]byte) {
		want := true
		for _, c := range w {
			want = want && plainByte(c)
		}
		x := uint64(0)
		for k := 7; k >= 0; k-- {
			x = x<<8 | uint64(w[k])
		}
		if got := plainWord(x); got != want {
			t.Fatalf("plainWord(% x) = %v, want %v", w, got, want)
		}
	}
	fill := []byte{'a', 0xff, 0x80, 0x20, 0x7f, '"' + 1, '\\' + 1, 0x21}
	for pos := range 8 {
		for c := range 256 {
			for _, f := range fill {
				var w [8]byte
				for k := range w {
					w[k] = f
				}
				w[pos] = byte(c)
				check(w)
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 200000 {
		var w [8]byte
		for k := range w {
			w[k] = byte(r.IntN(256))
			if r.IntN(3) > 0 {
				w[k] = byte(0x20 + r.IntN(0x60))
			}
		}
		check(w)
	}
}
