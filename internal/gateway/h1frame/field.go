package h1frame

import (
	"bytes"

	"golang.org/x/net/http/httpguts"
)

// FieldLine splits a header field line (without its CRLF) into name and
// value, checking it as strictly as the gateway checks what it forwards:
// no obs-fold continuation, a colon after a non-empty name of token
// characters, no control character in the value but tab. why is "" for
// a good line, else what is wrong: "obs-fold", "header line", "header
// name" or "header value". Requests (checkH1) and upstream responses
// (proxy.AppendResponseHead) are both checked with it.
func FieldLine(l []byte) (name, value []byte, why string) {
	if len(l) > 0 && (l[0] == ' ' || l[0] == '\t') {
		return nil, nil, "obs-fold"
	}
	colon := bytes.IndexByte(l, ':')
	if colon <= 0 {
		return nil, nil, "header line"
	}
	name, value = l[:colon], l[colon+1:]
	for _, c := range name {
		if !httpguts.IsTokenRune(rune(c)) {
			return nil, nil, "header name"
		}
	}
	for _, c := range value {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return nil, nil, "header value"
		}
	}
	return name, value, ""
}
