package main

import (
	"bytes"
	"io"
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

func TestPresenceStripsClientApprovals(t *testing.T) {
	var seen string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = string(b)
	})
	body := `{"origin":"https://a.example","approval":{"userPresent":true}}`
	presence(h, false).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/v1/webauthn/get", strings.NewReader(body)))
	if strings.Contains(seen, "approval") {
		t.Fatalf("client approval passed through: %s", seen)
	}
	presence(h, true).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/v1/webauthn/get", strings.NewReader(`{"origin":"x"}`)))
	if !strings.Contains(seen, `"userPresent":true`) {
		t.Fatalf("auto-approve did not approve: %s", seen)
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
