package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"sync"

	"github.com/rampart-sec/rampart/internal/finding"
)

// findingsMarker is where the streamed findings go in the encoded report.
const findingsMarker = `"findings": []`

// writeJSON writes the report one finding at a time. A large scan has
// hundreds of thousands of findings; encoding the report in one piece would
// hold the whole document (and its growing buffer) in memory at once. The
// bytes are exactly those json.Encoder with a two-space indent produces.
func writeJSON(w io.Writer, r *Report) error {
	head := *r
	head.Findings = []finding.Finding{}
	var buf bytes.Buffer
	if err := encode(&buf, &head, "", "  "); err != nil {
		return err
	}
	before, after, ok := bytes.Cut(buf.Bytes(), []byte(findingsMarker))
	if !ok || len(r.Findings) == 0 {
		_, err := w.Write(buf.Bytes())
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(before)
	bw.WriteString(`"findings": [`)
	// Findings are encoded in parallel, a batch at a time, and written in
	// order: encoding is most of the cost of a large report, and a batch
	// bounds the memory it holds.
	const batch = 2048
	workers := runtime.GOMAXPROCS(0)
	encoded := make([][]byte, batch)
	for start := 0; start < len(r.Findings); start += batch {
		fs := r.Findings[start:min(start+batch, len(r.Findings))]
		var wg sync.WaitGroup
		for wk := range workers {
			wg.Go(func() {
				for i := wk; i < len(fs); i += workers {
					encoded[i] = appendFinding(encoded[i][:0], &fs[i])
				}
			})
		}
		wg.Wait()
		for i := range fs {
			if start+i > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n    ")
			bw.Write(encoded[i])
		}
	}
	bw.WriteString("\n  ]")
	bw.Write(after)
	return bw.Flush()
}

func encode(w io.Writer, v any, prefix, indent string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent(prefix, indent)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
