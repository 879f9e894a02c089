package simkey_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/simkey"
)

// pythonWithFido2 is Debian's python3 when python3-fido2 is installed (.ci/run installs it).
func pythonWithFido2(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import fido2.ctap2").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3-fido2 is missing in CI (apt-get install python3-fido2): %v", err)
		}
		t.Skipf("python3-fido2 not installed: %v", err)
	}
	return py
}

// TestCTAP21KeyAgainstPythonFido2 pins simkey's CTAP 2.1 key to an implementation we did not write:
// python-fido2 (Yubico) drives it over our CTAPHID connection through testdata/pyfido2_pin.py, for PIN/UV auth
// protocols 1 and 2 (key agreement, PIN hash encryption, token decryption, pinUvAuthParam, permissions), and
// verifies the attestation and assertion signatures and that every answer is canonical CTAP2 CBOR.
func TestCTAP21KeyAgainstPythonFido2(t *testing.T) {
	py := pythonWithFido2(t)
	conn, _ := openCTAP21(t, newCTAP21(t, simkey.CTAP21Config{PIN: "2468"}))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "testdata/pyfido2_pin.py", "2468")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 64<<10), 64<<10)
	requests := 0
	for lines.Scan() {
		fields := strings.Fields(lines.Text() + " ")
		c, err1 := strconv.ParseUint(fields[0], 16, 8)
		var payload []byte
		var err2 error
		if len(fields) > 1 {
			payload, err2 = hex.DecodeString(fields[1])
		}
		if err1 != nil || err2 != nil {
			t.Fatalf("bad line from python: %q", lines.Text())
		}
		requests++
		resp, err := conn.Transact(ctx, ctaphid.Command(c|0x80), payload, nil) // python-fido2 numbers commands without bit 7
		var code ctaphid.ErrorCode
		switch {
		case errors.As(err, &code):
			fmt.Fprintf(stdin, "error %02x\n", byte(code))
		case err != nil:
			t.Fatalf("transaction %02x: %v", c, err)
		default:
			fmt.Fprintf(stdin, "%x\n", resp)
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("python-fido2 against the key: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"ok protocol 1", "ok protocol 2"} {
		if !strings.Contains(stderr.String(), want) {
			t.Fatalf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	t.Logf("%d CTAPHID transactions from python-fido2", requests)
}
