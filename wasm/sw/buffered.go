package main

import (
	"bytes"
	"fmt"
	"log"
	"net/http"
)

// internalErrorBody is what the bridge's JavaScript caller sees when a handler panicked: the error shape of
// bridge/PROTOCOL.md, with the name Chromium uses for an unknown internal failure (Blink credentials_container.cc
// AuthenticatorStatusToDOMException).
const internalErrorBody = `{"error":{"name":"NotReadableError","u2fCode":1,"message":"internal error in the bridge"}}`

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
