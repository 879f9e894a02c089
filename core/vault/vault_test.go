package vault

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
	xhkdf "golang.org/x/crypto/hkdf" // a second HKDF implementation, to check the documented derivation
)

// testParams keep the KDF cheap in tests; DefaultParams are exercised only by the benchmark.
var testParams = Params{Time: 1, MemoryKiB: 64, Threads: 1}

const testPassphrase = "correct horse battery staple"

// countingReader yields 0x01, 0x02, ... so sealed files are reproducible in fuzz seeds.
type countingReader struct{ next byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		r.next++
		p[i] = r.next
	}
	return len(p), nil
}

func testContents(t testing.TB) Contents {
	t.Helper()
	secret, err := NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Contents{Secret: secret, Role: RolePrimary, CreatedUnix: 1763888000}
}

func mustSeal(t testing.TB, c Contents, pass string, p Params) (file, key []byte) {
	t.Helper()
	file, key, err := Seal(rand.Reader, pass, c, p)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return file, key
}

// expectFailure checks the "no partial result" contract and the error class.
func expectFailure(t *testing.T, c Contents, key []byte, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	if c != (Contents{}) {
		t.Errorf("failed open returned contents %+v", c)
	}
	if key != nil {
		t.Errorf("failed open returned a key")
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	for _, c := range []Contents{
		{Role: RolePrimary, CreatedUnix: 1763888000},
		{Role: RoleBackup, CreatedUnix: 1763888001, Restored: true},
		{Role: RolePrimary, CreatedUnix: math.MinInt64},
		{Role: RoleBackup, CreatedUnix: math.MaxInt64},
	} {
		t.Run(fmt.Sprintf("%s/%d/%v", c.Role, c.CreatedUnix, c.Restored), func(t *testing.T) {
			c.Secret = testContents(t).Secret
			for _, p := range []Params{testParams, {Time: 2, MemoryKiB: 32, Threads: 4}} {
				file, key := mustSeal(t, c, testPassphrase, p)
				got, openKey, err := Open(file, testPassphrase)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				if got != c {
					t.Errorf("Open = %+v, want %+v", got, c)
				}
				if !bytes.Equal(openKey, key) {
					t.Errorf("Open's unlock key differs from Seal's")
				}
				got, err = OpenWithKey(file, key)
				if err != nil || got != c {
					t.Errorf("OpenWithKey = %+v, %v; want %+v", got, err, c)
				}
				h, err := Inspect(file)
				want := Header{Version: 1, Params: p, Role: c.Role, CreatedUnix: c.CreatedUnix, Restored: c.Restored}
				if err != nil || h != want {
					t.Errorf("Inspect = %+v, %v; want %+v", h, err, want)
				}
			}
		})
	}
}

func TestSealIsRandomized(t *testing.T) {
	c := testContents(t)
	f1, k1 := mustSeal(t, c, testPassphrase, testParams)
	f2, k2 := mustSeal(t, c, testPassphrase, testParams)
	if bytes.Equal(f1, f2) || bytes.Equal(k1, k2) {
		t.Fatal("two seals of the same contents gave the same file or key: salt or nonce not fresh")
	}
}

// TestFileFormatMatchesDoc reads a sealed file with nothing but the package doc's description and
// implementations we did not write (x/crypto argon2, x/crypto hkdf, chacha20poly1305), so the documentation
// and the code cannot drift apart.
func TestFileFormatMatchesDoc(t *testing.T) {
	c := Contents{Role: RoleBackup, CreatedUnix: -5, Restored: true, Secret: testContents(t).Secret}
	file, key := mustSeal(t, c, testPassphrase, testParams)

	var raw map[string]json.RawMessage
	if err := json.Unmarshal(file, &raw); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(slices.Sorted(maps.Keys(raw)), ","), "aead,check,created,ct,kdf,nonce,restored,role,v"; got != want {
		t.Fatalf("top-level fields %s, documented %s", got, want)
	}
	var doc struct {
		V   int `json:"v"`
		KDF struct {
			Alg  string `json:"alg"`
			T    uint32 `json:"t"`
			M    uint32 `json:"m"`
			P    uint8  `json:"p"`
			Salt string `json:"salt"`
		} `json:"kdf"`
		AEAD     string `json:"aead"`
		Role     string `json:"role"`
		Created  int64  `json:"created"`
		Restored bool   `json:"restored"`
		Check    string `json:"check"`
		Nonce    string `json:"nonce"`
		CT       string `json:"ct"`
	}
	if err := json.Unmarshal(file, &doc); err != nil {
		t.Fatal(err)
	}
	b64 := func(s string) []byte {
		b, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil {
			t.Fatalf("base64 %q: %v", s, err)
		}
		return b
	}
	salt, check, nonce, ct := b64(doc.KDF.Salt), b64(doc.Check), b64(doc.Nonce), b64(doc.CT)
	if doc.V != 1 || doc.KDF.Alg != "argon2id" || doc.AEAD != "xchacha20poly1305" || len(salt) != 16 ||
		len(nonce) != 24 || len(ct) != 48 || len(check) != 32 {
		t.Fatalf("file does not match the documented field values: %s", file)
	}

	unlockKey := argon2.IDKey([]byte(testPassphrase), salt, doc.KDF.T, doc.KDF.M, doc.KDF.P, 32)
	if !bytes.Equal(unlockKey, key) {
		t.Fatal("unlock key is not argon2id(passphrase, salt, t, m, p) with the file's parameters")
	}
	expand := func(info string) []byte {
		out := make([]byte, 32)
		if _, err := io.ReadFull(xhkdf.Expand(sha256.New, unlockKey, []byte(info)), out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if !bytes.Equal(expand("twinkey vault v1 key check"), check) {
		t.Error("key check is not HKDF-Expand(unlockKey, \"twinkey vault v1 key check\")")
	}

	// The associated data, built byte by byte from the table in the package doc.
	var ad []byte
	ad = append(ad, "twinkey-vault-ad\x00\x01"...)
	ad = append(ad, byte(len(doc.KDF.Alg)))
	ad = append(ad, doc.KDF.Alg...)
	ad = binary.BigEndian.AppendUint32(ad, doc.KDF.T)
	ad = binary.BigEndian.AppendUint32(ad, doc.KDF.M)
	ad = append(ad, doc.KDF.P, byte(len(salt)))
	ad = append(ad, salt...)
	ad = append(ad, byte(len(doc.AEAD)))
	ad = append(ad, doc.AEAD...)
	ad = append(ad, byte(len(doc.Role)))
	ad = append(ad, doc.Role...)
	ad = binary.BigEndian.AppendUint64(ad, uint64(doc.Created))
	ad = append(ad, 1) // restored
	if len(ad) != 18+9+4+4+1+17+18+7+8+1 {
		t.Fatalf("associated data is %d bytes", len(ad))
	}
	aead, err := chacha20poly1305.NewX(expand("twinkey vault v1 aead"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := aead.Open(nil, nonce, ct, ad)
	if err != nil {
		t.Fatalf("decrypting as documented: %v", err)
	}
	if !bytes.Equal(plain, c.Secret[:]) {
		t.Fatal("documented decryption gives a different secret")
	}
}

func TestOpenWrongPassphrase(t *testing.T) {
	file, _ := mustSeal(t, testContents(t), testPassphrase, testParams)
	for _, pass := range []string{"", "correct horse battery stapl", "Correct horse battery staple", testPassphrase + " ",
		strings.Repeat("x", 2000)} {
		c, key, err := Open(file, pass)
		expectFailure(t, c, key, err, ErrWrongPassphrase)
	}
	for _, key := range [][]byte{nil, make([]byte, 32), make([]byte, 31), make([]byte, 64)} {
		c, err := OpenWithKey(file, key)
		expectFailure(t, c, nil, err, ErrWrongPassphrase)
	}
}

// mutateJSON decodes file into a generic map, applies edit and re-encodes it.
func mutateJSON(t *testing.T, file []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(file))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// flipBit flips the low bit of the first byte of a base64 field.
func flipBit(m map[string]any, key string) {
	b, _ := base64.StdEncoding.DecodeString(m[key].(string))
	b[0] ^= 1
	m[key] = base64.StdEncoding.EncodeToString(b)
}

func TestTamperedHeaderFieldsAreDetected(t *testing.T) {
	c := Contents{Role: RolePrimary, CreatedUnix: 1763888000, Restored: true, Secret: testContents(t).Secret}
	file, key := mustSeal(t, c, testPassphrase, Params{Time: 1, MemoryKiB: 64, Threads: 2})
	kdf := func(m map[string]any) map[string]any { return m["kdf"].(map[string]any) }
	for _, tc := range []struct {
		name     string
		edit     func(m map[string]any)
		withPass error // Open with the right passphrase
		withKey  error // OpenWithKey with the right unlock key
	}{
		{"v=2", func(m map[string]any) { m["v"] = 2 }, ErrUnsupportedVersion, ErrUnsupportedVersion},
		{"v=0", func(m map[string]any) { m["v"] = 0 }, ErrCorrupt, ErrCorrupt},
		{"v=1.5", func(m map[string]any) { m["v"] = 1.5 }, ErrCorrupt, ErrCorrupt},
		{"v missing", func(m map[string]any) { delete(m, "v") }, ErrCorrupt, ErrCorrupt},
		{"kdf.alg", func(m map[string]any) { kdf(m)["alg"] = "argon2i" }, ErrCorrupt, ErrCorrupt},
		// A changed KDF input changes the derived key: it reads as a wrong passphrase, and the stored key sees the
		// changed associated data.
		{"kdf.t", func(m map[string]any) { kdf(m)["t"] = 2 }, ErrWrongPassphrase, ErrCorrupt},
		{"kdf.m", func(m map[string]any) { kdf(m)["m"] = 72 }, ErrWrongPassphrase, ErrCorrupt},
		{"kdf.p", func(m map[string]any) { kdf(m)["p"] = 1 }, ErrWrongPassphrase, ErrCorrupt},
		{"kdf.salt", func(m map[string]any) { flipBit(kdf(m), "salt") }, ErrWrongPassphrase, ErrCorrupt},
		{"aead", func(m map[string]any) { m["aead"] = "aes256gcm" }, ErrCorrupt, ErrCorrupt},
		{"role", func(m map[string]any) { m["role"] = "backup" }, ErrCorrupt, ErrCorrupt},
		{"role unknown", func(m map[string]any) { m["role"] = "admin" }, ErrCorrupt, ErrCorrupt},
		{"created", func(m map[string]any) { m["created"] = 1763888001 }, ErrCorrupt, ErrCorrupt},
		{"created missing", func(m map[string]any) { delete(m, "created") }, ErrCorrupt, ErrCorrupt},
		{"restored", func(m map[string]any) { m["restored"] = false }, ErrCorrupt, ErrCorrupt},
		{"restored missing", func(m map[string]any) { delete(m, "restored") }, ErrCorrupt, ErrCorrupt},
		{"check", func(m map[string]any) { flipBit(m, "check") }, ErrCorrupt, ErrCorrupt},
		{"nonce", func(m map[string]any) { flipBit(m, "nonce") }, ErrCorrupt, ErrCorrupt},
		{"ct", func(m map[string]any) { flipBit(m, "ct") }, ErrCorrupt, ErrCorrupt},
		{"extra field", func(m map[string]any) { m["note"] = "hi" }, ErrCorrupt, ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := mutateJSON(t, file, tc.edit)
			got, gotKey, err := Open(bad, testPassphrase)
			expectFailure(t, got, gotKey, err, tc.withPass)
			got, err = OpenWithKey(bad, key)
			expectFailure(t, got, nil, err, tc.withKey)
		})
	}

	// Re-encoding alone (different spacing and key order) changes no value and must still open.
	same := mutateJSON(t, file, func(map[string]any) {})
	if got, err := OpenWithKey(same, key); err != nil || got != c {
		t.Fatalf("re-encoded file: %+v, %v", got, err)
	}
}

func TestCorruptFiles(t *testing.T) {
	file, key := mustSeal(t, testContents(t), testPassphrase, testParams)
	check := func(t *testing.T, bad []byte) {
		t.Helper()
		c, k, err := Open(bad, testPassphrase)
		expectFailure(t, c, k, err, ErrCorrupt)
		c, err = OpenWithKey(bad, key)
		expectFailure(t, c, nil, err, ErrCorrupt)
		if h, err := Inspect(bad); !errors.Is(err, ErrCorrupt) || h != (Header{}) {
			t.Errorf("Inspect = %+v, %v", h, err)
		}
	}
	t.Run("every truncation", func(t *testing.T) {
		for n := range len(file) - 1 {
			check(t, file[:n])
		}
	})
	long := strings.Repeat(" ", MaxFileSize)
	for name, bad := range map[string]string{
		"empty":         "",
		"null":          "null",
		"array":         "[1]",
		"string":        `"v"`,
		"empty object":  "{}",
		"v only":        `{"v":1}`,
		"v string":      `{"v":"1"}`,
		"v huge":        `{"v":1e400}`,
		"trailing data": string(file) + "{}",
		"oversized":     string(file) + long,
		"binary":        "\x00\xff\xfe garbage",
	} {
		t.Run(name, func(t *testing.T) { check(t, []byte(bad)) })
	}
	kdf := func(m map[string]any) map[string]any { return m["kdf"].(map[string]any) }
	for name, edit := range map[string]func(m map[string]any){
		// Out-of-range KDF parameters are refused before the KDF runs (a 4 TiB argon2 would never return).
		"kdf.m huge":      func(m map[string]any) { kdf(m)["m"] = uint32(math.MaxUint32) },
		"kdf.m above max": func(m map[string]any) { kdf(m)["m"] = MaxMemoryKiB + 1 },
		"kdf.m below 8p":  func(m map[string]any) { kdf(m)["m"] = 7 },
		"kdf.t zero":      func(m map[string]any) { kdf(m)["t"] = 0 },
		"kdf.t huge":      func(m map[string]any) { kdf(m)["t"] = uint32(math.MaxUint32) },
		"kdf.p zero":      func(m map[string]any) { kdf(m)["p"] = 0 },
		"kdf.p 5":         func(m map[string]any) { kdf(m)["p"] = 5 },
		"kdf.p 256":       func(m map[string]any) { kdf(m)["p"] = 256 },
		"kdf.m negative":  func(m map[string]any) { kdf(m)["m"] = -1 },
		"kdf not object":  func(m map[string]any) { m["kdf"] = "argon2id" },
		"salt short":      func(m map[string]any) { kdf(m)["salt"] = "AAAA" },
		"salt not base64": func(m map[string]any) { kdf(m)["salt"] = "!!!!" },
		"nonce 12 bytes":  func(m map[string]any) { m["nonce"] = base64.StdEncoding.EncodeToString(make([]byte, 12)) },
		"ct short":        func(m map[string]any) { m["ct"] = base64.StdEncoding.EncodeToString(make([]byte, 47)) },
		"ct long":         func(m map[string]any) { m["ct"] = base64.StdEncoding.EncodeToString(make([]byte, 49)) },
		"check missing":   func(m map[string]any) { delete(m, "check") },
		"role number":     func(m map[string]any) { m["role"] = 1 },
		"created float":   func(m map[string]any) { m["created"] = 1.5 },
		"restored string": func(m map[string]any) { m["restored"] = "true" },
	} {
		t.Run(name, func(t *testing.T) { check(t, mutateJSON(t, file, edit)) })
	}
}

func TestChangePassphrase(t *testing.T) {
	c := Contents{Role: RoleBackup, CreatedUnix: 1763888000, Restored: true, Secret: testContents(t).Secret}
	file, oldKey := mustSeal(t, c, testPassphrase, testParams)
	original := bytes.Clone(file)
	const newPass = "a brand new passphrase"
	newFile, newKey, err := ChangePassphrase(rand.Reader, file, testPassphrase, newPass, Params{Time: 2, MemoryKiB: 128, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, original) {
		t.Fatal("ChangePassphrase modified its input")
	}
	if got, err := OpenWithKey(newFile, oldKey); !errors.Is(err, ErrWrongPassphrase) || got != (Contents{}) {
		t.Fatalf("stale unlock key on the new file: %+v, %v; want ErrWrongPassphrase", got, err)
	}
	if _, _, err := Open(newFile, testPassphrase); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase on the new file: %v", err)
	}
	got, key, err := Open(newFile, newPass)
	if err != nil || got != c || !bytes.Equal(key, newKey) {
		t.Fatalf("new passphrase: %+v, %v", got, err)
	}
	if h, _ := Inspect(newFile); h.Params != (Params{Time: 2, MemoryKiB: 128, Threads: 1}) {
		t.Errorf("new file has params %+v", h.Params)
	}
	// The old file still opens with the old key: the caller decides when to replace it.
	if got, err := OpenWithKey(file, oldKey); err != nil || got != c {
		t.Fatalf("old file: %v", err)
	}

	if _, _, err := ChangePassphrase(rand.Reader, file, "not the passphrase", newPass, testParams); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong old passphrase: %v", err)
	}
	if f, k, err := ChangePassphrase(rand.Reader, file, testPassphrase, "short", testParams); !errors.Is(err, ErrWeakPassphrase) || f != nil || k != nil {
		t.Errorf("weak new passphrase: %v", err)
	}
	if _, _, err := ChangePassphrase(rand.Reader, file[:10], testPassphrase, newPass, testParams); !errors.Is(err, ErrCorrupt) {
		t.Errorf("corrupt file: %v", err)
	}
}

func TestSealRejectsBadInput(t *testing.T) {
	good := testContents(t)
	for name, pass := range map[string]string{
		"empty":             "",
		"7 characters":      "1234567",
		"7 runes, 14 bytes": "ééééééé",
		"invalid UTF-8":     "abcdefgh\xff",
		"over 1024 bytes":   strings.Repeat("x", 1025),
	} {
		t.Run(name, func(t *testing.T) {
			f, k, err := Seal(rand.Reader, pass, good, testParams)
			if !errors.Is(err, ErrWeakPassphrase) || f != nil || k != nil {
				t.Fatalf("Seal = %v", err)
			}
			if pass != "" && strings.Contains(err.Error(), pass) {
				t.Errorf("error quotes the passphrase: %v", err)
			}
		})
	}
	if _, _, err := Seal(rand.Reader, "éééééééé", good, testParams); err != nil {
		t.Errorf("8 non-ASCII characters refused: %v", err)
	}
	for _, p := range []Params{{}, {Time: 1, MemoryKiB: 7, Threads: 1}, {Time: 1, MemoryKiB: 64, Threads: 0},
		{Time: 1, MemoryKiB: 64, Threads: MaxThreads + 1}, {Time: MaxTime + 1, MemoryKiB: 64, Threads: 1},
		{Time: 1, MemoryKiB: MaxMemoryKiB + 1, Threads: 1}} {
		if f, _, err := Seal(rand.Reader, testPassphrase, good, p); err == nil || f != nil {
			t.Errorf("params %+v accepted", p)
		}
	}
	for _, role := range []Role{"", "Primary", "twin"} {
		c := good
		c.Role = role
		if f, _, err := Seal(rand.Reader, testPassphrase, c, testParams); err == nil || f != nil {
			t.Errorf("role %q accepted", role)
		}
	}
	failing := iotest.ErrReader(errors.New("entropy source failed"))
	if f, k, err := Seal(failing, testPassphrase, good, testParams); err == nil || f != nil || k != nil {
		t.Errorf("Seal with a failing reader: %v", err)
	}
	if s, err := NewSecret(failing); err == nil || s != ([32]byte{}) {
		t.Errorf("NewSecret with a failing reader: %v", err)
	}
	if s, err := NewSecret(iotest.HalfReader(bytes.NewReader(make([]byte, 31)))); err == nil || s != ([32]byte{}) {
		t.Errorf("NewSecret with a short reader: %v", err)
	}
}

func TestDefaultParamsAreValid(t *testing.T) {
	if err := DefaultParams.Validate(); err != nil {
		t.Fatal(err)
	}
	if DefaultParams.MemoryKiB < 46*1024 {
		t.Errorf("default memory %d KiB is below OWASP's argon2id minimum of 46 MiB", DefaultParams.MemoryKiB)
	}
}

func TestContentsWipe(t *testing.T) {
	c := testContents(t)
	c.Wipe()
	if c.Secret != ([32]byte{}) {
		t.Fatal("Wipe left secret bytes")
	}
}

// FuzzOpen feeds arbitrary bytes to the vault file parsers. Invariants: no panic; a failure is one of the
// sentinel errors and returns zero Contents and no key; nothing opens under the known key but the seeded secret
// (forging a file is not possible).
func FuzzOpen(f *testing.F) {
	secret := [32]byte{1, 2, 3}
	c := Contents{Secret: secret, Role: RoleBackup, CreatedUnix: 1763888000, Restored: true}
	file, key, err := Seal(&countingReader{}, testPassphrase, c, testParams)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(file)
	f.Add(file[:len(file)/2])
	f.Add([]byte(strings.Replace(string(file), `"v":1`, `"v":2`, 1)))
	f.Add([]byte(strings.Replace(string(file), `"m":64`, `"m":4294967295`, 1)))
	f.Add([]byte(strings.Replace(string(file), `"backup"`, `"primary"`, 1)))
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`{}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		sentinel := func(err error) bool {
			return errors.Is(err, ErrCorrupt) || errors.Is(err, ErrWrongPassphrase) || errors.Is(err, ErrUnsupportedVersion)
		}
		h, inspectErr := Inspect(data)
		if inspectErr != nil && (h != Header{} || !sentinel(inspectErr)) {
			t.Fatalf("Inspect: %+v, %v", h, inspectErr)
		}
		got, err := OpenWithKey(data, key)
		if err != nil {
			if got != (Contents{}) || !sentinel(err) {
				t.Fatalf("OpenWithKey failure: %+v, %v", got, err)
			}
		} else if got.Secret != secret {
			t.Fatalf("OpenWithKey opened a secret that was never sealed: %+v", got)
		}
		if inspectErr != nil && err == nil {
			t.Fatal("Inspect refused a file that OpenWithKey opened")
		}
		// The passphrase path runs the KDF with the file's parameters: only for cheap ones.
		if inspectErr == nil && h.Params.Time <= 2 && h.Params.MemoryKiB <= 256 {
			got, k, err := Open(data, testPassphrase)
			if err != nil {
				if got != (Contents{}) || k != nil || !sentinel(err) {
					t.Fatalf("Open failure: %+v, %v", got, err)
				}
			} else if got.Secret != secret || !bytes.Equal(k, key) {
				t.Fatalf("Open opened something unexpected: %+v", got)
			}
		}
	})
}

// BenchmarkKDFDefault measures one unlock with DefaultParams: the wait a user sees after typing the passphrase.
func BenchmarkKDFDefault(b *testing.B) {
	file, _ := mustSeal(b, testContents(b), testPassphrase, DefaultParams)
	for b.Loop() {
		if _, _, err := Open(file, testPassphrase); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenWithKey measures what each request pays to reach the secret while unlocked.
func BenchmarkOpenWithKey(b *testing.B) {
	file, key := mustSeal(b, testContents(b), testPassphrase, testParams)
	for b.Loop() {
		if _, err := OpenWithKey(file, key); err != nil {
			b.Fatal(err)
		}
	}
}
