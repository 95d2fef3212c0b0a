package protocol

import (
	"encoding/binary"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of JSON values the scanner accepts.
const maxDepth = 10000

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanValue returns the end offset of the JSON value starting at b[i]. It
// checks the JSON grammar (so the payload handed on is valid JSON) without
// building anything. It does not recurse: nesting is tracked in a byte stack
// (on the Go stack up to 64 levels), bounded by maxDepth.
func scanValue(b []byte, i int) (int, *DecodeError) {
	return scanNested(b, i, maxDepth)
}

// scanNested is scanValue for a value that may nest at most limit levels
// (a value inside an array is one level down already).
func scanNested(b []byte, i int, limit int) (int, *DecodeError) {
	// stack of open container kinds: '[' or '{'
	var buf [64]byte
	stack := buf[:0]
	for {
		// A value is expected at b[i].
		i = skipWS(b, i)
		if i >= len(b) {
			return i, malformed("json", i, "unexpected end of input")
		}
		switch c := b[i]; {
		case c == '{' || c == '[':
			if len(stack) >= limit {
				return i, malformed("json", i, "nesting too deep")
			}
			i = skipWS(b, i+1)
			if i < len(b) && b[i] == c+2 { // ']' is '['+2, '}' is '{'+2
				i++
				break // empty container: a complete value
			}
			stack = append(stack, c)
			if c == '{' {
				var err *DecodeError
				if i, err = scanKey(b, i); err != nil {
					return i, err
				}
			}
			continue
		case c == '"':
			end, err := scanString(b, i)
			if err != nil {
				return end, err
			}
			i = end
		case c == '-' || (c >= '0' && c <= '9'):
			end, err := scanNumber(b, i)
			if err != nil {
				return end, err
			}
			i = end
		case c == 't':
			if !hasLiteral(b, i, "true") {
				return i, malformed("json", i, "invalid literal")
			}
			i += 4
		case c == 'f':
			if !hasLiteral(b, i, "false") {
				return i, malformed("json", i, "invalid literal")
			}
			i += 5
		case c == 'n':
			if !hasLiteral(b, i, "null") {
				return i, malformed("json", i, "invalid literal")
			}
			i += 4
		default:
			return i, malformed("json", i, "unexpected character "+strconv.QuoteRune(rune(c)))
		}
		// A value ended at i: close containers until a ',' asks for the next.
		for {
			if len(stack) == 0 {
				return i, nil
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, malformed("json", i, "unexpected end of input")
			}
			top := stack[len(stack)-1]
			if b[i] == top+2 {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if b[i] != ',' {
				return i, malformed("json", i, "expected , or end of container")
			}
			i++
			if top == '{' {
				var err *DecodeError
				if i, err = scanKey(b, i); err != nil {
					return i, err
				}
			}
			break
		}
	}
}

// scanKey reads `"key" :` and returns the offset after the colon.
func scanKey(b []byte, i int) (int, *DecodeError) {
	i = skipWS(b, i)
	if i >= len(b) || b[i] != '"' {
		return i, malformed("json", i, "expected object key")
	}
	end, err := scanString(b, i)
	if err != nil {
		return end, err
	}
	i = skipWS(b, end)
	if i >= len(b) || b[i] != ':' {
		return i, malformed("json", i, "expected :")
	}
	return i + 1, nil
}

func hasLiteral(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// scanString returns the offset just after the closing quote of the string
// that starts at b[i] == '"'.
func scanString(b []byte, i int) (int, *DecodeError) {
	i++
	for i < len(b) {
		// Skip eight plain bytes at a time: most of a payload is plain text.
		for len(b)-i >= 8 && plainWord(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(b) {
				return i, malformed("json", i, "unterminated escape")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return i, malformed("json", i, "short unicode escape")
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return i, malformed("json", i, "bad unicode escape")
					}
				}
				i += 6
			default:
				return i, malformed("json", i, "bad escape")
			}
		case c < 0x20:
			return i, malformed("json", i, "control character in string")
		default:
			i++
		}
	}
	return i, malformed("json", i, "unterminated string")
}

// plainWord reports whether none of the eight bytes in x is a quote, a
// backslash or a control character (SWAR: a byte test is exact when no lower
// byte matches, so "none" is never wrong).
func plainWord(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	m := ((q - ones) &^ q) | ((bs - ones) &^ bs) | ((x - ones*0x20) &^ x)
	return m&highs == 0
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func scanNumber(b []byte, i int) (int, *DecodeError) {
	start := i
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, malformed("json", start, "bad number")
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, malformed("json", start, "bad number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, malformed("json", start, "bad number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, malformed("json", start, "bad number")
		}
	}
	return i, nil
}

// unquote decodes a JSON string literal (with its quotes) that scanString
// accepted.
func unquote(s []byte) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	s = s[1 : len(s)-1]
	if !needsUnquote(s) {
		if w, ok := wellKnown(s); ok {
			return w, true
		}
		return string(s), true
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			out = utf8.AppendRune(out, r) // invalid UTF-8 becomes U+FFFD, as encoding/json does
			i += size
			continue
		}
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", false
		}
		switch s[i+1] {
		case '"', '\\', '/':
			out = append(out, s[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				return "", false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok2 := hex4(s, i+2); ok2 && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return string(out), true
}

// needsUnquote reports whether the body of a string literal has escapes or
// non-ASCII bytes (which may be invalid UTF-8, read as U+FFFD).
func needsUnquote(s []byte) bool {
	for _, c := range s {
		if c == '\\' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s[i:i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

// appendQuoted appends s as a JSON string literal.
func appendQuoted(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
