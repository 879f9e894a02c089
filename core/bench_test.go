package core_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"filippo.io/nistec"

	"github.com/twinkey/twinkey/core"
	"github.com/twinkey/twinkey/core/counter"
)

// Benchmarks behind BENCHMARKS.md. BenchmarkReferenceECDSASign is the reference measured in the same run: one
// P-256 signature with crypto/ecdsa on a ready key, the floor under any assertion.

func benchAuthenticator(b *testing.B) *core.Authenticator {
	ctr, _ := counter.New(&counter.MemoryStore{}, counter.RolePrimary, 0)
	a, err := core.New([32]byte{7}, ctr, rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	return a
}

func BenchmarkReferenceECDSASign(b *testing.B) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("message"))
	for b.Loop() {
		if _, err := ecdsa.SignASN1(rand.Reader, priv, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRegister(b *testing.B) {
	a := benchAuthenticator(b)
	for b.Loop() {
		if _, err := a.MakeCredential(context.Background(), core.MakeCredentialRequest{RPID: "example.com", Approval: core.Approval{UserPresent: true}}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	a := benchAuthenticator(b)
	cred, _ := a.MakeCredential(context.Background(), core.MakeCredentialRequest{RPID: "example.com", Approval: core.Approval{UserPresent: true}})
	req := core.GetAssertionRequest{RPID: "example.com", AllowList: [][]byte{cred.ID}, Approval: core.Approval{UserPresent: true}}
	for b.Loop() {
		if _, err := a.GetAssertion(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyHandle(b *testing.B) {
	a := benchAuthenticator(b)
	cred, _ := a.MakeCredential(context.Background(), core.MakeCredentialRequest{RPID: "example.com", Approval: core.Approval{UserPresent: true}})
	allow := [][]byte{cred.ID}
	for b.Loop() {
		if _, _, err := a.FindCredential("example.com", "", allow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReferenceP256ScalarBaseMult is the fixed-base point multiplication inside every signature
// (filippo.io/nistec, the same code as crypto/ecdsa's): with BenchmarkReferenceECDSASign it shows how much of a
// signature is the curve and how much the rest (nonce, scalar inversion, encoding).
func BenchmarkReferenceP256ScalarBaseMult(b *testing.B) {
	scalar := sha256.Sum256([]byte("scalar"))
	for b.Loop() {
		if _, err := nistec.NewP256Point().ScalarBaseMult(scalar[:]); err != nil {
			b.Fatal(err)
		}
	}
}
