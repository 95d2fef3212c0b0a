package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// report is the JSON file a run writes (see README.md for the fields).
type report struct {
	Started   time.Time         `json:"started"`
	Mode      string            `json:"mode"` // "quick" or "full"
	DurationS float64           `json:"duration_s"`
	Machine   machineInfo       `json:"machine"`
	Server    string            `json:"server"`
	Clients   map[string]string `json:"clients"` // kind -> what it is (versions)
	Skipped   []string          `json:"skipped,omitempty"`
	Cases     []caseReport      `json:"cases"`
}

type machineInfo struct {
	CPUs      int    `json:"cpus"`
	Pinning   string `json:"pinning"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
}

type caseReport struct {
	benchCase
	Results map[string]*clientReport      `json:"results"` // by client kind
	Ratios  map[string]map[string]float64 `json:"ratios"`  // "ours/js", "ours/floor" -> metric -> ratio of medians
}

type clientReport struct {
	OK      bool               `json:"ok"`     // at least one run succeeded
	Median  map[string]float64 `json:"median"` // metric key -> median over successful runs
	Runs    []runRecord        `json:"runs"`
	Skipped string             `json:"skipped,omitempty"`
}

// finish computes medians and ratios.
func (c *caseReport) finish() {
	ms := metricsFor(c.Workload)
	for _, cr := range c.Results {
		cr.Median = medians(ms, cr.Runs)
		cr.OK = false
		for _, r := range cr.Runs {
			cr.OK = cr.OK || r.OK
		}
	}
	c.Ratios = map[string]map[string]float64{}
	ours := c.Results["ours"]
	for _, other := range []string{"js", "floor"} {
		o := c.Results[other]
		if ours == nil || o == nil {
			continue
		}
		rat := map[string]float64{}
		for k, v := range ours.Median {
			if d, ok := o.Median[k]; ok && d != 0 {
				rat[k] = v / d
			}
		}
		c.Ratios["ours/"+other] = rat
	}
}

// writeJSON writes the report to path, creating its folder.
func (r *report) writeJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// columns of the table, in order.
var tableClients = []string{"ours", "js", "floor"}

// printTable writes the human-readable table.
func (r *report) printTable(w io.Writer) {
	fmt.Fprintf(w, "phx benchmark (%s), %s, %d CPUs; %s\n", r.Mode, r.Machine.GoVersion, r.Machine.CPUs, r.Machine.Pinning)
	fmt.Fprintf(w, "server: %s\n", r.Server)
	for _, k := range tableClients {
		if v, ok := r.Clients[k]; ok {
			fmt.Fprintf(w, "%-5s: %s\n", k, v)
		}
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "skipped: %s\n", s)
	}
	fmt.Fprintln(w, "figures: medians of the successful runs; CPU = user+sys of the client process in the measured phase")
	// Labels are padded to one width so that they read left-aligned in a
	// right-aligned table.
	width := 0
	for _, c := range r.Cases {
		width = max(width, len(c.ID)+2+len(c.Title))
		for _, m := range metricsFor(c.Workload) {
			width = max(width, 2+len([]rune(m.Label)))
		}
	}
	pad := func(s string) string { return s + strings.Repeat(" ", max(0, width-len([]rune(s)))) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for i := range r.Cases {
		c := &r.Cases[i]
		fmt.Fprintf(tw, "\t\t\t\t\t\t\n")
		fmt.Fprintf(tw, "%s\tours\tjs\tfloor\tours/js\tours/floor\t\n", pad(c.ID+": "+c.Title))
		for _, m := range metricsFor(c.Workload) {
			row := []string{pad("  " + m.Label)}
			for _, k := range tableClients {
				row = append(row, cell(c.Results[k], m))
			}
			for _, k := range []string{"ours/js", "ours/floor"} {
				row = append(row, ratioCell(c.Ratios[k], m.Key))
			}
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
	}
	_ = tw.Flush()
}

// cell formats one client's median of a metric, or why there is none.
func cell(cr *clientReport, m metric) string {
	switch {
	case cr == nil:
		return "-"
	case cr.Skipped != "":
		return "skipped"
	case !cr.OK:
		return failCell(cr)
	}
	v, ok := cr.Median[m.Key]
	if !ok {
		return "n/a"
	}
	return formatNum(v, m.Prec)
}

// failCell summarises a client that never succeeded: "FAIL 0/100000".
func failCell(cr *clientReport) string {
	if len(cr.Runs) == 0 {
		return "FAIL"
	}
	r := cr.Runs[len(cr.Runs)-1]
	return fmt.Sprintf("FAIL %d/%d", r.Count, r.N)
}

func ratioCell(rat map[string]float64, key string) string {
	v, ok := rat[key]
	if !ok || math.IsInf(v, 0) || math.IsNaN(v) {
		return "-"
	}
	return formatNum(v, 2) + "x"
}

// formatNum prints v with prec decimals and thousands separators.
func formatNum(v float64, prec int) string {
	s := fmt.Sprintf("%.*f", prec, v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, ch := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// failures lists the failed runs with their reasons, for the end of the table.
func (r *report) failures() []string {
	var out []string
	for _, c := range r.Cases {
		for _, k := range tableClients {
			cr := c.Results[k]
			if cr == nil {
				continue
			}
			for _, run := range cr.Runs {
				if !run.OK {
					out = append(out, fmt.Sprintf("%s %s run %d: %s", c.ID, k, run.Run, run.Error))
				}
			}
		}
	}
	return out
}
