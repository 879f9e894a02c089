package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinkey/twinkey/nativehost/host"
	"github.com/twinkey/twinkey/nativehost/messaging"
)

var builds sync.Map // tags -> *builtHost

type builtHost struct {
	once sync.Once
	path string
	err  error
}

// built compiles twinkey-host once per test binary: the release build (tags "") or a test build.
func built(t *testing.T, tags string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary (not in -short)")
	}
	v, _ := builds.LoadOrStore(tags, &builtHost{})
	b := v.(*builtHost)
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "twinkey-host-test")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "twinkey-host")
		cmd := exec.Command("go", "build", "-tags", tags, "-o", b.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = errors.New(string(out))
		}
	})
	if b.err != nil {
		t.Fatalf("go build -tags %q: %v", tags, b.err)
	}
	return b.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	builds.Range(func(_, v any) bool {
		if p := v.(*builtHost).path; p != "" {
			os.RemoveAll(filepath.Dir(p))
		}
		return true
	})
	os.Exit(code)
}

// proc is a twinkey-host process started the way Chrome starts it: origin argument, frames on real pipes.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.ReadCloser
	stderr *bytes.Buffer
	frames chan []byte
}

func startHost(t *testing.T, bin string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, "chrome-extension://"+host.DefaultExtensionID+"/", "--parent-window=0")
	cmd.Env = append(os.Environ(), env...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	p := &proc{t: t, cmd: cmd, stdin: stdin, stdout: stdout, stderr: &bytes.Buffer{}, frames: make(chan []byte, 64)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return p
}

func (p *proc) read() {
	go func() {
		defer close(p.frames)
		for {
			b, err := messaging.ReadFrame(p.stdout, messaging.MaxOutgoing)
			if err != nil {
				return
			}
			p.frames <- b
		}
	}()
}

func (p *proc) send(msg string) {
	p.t.Helper()
	if err := messaging.WriteFrame(p.stdin, []byte(msg)); err != nil {
		p.t.Fatalf("write: %v", err)
	}
}

// final returns the raw bytes of the final reply whose id token is rawID, and the progress events before it.
func (p *proc) final(rawID string) ([]byte, messaging.Reply, []string) {
	p.t.Helper()
	var events []string
	deadline := time.After(60 * time.Second)
	for {
		select {
		case b, ok := <-p.frames:
			if !ok {
				p.t.Fatalf("stdout ended while waiting for %s\nstderr: %s", rawID, p.stderr)
			}
			if !bytes.HasPrefix(b, []byte(`{"id":`+rawID+`,`)) {
				continue
			}
			var r messaging.Reply
			if err := json.Unmarshal(b, &r); err != nil {
				p.t.Fatalf("frame %q: %v", b, err)
			}
			if r.Type == messaging.ReplyProgress {
				events = append(events, r.Progress.Event)
				continue
			}
			return b, r, events
		case <-deadline:
			p.t.Fatalf("no final reply for %s\nstderr: %s", rawID, p.stderr)
		}
	}
}

func (p *proc) wait(t *testing.T) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("host did not exit\nstderr: %s", p.stderr)
	}
	return nil
}

// TestRealProcess builds twinkey-host and runs it the way Chrome does: origin argument, frames on stdin, frames
// and nothing else on stdout, exit 0 at stdin EOF.
func TestRealProcess(t *testing.T) {
	p := startHost(t, built(t, "twinkeytest"), host.EnvSimulatedKey+"=1", host.EnvSimulatedKeyDir+"="+t.TempDir())
	p.read()
	p.send(`{"id":"1","type":"hello"}`)
	p.send(`{"id":"2","type":"u2f.register","params":{"appId":"https://example.com","clientDataHash":"` +
		b64(bytes.Repeat([]byte{1}, 32)) + `"}}`)
	_, hello, _ := p.final(`"1"`)
	_, reg, _ := p.final(`"2"`)
	p.stdin.Close()
	for b := range p.frames {
		t.Fatalf("extra output after the replies: %q", b)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.stderr)
	}
	if hello.Type != "result" || reg.Type != "result" {
		t.Fatalf("replies %+v %+v\nstderr: %s", hello, reg, p.stderr)
	}
}

// TestBuiltBinaryKeepsContract drives the test build over real pipes with the inputs PROTOCOL.md answers.
func TestBuiltBinaryKeepsContract(t *testing.T) {
	p := startHost(t, built(t, "twinkeytest"), host.EnvSimulatedKey+"=1", host.EnvSimulatedKeyDir+"="+t.TempDir())
	p.read()
	hash := b64(bytes.Repeat([]byte{2}, 32))

	// Garbage: bad-request with id "".
	p.send("\x00\x01 not json")
	if _, r, _ := p.final(`""`); r.Error == nil || r.Error.Code != messaging.CodeBadRequest {
		t.Fatalf("garbage: %+v", r)
	}
	// An id over MaxIDLength: refused, the refusal carrying the id byte for byte.
	long := `"` + strings.Repeat(`\u00e9`, 100) + `"`
	p.send(`{"id":` + long + `,"type":"hello"}`)
	if b, r, _ := p.final(long); r.Error == nil || r.Error.Code != messaging.CodeBadRequest || !bytes.HasPrefix(b, []byte(`{"id":`+long+`,`)) {
		t.Fatalf("over-long id: %+v", r)
	}
	// timeoutMs far beyond a Duration: clamped to 10 minutes, the ceremony runs.
	p.send(`{"id":"t","type":"u2f.register","params":{"appId":"https://example.com","clientDataHash":"` + hash + `","timeoutMs":9300000000000}}`)
	if _, r, _ := p.final(`"t"`); r.Type != messaging.ReplyResult {
		t.Fatalf("overflowing timeout: %+v %+v\nstderr: %s", r, r.Error, p.stderr)
	}
	// Case-variant and duplicate keys: bad-request, with the request's id.
	p.send(`{"id":"c","type":"webauthn.create","params":{"rpId":"a.example","RPID":"evil.example","clientDataHash":"` + hash + `","user":{"id":"AQ"},"algorithms":[-7]}}`)
	if _, r, _ := p.final(`"c"`); r.Error == nil || r.Error.Code != messaging.CodeBadRequest {
		t.Fatalf("case-variant params: %+v", r)
	}
	p.send(`{"id":"d","Type":"hello"}`)
	if _, r, _ := p.final(`"d"`); r.Error == nil || r.Error.Code != messaging.CodeBadRequest {
		t.Fatalf("case-variant envelope: %+v", r)
	}
	p.stdin.Close()
	if err := p.wait(t); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.stderr)
	}
}

// TestBuiltBinaryCancelWhileWaitingForKey: the release build with no key plugged in (this machine's USB, or
// none) asks for one; cancel ends the request as cancelled, and stdin EOF another one likewise.
func TestBuiltBinaryCancelWhileWaitingForKey(t *testing.T) {
	p := startHost(t, built(t, ""))
	p.read()
	params := `{"rpId":"example.com","clientDataHash":"` + b64(bytes.Repeat([]byte{3}, 32)) + `"}`
	p.send(`{"id":"w","type":"webauthn.get","params":` + params + `}`)
	waitFor := func(id string) {
		for b := range p.frames {
			if bytes.HasPrefix(b, []byte(`{"id":"`+id+`","type":"progress"`)) {
				if !bytes.Contains(b, []byte(`"event":"insert-key"`)) {
					t.Skipf("a security key is plugged in (%s); this test needs none", b)
				}
				return
			}
		}
		t.Fatalf("no progress for %s", id)
	}
	waitFor("w")
	p.send(`{"id":"x","type":"cancel","params":{"target":"w"}}`)
	if _, r, _ := p.final(`"w"`); r.Error == nil || r.Error.Code != host.CodeCancelled {
		t.Fatalf("cancel while waiting for a key: %+v", r)
	}
	p.send(`{"id":"e","type":"webauthn.get","params":` + params + `}`)
	waitFor("e")
	p.stdin.Close()
	if _, r, _ := p.final(`"e"`); r.Error == nil || r.Error.Code != host.CodeCancelled {
		t.Fatalf("EOF while waiting for a key: %+v", r)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

// TestBuiltBinaryClosedStdout: the browser stops reading; the host's next write fails and it exits 0, not of
// SIGPIPE.
func TestBuiltBinaryClosedStdout(t *testing.T) {
	p := startHost(t, built(t, ""))
	p.stdout.Close()
	p.send(`{"id":"1","type":"hello"}`)
	err := p.wait(t)
	if err != nil {
		t.Fatalf("exit: %v (want 0)\nstderr: %s", err, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "closed") {
		t.Fatalf("stderr %q", p.stderr)
	}
}

// TestReleaseBinaryHasNoSimulatedKey: a release build ignores TWINKEY_SIMULATED_KEY and links neither
// virtual-fido nor simkey.
func TestReleaseBinaryHasNoSimulatedKey(t *testing.T) {
	bin := built(t, "")
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("virtual-fido")) {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	nm, err := exec.Command("go", "tool", "nm", bin).CombinedOutput()
	if err != nil || bytes.Contains(nm, []byte("nativehost/simkey")) {
		t.Fatalf("go tool nm finds simkey symbols (%v)", err)
	}
	p := startHost(t, bin, host.EnvSimulatedKey+"=1")
	p.read()
	p.send(`{"id":"h","type":"hello"}`)
	_, r, _ := p.final(`"h"`)
	p.stdin.Close()
	p.wait(t)
	if res, _ := r.Result.(map[string]any); res["simulated"] != false || !strings.Contains(p.stderr.String(), "ignoring "+host.EnvSimulatedKey) {
		t.Fatalf("hello %+v, stderr %q", r, p.stderr)
	}
}
