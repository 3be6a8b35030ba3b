package waf

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/corazawaf/coraza/v3/types"
)

// inspectingWriter holds a response back until Coraza's response phases have
// seen it, so that a response rule can still replace it with a 403. It is only
// used when inspect_response is on. Bodies of a type Coraza does not inspect
// stream straight through; inspected bodies are buffered up to
// responseBodyLimit, and a longer body is judged on that prefix, then streamed
// (Coraza's ProcessPartial).
type inspectingWriter struct {
	rw     http.ResponseWriter
	tx     types.Transaction
	proto  string
	header http.Header

	status      int
	wroteHeader bool // upstream called WriteHeader or Write
	passthrough bool // body is not inspected: write through
	committed   bool // headers went to the client
	blocked     *types.Interruption
	buf         bytes.Buffer
	err         error
}

func (iw *inspectingWriter) Header() http.Header { return iw.header }

// Unwrap lets http.ResponseController reach the real writer.
func (iw *inspectingWriter) Unwrap() http.ResponseWriter { return iw.rw }

func (iw *inspectingWriter) WriteHeader(status int) {
	if iw.wroteHeader {
		return
	}
	if status >= 100 && status < 200 {
		// Informational responses go out as they are; they carry no body.
		copyHeader(iw.rw.Header(), iw.header)
		iw.rw.WriteHeader(status)
		return
	}
	iw.wroteHeader = true
	iw.status = status
	for k, vs := range iw.header {
		for _, v := range vs {
			iw.tx.AddResponseHeader(k, v)
		}
	}
	if it := iw.tx.ProcessResponseHeaders(status, iw.proto); it != nil {
		iw.blocked = it
		return
	}
	if !iw.tx.IsResponseBodyProcessable() {
		iw.passthrough = true
		iw.commit()
	}
}

func (iw *inspectingWriter) Write(p []byte) (int, error) {
	if !iw.wroteHeader {
		iw.WriteHeader(http.StatusOK)
	}
	switch {
	case iw.blocked != nil || iw.err != nil:
		return len(p), nil // discarded: the client gets the block page
	case iw.passthrough:
		return iw.rw.Write(p)
	}
	room := responseBodyLimit - iw.buf.Len()
	if len(p) <= room {
		return iw.buf.Write(p)
	}
	iw.buf.Write(p[:room])
	// Limit reached: judge the prefix now, then stream.
	if it, err := iw.judge(); err != nil || it != nil {
		iw.blocked, iw.err = it, err
		return len(p), nil
	}
	iw.passthrough = true
	iw.commit()
	if _, err := iw.rw.Write(iw.buf.Bytes()); err != nil {
		return 0, err
	}
	iw.buf.Reset()
	return iw.rw.Write(p[room:])
}

// Flush commits what is buffered only for pass-through bodies; an inspected
// body cannot be flushed before it is judged.
func (iw *inspectingWriter) Flush() {
	if iw.passthrough {
		if f, ok := iw.rw.(http.Flusher); ok {
			f.Flush()
		}
	}
}

func (iw *inspectingWriter) judge() (*types.Interruption, error) {
	if it, _, err := iw.tx.WriteResponseBody(iw.buf.Bytes()); err != nil {
		return nil, fmt.Errorf("%w: buffer response body: %w", ErrInternal, err)
	} else if it != nil {
		return it, nil
	}
	it, err := iw.tx.ProcessResponseBody()
	if err != nil {
		return nil, fmt.Errorf("%w: process response body: %w", ErrInternal, err)
	}
	return it, nil
}

func (iw *inspectingWriter) commit() {
	if iw.committed {
		return
	}
	iw.committed = true
	copyHeader(iw.rw.Header(), iw.header)
	iw.rw.WriteHeader(iw.status)
}

// finish runs after the upstream returned. It returns an interruption or an
// error only while nothing has been sent, so the caller can still answer.
func (iw *inspectingWriter) finish() (*types.Interruption, error) {
	if !iw.wroteHeader {
		iw.WriteHeader(http.StatusOK)
	}
	if iw.err != nil || iw.blocked != nil {
		return iw.blocked, iw.err
	}
	if iw.passthrough {
		return nil, nil
	}
	it, err := iw.judge()
	if err != nil || it != nil {
		return it, err
	}
	iw.commit()
	if _, err := iw.rw.Write(iw.buf.Bytes()); err != nil {
		return nil, fmt.Errorf("write response: %w", err)
	}
	return nil, nil
}

// flushUninspected sends what the upstream wrote, unjudged (fail_open).
func (iw *inspectingWriter) flushUninspected() error {
	iw.status = max(iw.status, http.StatusOK)
	iw.commit()
	if _, err := iw.rw.Write(iw.buf.Bytes()); err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return nil
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		dst[k] = append(dst[k][:0:0], vs...)
	}
}
