package ctap1

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Object identifiers used in the attestation certificate (RFC 5280, RFC 5758 §3.2, RFC 5480 §2.1.1).
var (
	oidECDSAWithSHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECPublicKey       = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidPrime256v1        = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidCommonName        = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidBasicConstraints  = asn1.ObjectIdentifier{2, 5, 29, 19}
	attestationSubjectCN = "Twinkey U2F"
)

// Signer signs a message (not a digest) with ECDSA-P256-SHA256 and returns the DER signature.
type Signer func(message []byte) ([]byte, error)

// SelfSignedCertificate builds the X.509v3 attestation certificate for one registration (RFC 5280 §4.1).
//
// Privacy: U2F asks for an attestation certificate, and a device-wide one would let sites link a user. Twinkey
// issues a fresh self-signed certificate per registration for the credential's own key: subject and issuer
// "CN=Twinkey U2F", a serial derived from the public key (SHA-256, first 16 bytes, positive), fixed validity
// 2020-01-01 to 9999-12-31 (RFC 5280 §4.1.2.5: no well-defined expiry; also no registration time leaks), and one
// extension, basicConstraints CA=false. Everything in it is derived from the credential public key, which the site
// receives anyway, so it reveals nothing new.
func SelfSignedCertificate(pub *ecdsa.PublicKey, sign Signer) ([]byte, error) {
	point, err := pub.Bytes()
	if err != nil {
		return nil, fmt.Errorf("ctap1: certificate public key: %w", err)
	}
	serial := sha256.Sum256(point)
	serial[0] &= 0x7f // positive INTEGER
	if serial[0] == 0 {
		serial[0] = 0x01 // keep the DER encoding exactly 16 bytes
	}

	var tbs cryptobyte.Builder
	tbs.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1Int64(2) // v3
		})
		b.AddASN1(cbasn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(serial[:16]) })
		addAlgorithm(b, oidECDSAWithSHA256)
		addName(b, attestationSubjectCN)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.UTCTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte("200101000000Z")) })
			b.AddASN1(cbasn1.GeneralizedTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte("99991231235959Z")) })
		})
		addName(b, attestationSubjectCN)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidECPublicKey)
				b.AddASN1ObjectIdentifier(oidPrime256v1)
			})
			b.AddASN1BitString(point)
		})
		b.AddASN1(cbasn1.Tag(3).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(oidBasicConstraints)
					b.AddASN1Boolean(true) // critical
					b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(*cryptobyte.Builder) {}) // cA DEFAULT FALSE
					})
				})
			})
		})
	})
	tbsBytes, err := tbs.Bytes()
	if err != nil {
		return nil, fmt.Errorf("ctap1: encoding certificate: %w", err)
	}
	sig, err := sign(tbsBytes)
	if err != nil {
		return nil, fmt.Errorf("ctap1: signing certificate: %w", err)
	}
	var cert cryptobyte.Builder
	cert.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbsBytes)
		addAlgorithm(b, oidECDSAWithSHA256)
		b.AddASN1BitString(sig)
	})
	return cert.Bytes()
}

func addAlgorithm(b *cryptobyte.Builder, oid asn1.ObjectIdentifier) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oid) })
}

func addName(b *cryptobyte.Builder, cn string) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidCommonName)
				b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(cn)) })
			})
		})
	})
}
