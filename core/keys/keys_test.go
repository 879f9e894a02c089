package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	mrand "math/rand/v2"
	"os"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var update = flag.Bool("update", false, "rewrite testdata/derivation_vectors.json from the current code")

func mustDevice(t testing.TB, secret [SecretSize]byte) *Device {
	t.Helper()
	d, err := NewDevice(secret)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestHandleIsMineOnlyForSameSecretAndApplication(t *testing.T) {
	var s1, s2 [SecretSize]byte
	rand.Read(s1[:])
	rand.Read(s2[:])
	d1, d2 := mustDevice(t, s1), mustDevice(t, s2)
	app := sha256.Sum256([]byte("example.com"))
	other := sha256.Sum256([]byte("evil.example"))
	handle, priv, err := d1.NewCredential(rand.Reader, app)
	if err != nil {
		t.Fatal(err)
	}
	if len(handle) != HandleSize {
		t.Fatalf("handle length %d, want %d", len(handle), HandleSize)
	}
	got, err := d1.Open(handle, app)
	if err != nil || !got.Equal(priv) {
		t.Fatalf("Open of own handle: %v", err)
	}
	// The twin: another Device from the same secret derives the same key.
	if twin, err := mustDevice(t, s1).Open(handle, app); err != nil || !twin.Equal(priv) {
		t.Fatalf("same secret, other instance: %v", err)
	}
	cases := map[string]func() ([]byte, *Device, [32]byte){
		"other device secret": func() ([]byte, *Device, [32]byte) { return handle, d2, app },
		"other application":   func() ([]byte, *Device, [32]byte) { return handle, d1, other },
		"truncated":           func() ([]byte, *Device, [32]byte) { return handle[:HandleSize-1], d1, app },
		"extended":            func() ([]byte, *Device, [32]byte) { return append(bytes.Clone(handle), 0), d1, app },
		"empty":               func() ([]byte, *Device, [32]byte) { return nil, d1, app },
		"unknown version": func() ([]byte, *Device, [32]byte) {
			h := bytes.Clone(handle)
			h[0] = 0x02
			return h, d1, app
		},
	}
	for i := 0; i < HandleSize*8; i++ {
		h := bytes.Clone(handle)
		h[i/8] ^= 1 << (i % 8)
		if d1.IsMine(h, app) {
			t.Fatalf("handle with bit %d flipped is still mine", i)
		}
		if _, err := d1.Open(h, app); err != ErrNotMine {
			t.Fatalf("flipped bit %d: %v, want ErrNotMine", i, err)
		}
	}
	for name, c := range cases {
		h, d, a := c()
		if _, err := d.Open(h, a); err != ErrNotMine {
			t.Errorf("%s: %v, want ErrNotMine", name, err)
		}
	}
}

// The retry rule of the package documentation: invalid candidates (0, n, all ones) are skipped in order.
func TestScalarRetryRule(t *testing.T) {
	n := elliptic.P256().Params().N.FillBytes(make([]byte, 32))
	valid := bytes.Repeat([]byte{0x11}, 32)
	var tried []byte
	priv, err := scalarFromCandidates(func(i byte) []byte {
		tried = append(tried, i)
		switch i {
		case 0:
			return make([]byte, 32) // zero
		case 1:
			return bytes.Clone(n) // the order itself
		case 2:
			return bytes.Repeat([]byte{0xff}, 32) // above the order
		}
		return bytes.Clone(valid)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tried, []byte{0, 1, 2, 3}) {
		t.Fatalf("candidates tried %v, want [0 1 2 3]", tried)
	}
	if want, _ := ecdsa.ParseRawPrivateKey(elliptic.P256(), valid); !priv.Equal(want) {
		t.Fatal("retry rule returned another key than the first valid candidate")
	}
	if _, err := scalarFromCandidates(func(byte) []byte { return make([]byte, 32) }); err == nil {
		t.Fatal("no error when every candidate is invalid")
	}
}

type rfc6979Vectors struct {
	PrivateKeyHex, PublicKeyXHex, PublicKeyYHex string
	Signatures                                  []struct{ Message, RHex, SHex string }
}

func TestRFC6979Vectors(t *testing.T) {
	var v rfc6979Vectors
	b, err := os.ReadFile("testdata/rfc6979_p256.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.Signatures) == 0 {
		t.Fatalf("no vectors loaded: %v", err)
	}
	d, _ := hex.DecodeString(v.PrivateKeyHex)
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := PublicKeyBytes(&priv.PublicKey)
	if hex.EncodeToString(pub[1:33]) != v.PublicKeyXHex || hex.EncodeToString(pub[33:]) != v.PublicKeyYHex {
		t.Fatal("public key does not match the RFC")
	}
	for _, s := range v.Signatures {
		t.Run(s.Message, func(t *testing.T) {
			sig, err := Sign(priv, []byte(s.Message))
			if err != nil {
				t.Fatal(err)
			}
			r, sv := parseDERSignature(t, sig)
			if hex.EncodeToString(r) != s.RHex || hex.EncodeToString(sv) != s.SHex {
				t.Fatalf("signature (r, s) = (%x, %x), want (%s, %s)", r, sv, s.RHex, s.SHex)
			}
		})
	}
}

func parseDERSignature(t *testing.T, sig []byte) (r, s []byte) {
	t.Helper()
	in := cryptobyte.String(sig)
	var inner cryptobyte.String
	var ri, si []byte
	if !in.ReadASN1(&inner, cbasn1.SEQUENCE) || !inner.ReadASN1Integer(&ri) || !inner.ReadASN1Integer(&si) {
		t.Fatalf("not a DER ECDSA signature: %x", sig)
	}
	pad := func(b []byte) []byte { return append(make([]byte, 32-len(b)), b...) }
	return pad(ri), pad(si)
}

// derivationVector freezes the key-handle and derivation format: a primary and a backup built from different
// Twinkey versions must derive the same keys from the same phrase.
type derivationVector struct {
	SecretHex, ApplicationHex, NonceHex string
	HandleHex, PublicKeyHex             string
	SignatureOfHelloHex                 string
}

func TestDerivationVectors(t *testing.T) {
	const path = "testdata/derivation_vectors.json"
	var vectors []derivationVector
	if *update {
		for i := 0; i < 4; i++ {
			var v derivationVector
			secret, app, nonce := make([]byte, 32), make([]byte, 32), make([]byte, 32)
			rand.Read(secret)
			rand.Read(app)
			rand.Read(nonce)
			v.SecretHex, v.ApplicationHex, v.NonceHex = hex.EncodeToString(secret), hex.EncodeToString(app), hex.EncodeToString(nonce)
			vectors = append(vectors, v)
		}
	} else {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &vectors); err != nil || len(vectors) == 0 {
			t.Fatalf("no vectors loaded: %v", err)
		}
	}
	for i := range vectors {
		v := &vectors[i]
		var secret [32]byte
		var app [32]byte
		hex.Decode(secret[:], []byte(v.SecretHex))
		hex.Decode(app[:], []byte(v.ApplicationHex))
		nonce, _ := hex.DecodeString(v.NonceHex)
		handle, priv, err := mustDevice(t, secret).NewCredential(bytes.NewReader(nonce), app)
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := PublicKeyBytes(&priv.PublicKey)
		sig, _ := Sign(priv, []byte("hello"))
		got := derivationVector{v.SecretHex, v.ApplicationHex, v.NonceHex, hex.EncodeToString(handle), hex.EncodeToString(pub), hex.EncodeToString(sig)}
		if *update {
			*v = got
			continue
		}
		if got != *v {
			t.Errorf("vector %d: derived %+v, want %+v", i, got, *v)
		}
	}
	if *update {
		b, _ := json.MarshalIndent(vectors, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func FuzzOpen(f *testing.F) {
	var secret [32]byte
	d := mustDevice(f, secret)
	app := sha256.Sum256([]byte("example.com"))
	// The seed handle's nonce comes from a fixed ChaCha8 stream, not crypto/rand: every fuzz worker and the
	// coordinator must build the same h, or a seed the coordinator sends fails the "forged handle" check.
	h, _, err := d.NewCredential(mrand.NewChaCha8([32]byte{'F', 'u', 'z', 'z', 'O', 'p', 'e', 'n'}), app)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(h)
	f.Add([]byte{})
	f.Add([]byte{HandleVersion1})
	f.Fuzz(func(t *testing.T, handle []byte) {
		priv, err := d.Open(handle, app)
		if (err == nil) != (priv != nil) {
			t.Fatal("Open returned a key with an error, or neither")
		}
		if err == nil && !bytes.Equal(handle, h) {
			t.Fatalf("a forged handle opened: %x", handle)
		}
	})
}

func BenchmarkNewCredential(b *testing.B) {
	d := mustDevice(b, [32]byte{1})
	app := sha256.Sum256([]byte("example.com"))
	for b.Loop() {
		d.NewCredential(rand.Reader, app)
	}
}

func BenchmarkVerifyHandle(b *testing.B) {
	d := mustDevice(b, [32]byte{1})
	app := sha256.Sum256([]byte("example.com"))
	h, _, _ := d.NewCredential(rand.Reader, app)
	for b.Loop() {
		if !d.IsMine(h, app) {
			b.Fatal("not mine")
		}
	}
}

func BenchmarkOpenAndSign(b *testing.B) {
	d := mustDevice(b, [32]byte{1})
	app := sha256.Sum256([]byte("example.com"))
	h, _, _ := d.NewCredential(rand.Reader, app)
	msg := make([]byte, 69)
	for b.Loop() {
		priv, err := d.Open(h, app)
		if err != nil {
			b.Fatal(err)
		}
		Sign(priv, msg)
	}
}
