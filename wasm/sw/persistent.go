//go:build js && wasm

package main

import (
	"bytes"
	"fmt"
	"log"
	"net/http"
	"syscall/js"
)

// rawJSBodyWriter is implemented by syumai/workers' ResponseWriter (internal/jshttp, v0.32.0): a body set with
// WriteRawJSBody becomes the JavaScript Response's body as is, instead of a stream read from a Go pipe.
type rawJSBodyWriter interface {
	WriteRawJSBody(body js.Value)
}

// internalErrorBody is what the bridge's JavaScript caller sees when a handler panicked: the error shape of
// bridge/PROTOCOL.md, with the name Chromium uses for an unknown internal failure (PROTOCOLS.md §3.1).
const internalErrorBody = `{"error":{"name":"NotReadableError","u2fCode":1,"message":"internal error in the bridge"}}`

// servePersistently adapts h so that one Go instance can serve any number of requests.
//
// syumai/workers v0.32.0 closes a package-level "done" channel when a response body stream is closed (that is,
// read to the end), which ends workers.Serve after the first request, and a second close would panic. The
// wrapper runs h into a buffer and hands the whole body over as a raw JavaScript Uint8Array (rawJSBodyWriter),
// so the Go pipe behind the default body is never read or closed and the instance stays up. Bridge answers are
// small JSON documents, so buffering costs nothing worth measuring.
//
// A panic in h answers 500 with internalErrorBody instead of ending the instance (and with it every request in
// flight). Only the route is logged: request bodies may hold passphrases or recovery phrases.
func servePersistently(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := w.(rawJSBodyWriter)
		if !ok {
			// Not syumai/workers' writer: nothing to adapt (the instance then ends after this request and the
			// JavaScript host starts another).
			h.ServeHTTP(w, r)
			return
		}
		buf := newBufferedResponse()
		serveRecovering(h, buf, r)
		for k, v := range buf.header {
			w.Header()[k] = v
		}
		w.WriteHeader(buf.status)
		body := js.Global().Get("Uint8Array").New(buf.body.Len())
		js.CopyBytesToJS(body, buf.body.Bytes())
		raw.WriteRawJSBody(body)
	})
}

// serveRecovering runs h, turning a panic into a 500 answer in the bridge's error shape.
func serveRecovering(h http.Handler, buf *bufferedResponse, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			log.Printf("twinkey: bridge handler panicked on %s (%T)", r.URL.Path, v)
			buf.reset()
			buf.header.Set("Content-Type", "application/json")
			buf.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(&buf.body, internalErrorBody)
		}
	}()
	h.ServeHTTP(buf, r)
}

// bufferedResponse is an http.ResponseWriter that keeps the whole answer in memory.
type bufferedResponse struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func newBufferedResponse() *bufferedResponse {
	return &bufferedResponse{header: http.Header{}, status: http.StatusOK}
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.wroteHeader {
		return
	}
	b.status, b.wroteHeader = status, true
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.wroteHeader = true
	return b.body.Write(p)
}

func (b *bufferedResponse) reset() {
	b.header = http.Header{}
	b.status, b.wroteHeader = http.StatusOK, false
	b.body.Reset()
}
