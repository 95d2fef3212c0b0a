package protocol

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// transcriptDir is the repo copy of the wire transcripts captured from a real
// Phoenix 1.7.24 server (see INDEX.md there).
const transcriptDir = "../tests/phxtest/testdata/phoenix-wire"

// wireLine is one data-frame line of a transcript.
type wireLine struct {
	File     string
	Line     int
	Dir      string // "in" (server frame) or "out" (client frame)
	Frame    string // text frame, when Binary is false
	Binary   bool
	Bytes    []byte          // decoded frame_hex, when Binary
	Decoded  json.RawMessage // the transcript's "decoded" object, when Binary
	isV1File bool
}

// loadTranscripts reads every text and binary data frame of every transcript.
func loadTranscripts(tb testing.TB) []wireLine {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(transcriptDir, "*.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < 20 {
		tb.Fatalf("found only %d transcripts in %s", len(files), transcriptDir)
	}
	var out []wireLine
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
		n := 0
		for sc.Scan() {
			n++
			var raw struct {
				Dir      string          `json:"dir"`
				Frame    *string         `json:"frame"`
				Opcode   string          `json:"opcode"`
				FrameHex string          `json:"frame_hex"`
				Decoded  json.RawMessage `json:"decoded"`
			}
			if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
				tb.Fatalf("%s:%d: %v", name, n, err)
			}
			wl := wireLine{File: filepath.Base(name), Line: n, Dir: raw.Dir, isV1File: filepath.Base(name) == "vsn1_serializer.jsonl"}
			switch {
			case raw.Opcode == "binary":
				b, err := hex.DecodeString(raw.FrameHex)
				if err != nil {
					tb.Fatalf("%s:%d: %v", name, n, err)
				}
				wl.Binary, wl.Bytes, wl.Decoded = true, b, raw.Decoded
			case raw.Frame != nil && raw.Opcode == "":
				wl.Frame = *raw.Frame
			default:
				continue
			}
			out = append(out, wl)
		}
		if err := sc.Err(); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		fh.Close()
	}
	return out
}

// jsonEqual reports whether a and b are the same JSON value (encoding/json is
// the oracle).
func jsonEqual(tb testing.TB, a, b []byte) bool {
	tb.Helper()
	read := func(data []byte) any {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber() // numbers compare as written, whatever their size
		var v any
		if err := d.Decode(&v); err != nil {
			tb.Fatalf("jsonEqual: %q: %v", data, err)
		}
		return v
	}
	return reflect.DeepEqual(read(a), read(b))
}

// stdlibV2Valid is an independent oracle for a vsn 2.0.0 frame: a JSON array
// of at least five elements whose refs are strings or null and whose topic
// and event are strings.
func stdlibV2Valid(frame []byte) bool {
	var elems []json.RawMessage
	if err := json.Unmarshal(frame, &elems); err != nil || len(elems) < 5 {
		return false
	}
	for i := range 4 {
		var v any
		if err := json.Unmarshal(elems[i], &v); err != nil {
			return false
		}
		switch v.(type) {
		case string:
		case nil:
			if i >= 2 || !bytes.Equal(elems[i], []byte("null")) {
				return false
			}
		default:
			return false
		}
	}
	return true
}
