package host

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/twinkey/twinkey/nativehost/install"
)

// DefaultExtensionID is Twinkey's extension ID, derived from the "key" in manifest.json (Chromium
// crx_file/id_util.cc); TestDefaultExtensionIDMatchesManifest keeps the two in step.
const DefaultExtensionID = "cggnbeeljmbfeeflindichhanfkjgdof"

// ConfigFileName is the optional configuration file next to the host binary.
const ConfigFileName = "twinkey-host.json"

// FileConfig is the content of ConfigFileName:
//
//	{"extensionIds": ["<32 letters a-p>", "..."]}
type FileConfig struct {
	ExtensionIDs []string `json:"extensionIds"`
}

// AllowedExtensionIDs decides which extensions may use the host, first match wins:
//  1. extensionIds in ConfigFileName next to the binary (for development builds loaded unpacked);
//  2. buildTime, a comma-separated list set with -ldflags "-X main.extensionIDs=id1,id2";
//  3. DefaultExtensionID.
//
// Every ID must be 32 letters a–p.
func AllowedExtensionIDs(binaryPath, buildTime string) ([]string, error) {
	var ids []string
	data, err := os.ReadFile(filepath.Join(filepath.Dir(binaryPath), ConfigFileName))
	switch {
	case err == nil:
		var fc FileConfig
		if err := json.Unmarshal(data, &fc); err != nil {
			return nil, fmt.Errorf("host: %s: %w", ConfigFileName, err)
		}
		ids = fc.ExtensionIDs
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("host: %s: %w", ConfigFileName, err)
	case buildTime != "":
		ids = strings.Split(buildTime, ",")
	default:
		ids = []string{DefaultExtensionID}
	}
	if len(ids) == 0 {
		return nil, errors.New("host: no allowed extension IDs")
	}
	for _, id := range ids {
		if !install.ValidExtensionID(id) {
			return nil, fmt.Errorf("host: invalid extension ID %q", id)
		}
	}
	return ids, nil
}

// CallerOrigin finds the caller origin Chrome passes as an argument ("chrome-extension://<id>/", Chrome for
// Developers, Native messaging; on Windows followed by --parent-window=N). It returns "" when there is none (not
// started by a browser).
func CallerOrigin(args []string) string {
	for _, a := range args {
		if strings.HasPrefix(a, "chrome-extension://") {
			return a
		}
	}
	return ""
}

// OriginAllowed reports whether origin is exactly chrome-extension://<id>/ for one of ids.
func OriginAllowed(origin string, ids []string) bool {
	for _, id := range ids {
		if origin == install.Origin(id) {
			return true
		}
	}
	return false
}
