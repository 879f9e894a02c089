package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestServeRecoveringAnswersPanicsInTheBridgeErrorShape(t *testing.T) {
	buf := newBufferedResponse()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Partial", "1")
		io.WriteString(w, `{"half":`)
		panic("boom")
	})
	serveRecovering(h, buf, httptest.NewRequest(http.MethodPost, "/v1/webauthn/get", nil))
	if buf.status != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", buf.status)
	}
	if got := buf.body.String(); got != internalErrorBody {
		t.Errorf("body = %s, want %s (nothing of the partial answer)", got, internalErrorBody)
	}
	if buf.header.Get("X-Partial") != "" || buf.header.Get("Content-Type") != "application/json" {
		t.Errorf("header = %v", buf.header)
	}
}

func TestBufferedResponseStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
		want int
	}{
		{"write without header", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "{}") }, 200},
		{"first header wins", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(409); w.WriteHeader(500) }, 409},
		{"header after write ignored", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "{}"); w.WriteHeader(500) }, 200},
		{"nothing written", func(http.ResponseWriter, *http.Request) {}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := newBufferedResponse()
			serveRecovering(tc.h, buf, httptest.NewRequest(http.MethodPost, "/", nil))
			if buf.status != tc.want {
				t.Errorf("status = %d, want %d", buf.status, tc.want)
			}
		})
	}
}
