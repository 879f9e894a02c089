//go:build js && wasm

package main

import (
	"net/http"
	"syscall/js"
)

// rawJSBodyWriter is implemented by syumai/workers' ResponseWriter (internal/jshttp, v0.32.0): a body set with
// WriteRawJSBody becomes the JavaScript Response's body as is, instead of a stream read from a Go pipe.
type rawJSBodyWriter interface {
	WriteRawJSBody(body js.Value)
}

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
