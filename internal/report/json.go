package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

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
	var elem bytes.Buffer
	for i, f := range r.Findings {
		elem.Reset()
		if err := encode(&elem, f, "    ", "  "); err != nil {
			return fmt.Errorf("encode finding %s: %w", f.RuleID, err)
		}
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n    ")
		bw.Write(bytes.TrimSuffix(elem.Bytes(), []byte("\n")))
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
