package webauthn

import (
	"crypto/sha256"
	"errors"

	"github.com/twinkey/twinkey/core/ctapcbor"
)

// AttestationFormat names an attestation statement format (WebAuthn L3 §8).
type AttestationFormat string

const (
	FormatNone    AttestationFormat = "none"     // §8.7: empty statement (the default)
	FormatPacked  AttestationFormat = "packed"   // §8.2: self attestation, signed by the credential key
	FormatFIDOU2F AttestationFormat = "fido-u2f" // §8.6: per-registration self-signed certificate
)

// attestationObject is the CBOR map of WebAuthn L3 §6.5.4. CTAP2 canonical order puts "fmt" (3 bytes) before
// "attStmt" (7) before "authData" (8).
type attestationObject struct {
	Fmt      string         `cbor:"fmt"`
	AttStmt  map[string]any `cbor:"attStmt"`
	AuthData []byte         `cbor:"authData"`
}

// SignFunc signs message (not a digest) with the credential's P-256 key, returning an ASN.1 DER ECDSA signature.
type SignFunc func(message []byte) ([]byte, error)

// CertFunc returns the DER attestation certificate for the fido-u2f format.
type CertFunc func() ([]byte, error)

// AttestationInput is what every format needs.
type AttestationInput struct {
	AuthData       []byte // encoded authenticator data with AT set
	ClientDataHash [32]byte
	// For fido-u2f only: the pieces of the U2F registration signature (W3C §8.6 verification step 5).
	RPIDHash     [32]byte
	CredentialID []byte
	PublicKey    []byte // 04||X||Y
}

// EncodeAttestationObject builds the attestation object for format f. sign is the credential key's signer (packed
// self attestation and fido-u2f both sign with it); cert is used only for fido-u2f.
func EncodeAttestationObject(f AttestationFormat, in AttestationInput, sign SignFunc, cert CertFunc) ([]byte, error) {
	obj := attestationObject{Fmt: string(f), AttStmt: map[string]any{}, AuthData: in.AuthData}
	switch f {
	case FormatNone:
	case FormatPacked:
		// §8.2 signing procedure, self attestation: sig over authenticatorData || clientDataHash.
		sig, err := sign(append(append([]byte(nil), in.AuthData...), in.ClientDataHash[:]...))
		if err != nil {
			return nil, err
		}
		obj.AttStmt["alg"] = COSEAlgES256
		obj.AttStmt["sig"] = sig
	case FormatFIDOU2F:
		// §8.6: sig over 0x00 || rpIdHash || clientDataHash || credentialId || publicKeyU2F, the U2F registration
		// signature of U2F raw messages v1.2 §4.3.
		msg := make([]byte, 0, 1+32+32+len(in.CredentialID)+65)
		msg = append(msg, 0x00)
		msg = append(msg, in.RPIDHash[:]...)
		msg = append(msg, in.ClientDataHash[:]...)
		msg = append(msg, in.CredentialID...)
		msg = append(msg, in.PublicKey...)
		sig, err := sign(msg)
		if err != nil {
			return nil, err
		}
		der, err := cert()
		if err != nil {
			return nil, err
		}
		obj.AttStmt["sig"] = sig
		obj.AttStmt["x5c"] = [][]byte{der}
	default:
		return nil, errors.New("webauthn: unknown attestation format " + string(f))
	}
	return ctapcbor.Marshal(obj)
}

// EncodeAttestationStatement builds the attestation object (WebAuthn L3 §6.5.4) of a statement that an
// authenticator produced: a CTAP2 authenticatorMakeCredential response's fmt, attStmt and authData (CTAP 2.1
// §6.1.2, §6.5.3 of WebAuthn L3), or a U2F registration in the fido-u2f format (WebAuthn L3 §8.6, CTAP 2.1 §10.2:
// sig and x5c). Values of attStmt may be cbor.RawMessage, kept byte for byte. The object is CTAP2 canonical CBOR.
func EncodeAttestationStatement(format AttestationFormat, attStmt map[string]any, authData []byte) ([]byte, error) {
	if format == "" || len(authData) < authDataMinLength {
		return nil, errors.New("webauthn: attestation object without fmt or authData")
	}
	if attStmt == nil {
		attStmt = map[string]any{}
	}
	return ctapcbor.Marshal(attestationObject{Fmt: string(format), AttStmt: attStmt, AuthData: authData})
}

// RPIDHash is SHA-256 of the RP ID (or of the AppID for U2F-registered credentials).
func RPIDHash(rpID string) [32]byte { return sha256.Sum256([]byte(rpID)) }
