package phxtest

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// transcriptDir holds the frames captured from a real Phoenix 1.7.24 server.
const transcriptDir = "testdata/phoenix-wire"

// entry is one line of a transcript (see testdata/phoenix-wire/INDEX.md).
type entry struct {
	Line     int             `json:"-"`
	Dir      string          `json:"dir"` // "out" (client to server), "in", "event"
	MS       float64         `json:"ms"`
	Conn     string          `json:"conn"`
	Frame    *string         `json:"frame"`
	Opcode   string          `json:"opcode"`
	FrameHex string          `json:"frame_hex"`
	Event    string          `json:"event"`
	Detail   json.RawMessage `json:"detail"`
}

// at is when the entry happened, from the scenario's start.
func (e entry) at() time.Duration { return time.Duration(e.MS * float64(time.Millisecond)) }

// data returns the websocket message of a frame entry and whether it is binary.
func (e entry) data() ([]byte, bool, error) {
	if e.Opcode == "binary" {
		b, err := hex.DecodeString(e.FrameHex)
		return b, true, err
	}
	if e.Frame == nil {
		return nil, false, fmt.Errorf("line %d: frame entry without frame", e.Line)
	}
	return []byte(*e.Frame), false, nil
}

// Event details.
type (
	connectDetail struct {
		Status int    `json:"status"`
		URL    string `json:"url"`
	}
	handshakeDetail struct {
		Body   string `json:"body"`
		Error  string `json:"error"`
		Status int    `json:"status"`
		URL    string `json:"url"`
	}
	closeDetail struct {
		Code   int    `json:"code"`
		From   string `json:"from"`
		Reason string `json:"reason"`
	}
	httpDetail struct {
		Body   string `json:"body"`
		Method string `json:"method"`
		Path   string `json:"path"`
		Status int    `json:"status"`
	}
	shellDetail struct {
		Cmd    string  `json:"cmd"`
		TookMS float64 `json:"took_ms"`
	}
)

func (e entry) detail(v any) error {
	if err := json.Unmarshal(e.Detail, v); err != nil {
		return fmt.Errorf("line %d: %s detail: %w", e.Line, e.Event, err)
	}
	return nil
}

// loadTranscript reads testdata/phoenix-wire/<name>.jsonl.
func loadTranscript(name string) ([]entry, error) {
	raw, err := os.ReadFile(filepath.Join(transcriptDir, name+".jsonl"))
	if err != nil {
		return nil, err
	}
	var out []entry
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e entry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("%s.jsonl line %d: %w", name, n, err)
		}
		e.Line = n
		out = append(out, e)
	}
	return out, sc.Err()
}

// transcriptNames lists the transcripts in testdata/phoenix-wire.
func transcriptNames() ([]string, error) {
	files, err := filepath.Glob(filepath.Join(transcriptDir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, filepath.Base(f[:len(f)-len(".jsonl")]))
	}
	return names, nil
}
