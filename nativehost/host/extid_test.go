package host

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"
)

// The extension ID is the first 16 bytes of SHA-256 over the manifest key's DER, each hex digit mapped 0-f to a-p
// (Chromium components/crx_file/id_util.cc).
func TestDefaultExtensionIDMatchesManifest(t *testing.T) {
	b, err := os.ReadFile("../../manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Key string }
	if err := json.Unmarshal(b, &m); err != nil || m.Key == "" {
		t.Fatalf("manifest key: %v", err)
	}
	der, err := base64.StdEncoding.DecodeString(m.Key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	id := make([]byte, 0, 32)
	for _, c := range sum[:16] {
		id = append(id, 'a'+c>>4, 'a'+c&15)
	}
	if string(id) != DefaultExtensionID {
		t.Fatalf("manifest key gives %s, DefaultExtensionID is %s", id, DefaultExtensionID)
	}
}
