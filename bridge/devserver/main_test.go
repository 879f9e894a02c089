package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:8790": true, "[::1]:1": true, "localhost:80": true,
		"0.0.0.0:8790": false, "10.0.0.1:80": false, ":8790": false, "example.com:80": false,
	} {
		if err := checkLoopback(addr); (err == nil) != ok {
			t.Errorf("%s: %v", addr, err)
		}
	}
}

func TestPresenceRefusesApprovals(t *testing.T) {
	reached := false
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true })
	rec := httptest.NewRecorder()
	presence(h, false).ServeHTTP(rec, httptest.NewRequest("POST", approveRoute, strings.NewReader(`{"ceremony":"c-x"}`)))
	if reached || rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "NotAllowedError") {
		t.Fatalf("an approval reached the bridge without a person: %d %s", rec.Code, rec.Body)
	}
	presence(h, false).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/v1/ceremony/decide", strings.NewReader(`{}`)))
	if !reached {
		t.Fatal("decide was blocked")
	}
	reached = false
	presence(h, true).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", approveRoute, strings.NewReader(`{}`)))
	if !reached {
		t.Fatal("auto-approve did not let the approval through")
	}
}

func TestDirStorage(t *testing.T) {
	d := dirStorage(t.TempDir())
	ctx := t.Context()
	if v, err := d.Get(ctx, "vault"); v != nil || err != nil {
		t.Fatal(v, err)
	}
	d.Set(ctx, "vault", []byte("x"))
	if v, _ := d.Get(ctx, "vault"); !bytes.Equal(v, []byte("x")) {
		t.Fatal(v)
	}
	if err := d.Set(ctx, "../escape", nil); err == nil {
		t.Fatal("path traversal accepted")
	}
	d.Delete(ctx, "vault")
	if v, _ := d.Get(ctx, "vault"); v != nil {
		t.Fatal("not deleted")
	}
}
