package supervisor

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// A fast path for the most common payload shape: a JSON object decoded into
// a flat struct of strings, bools, integers and floats (an event such as
// {"body":"...","i":42}). encoding/json spends most of an event's budget
// on such a payload (validation pass, reflection per field). The fast path
// decodes it in one validating pass with a per-type plan; whenever it meets
// anything it does not handle exactly as encoding/json would (an escape in
// a string, invalid UTF-8, a key that only matches a field case-insensitively,
// a value of the wrong type, malformed JSON, ...) it gives up and the payload
// is decoded again from scratch by encoding/json. Results are therefore the
// same as json.Unmarshal's, error or not.

// fastPlan says how to decode a struct type, or that the type does not
// qualify (nil plan).
type fastPlan struct {
	fields []fastField
}

type fastField struct {
	name string // JSON key
	kind reflect.Kind
	off  uintptr
}

// fastMaxSkipDepth bounds the nesting of skipped values (deeper: encoding/json).
const fastMaxSkipDepth = 64

var (
	fastPlans        sync.Map // reflect.Type -> *fastPlan (nil: not eligible)
	jsonUnmarshalerT = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerT = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// planFor returns t's plan, building it once; nil when t does not qualify.
func planFor(t reflect.Type) *fastPlan {
	if p, ok := fastPlans.Load(t); ok {
		return p.(*fastPlan)
	}
	p := buildPlan(t)
	fastPlans.Store(t, p)
	return p
}

func customUnmarshal(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshalerT) || pt.Implements(jsonUnmarshalerT) ||
		t.Implements(textUnmarshalerT) || pt.Implements(textUnmarshalerT)
}

func buildPlan(t reflect.Type) *fastPlan {
	if t.Kind() != reflect.Struct || customUnmarshal(t) {
		return nil
	}
	p := &fastPlan{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return nil // embedded fields follow promotion rules: not here
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if opts != "" && opts != "omitempty" && opts != "omitzero" {
			return nil // ",string" and friends
		}
		if name == "" {
			name = f.Name
		}
		if !plainName(name) {
			return nil
		}
		switch f.Type.Kind() {
		case reflect.String, reflect.Bool,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
			reflect.Float32, reflect.Float64:
		default:
			return nil
		}
		if customUnmarshal(f.Type) {
			return nil
		}
		for _, g := range p.fields {
			if strings.EqualFold(g.name, name) {
				return nil // same or case-folded duplicate names: encoding/json's rules
			}
		}
		p.fields = append(p.fields, fastField{name: name, kind: f.Type.Kind(), off: f.Offset})
	}
	return p
}

// plainName: letters, digits and underscores only (any other tag name is
// left to encoding/json's own validity rules).
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// decode decodes data into *dst (a struct of p's type) and reports
// whether it could; on false, *dst may be partly written and must be
// discarded.
func (p *fastPlan) decode(data []byte, dst unsafe.Pointer) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return false
		}
		ks, ke, ok := plainString(data, i)
		if !ok {
			return false
		}
		key := data[ks:ke]
		i = skipSpace(data, ke+1)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		f := p.field(key)
		if f == nil {
			if p.folds(key) {
				return false
			}
			if i, ok = skipValue(data, i, 0); !ok {
				return false
			}
		} else if i, ok = f.set(data, i, dst); !ok {
			return false
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

func (p *fastPlan) field(key []byte) *fastField {
	for k := range p.fields {
		if p.fields[k].name == string(key) {
			return &p.fields[k]
		}
	}
	return nil
}

// folds: key matches a field only case-insensitively (encoding/json would
// use that field).
func (p *fastPlan) folds(key []byte) bool {
	for k := range p.fields {
		if strings.EqualFold(p.fields[k].name, string(key)) {
			return true
		}
	}
	return false
}

// set decodes the value at data[i:] into the field; it returns the index
// after the value.
func (f *fastField) set(data []byte, i int, dst unsafe.Pointer) (int, bool) {
	if i >= len(data) {
		return i, false
	}
	if data[i] == 'n' { // null leaves the field as it is
		return literal(data, i, "null")
	}
	ptr := unsafe.Add(dst, f.off)
	switch f.kind {
	case reflect.String:
		if data[i] != '"' {
			return i, false
		}
		s, e, ok := plainString(data, i)
		if !ok || !utf8.Valid(data[s:e]) {
			return i, false
		}
		*(*string)(ptr) = string(data[s:e])
		return e + 1, true
	case reflect.Bool:
		switch data[i] {
		case 't':
			*(*bool)(ptr) = true
			return literal(data, i, "true")
		case 'f':
			*(*bool)(ptr) = false
			return literal(data, i, "false")
		}
		return i, false
	}
	e, isInt, ok := number(data, i)
	if !ok {
		return i, false
	}
	lit := unsafe.String(&data[i], e-i)
	switch f.kind {
	case reflect.Float32, reflect.Float64:
		bits := 64
		if f.kind == reflect.Float32 {
			bits = 32
		}
		v, err := strconv.ParseFloat(lit, bits)
		if err != nil {
			return i, false
		}
		if bits == 32 {
			*(*float32)(ptr) = float32(v)
		} else {
			*(*float64)(ptr) = v
		}
		return e, true
	}
	if !isInt {
		return i, false
	}
	switch f.kind {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := intBits(f.kind)
		v, err := strconv.ParseInt(lit, 10, bits)
		if err != nil {
			return i, false
		}
		switch bits {
		case 8:
			*(*int8)(ptr) = int8(v)
		case 16:
			*(*int16)(ptr) = int16(v)
		case 32:
			*(*int32)(ptr) = int32(v)
		default:
			*(*int64)(ptr) = v
		}
	default:
		bits := intBits(f.kind)
		v, err := strconv.ParseUint(lit, 10, bits)
		if err != nil {
			return i, false
		}
		switch bits {
		case 8:
			*(*uint8)(ptr) = uint8(v)
		case 16:
			*(*uint16)(ptr) = uint16(v)
		case 32:
			*(*uint32)(ptr) = uint32(v)
		default:
			*(*uint64)(ptr) = v
		}
	}
	return e, true
}

func intBits(k reflect.Kind) int {
	switch k {
	case reflect.Int8, reflect.Uint8:
		return 8
	case reflect.Int16, reflect.Uint16:
		return 16
	case reflect.Int32, reflect.Uint32:
		return 32
	case reflect.Int, reflect.Uint, reflect.Uintptr:
		return strconv.IntSize
	}
	return 64
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// plainString scans the string starting at data[i] == '"' and returns its
// contents' bounds; false when it has an escape or a control character, or
// does not end.
func plainString(data []byte, i int) (start, end int, ok bool) {
	start = i + 1
	for j := start; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return start, j, true
		case c == '\\' || c < 0x20:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

func literal(data []byte, i int, lit string) (int, bool) {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// number scans a JSON number at data[i:] (RFC 8259 grammar) and returns the
// index after it and whether it has neither fraction nor exponent.
func number(data []byte, i int) (end int, isInt, ok bool) {
	j := i
	if j < len(data) && data[j] == '-' {
		j++
	}
	switch {
	case j < len(data) && data[j] == '0':
		j++
	case j < len(data) && data[j] >= '1' && data[j] <= '9':
		for j < len(data) && data[j] >= '0' && data[j] <= '9' {
			j++
		}
	default:
		return i, false, false
	}
	isInt = true
	if j < len(data) && data[j] == '.' {
		isInt = false
		j++
		k := j
		for j < len(data) && data[j] >= '0' && data[j] <= '9' {
			j++
		}
		if j == k {
			return i, false, false
		}
	}
	if j < len(data) && (data[j] == 'e' || data[j] == 'E') {
		isInt = false
		j++
		if j < len(data) && (data[j] == '+' || data[j] == '-') {
			j++
		}
		k := j
		for j < len(data) && data[j] >= '0' && data[j] <= '9' {
			j++
		}
		if j == k {
			return i, false, false
		}
	}
	return j, isInt, true
}

// skipValue validates and skips the JSON value at data[i:].
func skipValue(data []byte, i, depth int) (int, bool) {
	if i >= len(data) || depth > fastMaxSkipDepth {
		return i, false
	}
	switch c := data[i]; {
	case c == '"':
		return skipString(data, i)
	case c == 't':
		return literal(data, i, "true")
	case c == 'f':
		return literal(data, i, "false")
	case c == 'n':
		return literal(data, i, "null")
	case c == '-' || c >= '0' && c <= '9':
		e, _, ok := number(data, i)
		return e, ok
	case c == '[' || c == '{':
		closer := byte(']')
		if c == '{' {
			closer = '}'
		}
		i = skipSpace(data, i+1)
		if i < len(data) && data[i] == closer {
			return i + 1, true
		}
		for {
			var ok bool
			if c == '{' {
				if i >= len(data) || data[i] != '"' {
					return i, false
				}
				if i, ok = skipString(data, i); !ok {
					return i, false
				}
				i = skipSpace(data, i)
				if i >= len(data) || data[i] != ':' {
					return i, false
				}
				i = skipSpace(data, i+1)
			}
			if i, ok = skipValue(data, i, depth+1); !ok {
				return i, false
			}
			i = skipSpace(data, i)
			if i >= len(data) {
				return i, false
			}
			if data[i] == closer {
				return i + 1, true
			}
			if data[i] != ',' {
				return i, false
			}
			i = skipSpace(data, i+1)
		}
	}
	return i, false
}

// skipString validates and skips the string at data[i] == '"' (escapes
// included; encoding/json accepts any byte >= 0x20 in a string).
func skipString(data []byte, i int) (int, bool) {
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return j + 1, true
		case c < 0x20:
			return j, false
		case c == '\\':
			j++
			if j >= len(data) {
				return j, false
			}
			switch data[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(data)-j < 5 {
					return j, false
				}
				for _, h := range data[j+1 : j+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return j, false
					}
				}
				j += 4
			default:
				return j, false
			}
		}
	}
	return len(data), false
}
