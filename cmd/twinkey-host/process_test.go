package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/twinkey/twinkey/nativehost/host"
	"github.com/twinkey/twinkey/nativehost/messaging"
)

// TestRealProcess builds twinkey-host and runs it the way Chrome does: origin argument, frames on stdin, frames
// and nothing else on stdout, exit 0 at stdin EOF.
func TestRealProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "twinkey-host")
	build := exec.Command("go", "build", "-tags", "twinkeytest", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "chrome-extension://"+host.DefaultExtensionID+"/", "--parent-window=0")
	cmd.Env = append(os.Environ(), host.EnvSimulatedKey+"=1", host.EnvSimulatedKeyDir+"="+t.TempDir())
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// Requests go in while the port is open; the host answers each, then exits when stdin closes.
	stdin.Write(frames(t, `{"id":"1","type":"hello"}`,
		`{"id":"2","type":"u2f.register","params":{"appId":"https://example.com","clientDataHash":"`+
			b64(bytes.Repeat([]byte{1}, 32))+`"}}`).Bytes())
	got := map[string]messaging.Reply{}
	for len(got) < 2 {
		b, err := messaging.ReadFrame(stdout, messaging.MaxOutgoing)
		if err != nil {
			t.Fatalf("stdout is not frames: %v\nstderr: %s", err, stderr.String())
		}
		var r messaging.Reply
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("frame %q", b)
		}
		got[r.ID] = r
	}
	stdin.Close()
	if rest, _ := io.ReadAll(stdout); len(rest) != 0 {
		t.Fatalf("extra output after the replies: %q", rest)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("host did not exit at stdin EOF")
	}
	if got["1"].Type != "result" || got["2"].Type != "result" {
		t.Fatalf("replies %+v\nstderr: %s", got, stderr.String())
	}
}
