package cose

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"testing"
)

func point(t *testing.T) []byte {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey().Bytes()
}

func TestEncodeParseP256(t *testing.T) {
	p := point(t)
	// {1: 2, 3: alg, -1: 1, -2: x, -3: y} in CTAP2 canonical order (CTAP 2.1 §6); -7 takes one byte, -25 two.
	for alg, size := range map[Algorithm]int{AlgES256: 77, AlgECDHESHKDF256: 78} {
		enc, err := EncodeP256(alg, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(enc) != size || !bytes.HasPrefix(enc, []byte{0xa5, 0x01, 0x02, 0x03}) {
			t.Fatalf("alg %d: % x", alg, enc[:6])
		}
		back, err := ParseP256(enc, alg)
		if err != nil || !bytes.Equal(back, p) {
			t.Fatalf("alg %d: ParseP256 = %x, %v", alg, back, err)
		}
	}
	es256, _ := EncodeP256(AlgES256, p)
	if _, err := ParseP256(es256, AlgECDHESHKDF256); !errors.Is(err, ErrNotP256) {
		t.Fatalf("wrong alg: %v", err)
	}
}

func TestPointValidation(t *testing.T) {
	p := point(t)
	off := bytes.Clone(p)
	off[64] ^= 1
	infinity := make([]byte, 65)
	infinity[0] = 4
	for name, bad := range map[string][]byte{"off curve": off, "zero": infinity, "compressed": p[:33], "empty": nil} {
		if err := ValidateP256Point(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := NewEC2P256(AlgES256, bad); err == nil {
			t.Errorf("%s: NewEC2P256 accepted", name)
		}
	}
	k, _ := NewEC2P256(AlgECDHESHKDF256, p)
	k.Y = off[33:]
	if pt, err := k.P256Point(); err == nil || pt != nil {
		t.Error("P256Point accepted an off-curve key")
	}
	k, _ = NewEC2P256(AlgECDHESHKDF256, p)
	k.Crv = 2
	if _, err := k.P256Point(); !errors.Is(err, ErrNotP256) {
		t.Errorf("P-384 curve id: %v", err)
	}
	k, _ = NewEC2P256(AlgECDHESHKDF256, p)
	k.X = k.X[1:]
	if _, err := k.P256Point(); !errors.Is(err, ErrNotP256) {
		t.Errorf("31-byte x: %v", err)
	}
}

func TestParseP256RejectsNonCanonical(t *testing.T) {
	k, _ := NewEC2P256(AlgES256, point(t))
	good, _ := k.Encode()
	// The same members with label 3 before label 1: valid CBOR, not canonical.
	swapped := append([]byte{0xa5, 0x03, 0x26, 0x01, 0x02}, good[5:]...)
	extra := append([]byte{0xa6}, append(bytes.Clone(good[1:]), 0x04, 0x00)...) // an unknown label 4
	for name, b := range map[string][]byte{"order": swapped, "extra member": extra, "trailing": append(bytes.Clone(good), 0)} {
		if p, err := ParseP256(b, AlgES256); err == nil || p != nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzParseP256: no panic; a failure returns no point; a success returns a valid point that encodes back to the
// input (only the canonical form is accepted).
func FuzzParseP256(f *testing.F) {
	k, _ := ecdh.P256().GenerateKey(rand.Reader)
	for _, alg := range []Algorithm{AlgES256, AlgECDHESHKDF256} {
		good, _ := EncodeP256(alg, k.PublicKey().Bytes())
		f.Add(good, int64(alg))
	}
	f.Add([]byte{0xa0}, int64(AlgES256))
	f.Fuzz(func(t *testing.T, b []byte, alg int64) {
		p, err := ParseP256(b, Algorithm(alg))
		if err != nil {
			if p != nil {
				t.Fatal("point returned with an error")
			}
			return
		}
		if ValidateP256Point(p) != nil {
			t.Fatal("invalid point accepted")
		}
		if again, err := EncodeP256(Algorithm(alg), p); err != nil || !bytes.Equal(again, b) {
			t.Fatal("accepted a non-canonical encoding")
		}
	})
}
