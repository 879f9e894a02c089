package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAllowedExtensionIDs(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "twinkey-host")
	ids, err := AllowedExtensionIDs(bin, "")
	if err != nil || len(ids) != 1 || ids[0] != DefaultExtensionID {
		t.Fatalf("default: %v, %v", ids, err)
	}
	other := strings.Repeat("c", 32)
	if ids, err = AllowedExtensionIDs(bin, other+","+DefaultExtensionID); err != nil || len(ids) != 2 || ids[0] != other {
		t.Fatalf("build-time: %v, %v", ids, err)
	}
	if _, err := AllowedExtensionIDs(bin, "zzz"); err == nil {
		t.Fatal("accepted an invalid build-time ID")
	}
	dev := strings.Repeat("d", 32)
	os.WriteFile(filepath.Join(dir, ConfigFileName), []byte(`{"extensionIds":["`+dev+`"]}`), 0o644)
	if ids, err = AllowedExtensionIDs(bin, other); err != nil || len(ids) != 1 || ids[0] != dev {
		t.Fatalf("config file: %v, %v", ids, err)
	}
	os.WriteFile(filepath.Join(dir, ConfigFileName), []byte(`{"extensionIds":["chrome-extension://x/"]}`), 0o644)
	if _, err := AllowedExtensionIDs(bin, ""); err == nil {
		t.Fatal("accepted an invalid ID from the config file")
	}
}

func TestCallerOrigin(t *testing.T) {
	id := strings.Repeat("e", 32)
	origin := CallerOrigin([]string{"chrome-extension://" + id + "/", "--parent-window=0"})
	if !OriginAllowed(origin, []string{id}) || OriginAllowed("chrome-extension://"+id, []string{id}) ||
		OriginAllowed(origin, []string{strings.Repeat("f", 32)}) || CallerOrigin([]string{"devices"}) != "" {
		t.Fatal("origin checks")
	}
}
