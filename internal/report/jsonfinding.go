package report

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/rampart-sec/rampart/internal/finding"
	"github.com/rampart-sec/rampart/internal/jsonstr"
)

// appendFinding appends f as encoding/json would with SetEscapeHTML(false)
// and SetIndent("    ", "  "), without reflection: a large scan writes a
// hundred thousand findings and reflection-based encoding was most of the
// report's cost. TestAppendFindingMatchesEncodingJSON keeps the two equal,
// field for field, so a field added to finding.Finding must be added here.
func appendFinding(b []byte, f *finding.Finding) []byte {
	const in1, in2, in3 = "\n      ", "\n        ", "\n      }"
	b = append(b, '{')
	b = appendKey(b, in1, "rule_id", true)
	b = appendString(b, f.RuleID)
	b = appendKey(b, in1, "kind", false)
	b = appendString(b, string(f.Kind))
	b = appendKey(b, in1, "severity", false)
	b = appendString(b, f.Severity.String())
	if f.Layer != "" {
		b = appendKey(b, in1, "layer", false)
		b = appendString(b, string(f.Layer))
	}
	b = appendKey(b, in1, "title", false)
	b = appendString(b, f.Title)
	b = appendKey(b, in1, "message", false)
	b = appendString(b, f.Message)
	b = appendOptional(b, in1, "description", f.Description)
	b = appendOptional(b, in1, "remediation", f.Remediation)
	b = appendKey(b, in1, "controls", false)
	b = appendStrings(b, f.Controls, in2, "\n      ]")
	if len(f.References) > 0 {
		b = appendKey(b, in1, "references", false)
		b = appendStrings(b, f.References, in2, "\n      ]")
	}
	if f.Resource != nil {
		b = appendKey(b, in1, "resource", false)
		b = append(b, '{')
		first := true
		for _, kv := range [...][2]string{{"kind", f.Resource.Kind}, {"namespace", f.Resource.Namespace}, {"name", f.Resource.Name}} {
			if kv[1] != "" {
				b = appendKey(b, in2, kv[0], first)
				b = appendString(b, kv[1])
				first = false
			}
		}
		if first {
			b = append(b, '}')
		} else {
			b = append(b, in3...)
		}
	}
	b = appendKey(b, in1, "location", false)
	b = append(b, '{')
	b = appendKey(b, in2, "path", true)
	b = appendString(b, f.Location.Path)
	if f.Location.StartLine != 0 {
		b = appendKey(b, in2, "start_line", false)
		b = strconv.AppendInt(b, int64(f.Location.StartLine), 10)
	}
	if f.Location.EndLine != 0 {
		b = appendKey(b, in2, "end_line", false)
		b = strconv.AppendInt(b, int64(f.Location.EndLine), 10)
	}
	b = appendOptional(b, in2, "field", f.Location.Field)
	b = append(b, in3...)
	b = appendKey(b, in1, "fingerprint", false)
	b = appendString(b, f.Fingerprint)
	if f.Suppressed {
		b = appendKey(b, in1, "suppressed", false)
		b = append(b, "true"...)
	}
	if s := f.Suppression; s != nil {
		b = appendKey(b, in1, "suppression", false)
		b = append(b, '{')
		b = appendKey(b, in2, "source", true)
		b = appendString(b, s.Source)
		b = appendOptional(b, in2, "reason", s.Reason)
		b = appendOptional(b, in2, "expires", s.Expires)
		b = append(b, in3...)
	}
	if len(f.Aliases) > 0 {
		b = appendKey(b, in1, "aliases", false)
		b = appendStrings(b, f.Aliases, in2, "\n      ]")
	}
	// The nested objects of vulnerabilities, secrets and events are rare
	// next to misconfigurations; encoding/json writes them.
	if f.Package != nil {
		b = appendJSON(appendKey(b, in1, "package", false), f.Package)
	}
	if f.Secret != nil {
		b = appendJSON(appendKey(b, in1, "secret", false), f.Secret)
	}
	if f.Traffic != nil {
		b = appendJSON(appendKey(b, in1, "traffic", false), f.Traffic)
	}
	if !f.Time.IsZero() {
		b = appendJSON(appendKey(b, in1, "time", false), f.Time)
	}
	return append(b, "\n    }"...)
}

// appendJSON writes v with encoding/json at the indentation of a finding's
// fields.
func appendJSON(b []byte, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("      ", "  ")
	if err := enc.Encode(v); err != nil {
		// Only a time outside years 0-9999 fails; write it as null
		// rather than break the document.
		return append(b, "null"...)
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// appendOptional writes a string field tagged omitempty, never the first
// field of its object.
func appendOptional(b []byte, indent, key, value string) []byte {
	if value == "" {
		return b
	}
	return appendString(appendKey(b, indent, key, false), value)
}

func appendKey(b []byte, indent, key string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, indent...)
	b = append(b, '"')
	b = append(b, key...)
	return append(b, `": `...)
}

// appendStrings writes a list: null when nil, [] when empty.
func appendStrings(b []byte, ss []string, indent, closing string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	if len(ss) == 0 {
		return append(b, "[]"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, indent...)
		b = appendString(b, s)
	}
	return append(b, closing...)
}

// appendString quotes s as encoding/json does without HTML escaping, but
// for \b and \f, written as \u0008 and \u000c (jsonstr.Append).
func appendString(b []byte, s string) []byte { return jsonstr.Append(b, s) }
