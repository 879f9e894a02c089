package webauthn

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

func TestClientDataJSONSerialisation(t *testing.T) {
	cases := []struct {
		name string
		cd   ClientData
		want string
	}{
		{"same origin", ClientData{Type: ClientDataCreate, Challenge: []byte{0xde, 0xad, 0xbe, 0xef}, Origin: "https://example.com"},
			`{"type":"webauthn.create","challenge":"3q2-7w","origin":"https://example.com","crossOrigin":false}`},
		{"cross origin", ClientData{Type: ClientDataGet, Challenge: []byte{1}, Origin: "https://a.example", CrossOrigin: true, TopOrigin: "https://top.example"},
			`{"type":"webauthn.get","challenge":"AQ","origin":"https://a.example","crossOrigin":true,"topOrigin":"https://top.example"}`},
		// CCDToString (§5.8.1.1): quote and backslash escaped, controls as lower-case \u00xx, the rest verbatim.
		{"escaping", ClientData{Type: ClientDataGet, Origin: "https://x\"y\\z\n\x1f\u00e9\u2028"},
			`{"type":"webauthn.get","challenge":"","origin":"https://x\"y\\z\u000a\u001f` + "\u00e9\u2028" + `","crossOrigin":false}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.cd.JSON()
			if string(got) != c.want {
				t.Fatalf("\n got %s\nwant %s", got, c.want)
			}
			// An independent JSON parser reads back the same values.
			var back map[string]any
			if err := json.Unmarshal(got, &back); err != nil || back["origin"] != c.cd.Origin || back["type"] != c.cd.Type {
				t.Fatalf("round trip: %v %v", err, back)
			}
		})
	}
}

func testPoint(t *testing.T) []byte {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p, _ := priv.PublicKey.Bytes()
	return p
}

// go-webauthn decodes our COSE key to the same point; the encoding has the documented 77-byte canonical form.
func TestCOSEKeyMatchesGoWebauthn(t *testing.T) {
	point := testPoint(t)
	enc, err := EncodeCOSEKey(point)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != 77 || !bytes.Equal(enc[:10], []byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20}) {
		t.Fatalf("not the RFC 9053 §7.1.1 members in CTAP2 canonical order (CTAP 2.1 §6): %x", enc[:10])
	}
	key, err := webauthncose.ParsePublicKey(enc)
	if err != nil {
		t.Fatal(err)
	}
	ec, ok := key.(webauthncose.EC2PublicKeyData)
	if !ok || !bytes.Equal(ec.XCoord, point[1:33]) || !bytes.Equal(ec.YCoord, point[33:]) || ec.Algorithm != int64(COSEAlgES256) {
		t.Fatalf("go-webauthn read %+v", key)
	}
	back, err := ParseCOSEKey(enc)
	if err != nil || !bytes.Equal(back, point) {
		t.Fatalf("ParseCOSEKey: %v", err)
	}
}

func TestParseCOSEKeyRejects(t *testing.T) {
	point := testPoint(t)
	good, _ := EncodeCOSEKey(point)
	offCurve := bytes.Clone(good)
	offCurve[len(offCurve)-1] ^= 1
	var wrongAlg = bytes.Clone(good)
	wrongAlg[4] = 0x38 // -25
	for name, b := range map[string][]byte{
		"empty": nil, "truncated": good[:40], "off curve": offCurve, "wrong alg": wrongAlg,
		"trailing": append(bytes.Clone(good), 0),
	} {
		if p, err := ParseCOSEKey(b); err == nil || p != nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := EncodeCOSEKey(make([]byte, 65)); err == nil {
		t.Error("encoded an invalid point")
	}
}

func mustCOSEKey(t *testing.T, point []byte) []byte {
	t.Helper()
	k, err := EncodeCOSEKey(point)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSubjectPublicKeyInfo(t *testing.T) {
	point := testPoint(t)
	spki, err := SubjectPublicKeyInfo(point)
	if err != nil || len(spki) != 91 {
		t.Fatalf("%d %v", len(spki), err)
	}
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pub.(*ecdsa.PublicKey).Bytes(); !bytes.Equal(b, point) {
		t.Fatal("SPKI holds another point")
	}
}

// go-webauthn parses our authenticator data with the fields we set.
func TestAuthenticatorDataMatchesGoWebauthn(t *testing.T) {
	point := testPoint(t)
	id := bytes.Repeat([]byte{9}, 65)
	ad := AuthenticatorData{RPIDHash: RPIDHash("example.com"), Flags: FlagUserPresent | FlagBackupEligible | FlagBackupState, SignCount: 7,
		AttestedCredential: &AttestedCredentialData{CredentialID: id, CredentialPublicKey: mustCOSEKey(t, point)}}
	raw, err := ad.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var parsed protocol.AuthenticatorData
	if err := parsed.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	if !parsed.Flags.HasAttestedCredentialData() || !parsed.Flags.HasBackupEligible() || !parsed.Flags.HasBackupState() ||
		parsed.Flags.HasUserVerified() || parsed.Counter != 7 || !bytes.Equal(parsed.AttData.CredentialID, id) ||
		!bytes.Equal(parsed.RPIDHash, ad.RPIDHash[:]) {
		t.Fatalf("go-webauthn read %+v", parsed)
	}
	if _, err := (AuthenticatorData{Flags: FlagBackupState}).Encode(); err == nil {
		t.Fatal("BS without BE accepted")
	}
}

func FuzzParseCOSEKey(f *testing.F) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p, _ := priv.PublicKey.Bytes()
	good, _ := EncodeCOSEKey(p)
	f.Add(good)
	f.Add([]byte{0xa0})
	f.Add([]byte{0xbf, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		point, err := ParseCOSEKey(b)
		if err != nil {
			if point != nil {
				t.Fatal("partial result on error")
			}
			return
		}
		if again, _ := EncodeCOSEKey(point); !bytes.Equal(again, b) {
			t.Fatal("accepted a non-canonical encoding")
		}
	})
}

// ParseAuthenticatorData reads back what Encode writes, with and without attested credential data and extensions.
func TestParseAuthenticatorDataRoundTrip(t *testing.T) {
	key := mustCOSEKey(t, testPoint(t))
	ext := []byte{0xa1, 0x6b, 'h', 'm', 'a', 'c', '-', 's', 'e', 'c', 'r', 'e', 't', 0xf5} // {"hmac-secret": true}
	for name, ad := range map[string]AuthenticatorData{
		"assertion": {RPIDHash: RPIDHash("example.com"), Flags: FlagUserPresent, SignCount: 9},
		"registration": {RPIDHash: RPIDHash("example.com"), Flags: FlagUserPresent | FlagUserVerified,
			AttestedCredential: &AttestedCredentialData{AAGUID: [16]byte{1}, CredentialID: []byte{1, 2, 3}, CredentialPublicKey: key}},
		"extensions": {RPIDHash: RPIDHash("example.com"), Flags: FlagUserPresent, Extensions: ext,
			AttestedCredential: &AttestedCredentialData{CredentialID: []byte{4}, CredentialPublicKey: key}},
	} {
		raw, err := ad.Encode()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back, err := ParseAuthenticatorData(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := ad
		if ad.AttestedCredential != nil {
			want.Flags |= FlagAttestedCredentialData
		}
		if len(ad.Extensions) > 0 {
			want.Flags |= FlagExtensionData
		}
		if !reflect.DeepEqual(*back, want) {
			t.Errorf("%s: parsed %+v, want %+v", name, back, want)
		}
		if ad.AttestedCredential != nil {
			if _, err := ParseCOSEKey(back.AttestedCredential.CredentialPublicKey); err != nil {
				t.Errorf("%s: credential key: %v", name, err)
			}
		}
	}
}

func TestParseAuthenticatorDataRejects(t *testing.T) {
	good, err := AuthenticatorData{Flags: FlagUserPresent, AttestedCredential: &AttestedCredentialData{
		CredentialID: []byte{1}, CredentialPublicKey: mustCOSEKey(t, testPoint(t))}}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ed := bytes.Clone(good[:37])
	ed[32] |= byte(FlagExtensionData)
	for name, b := range map[string][]byte{
		"short":              good[:36],
		"AT without data":    good[:40],
		"zero-length ID":     append(append(bytes.Clone(good[:53]), 0, 0), good[56:]...),
		"truncated key":      good[:len(good)-1],
		"trailing byte":      append(bytes.Clone(good), 0),
		"ED without map":     ed,
		"ED with a non-map":  append(ed, 0x01),
		"key is not a map":   append(bytes.Clone(good[:56]), 0x01),
		"key with dup label": append(bytes.Clone(good[:56]), 0xa2, 0x01, 0x02, 0x01, 0x02),
	} {
		if ad, err := ParseAuthenticatorData(b); err == nil || ad != nil {
			t.Errorf("%s: accepted (%+v)", name, ad)
		}
	}
}

// FuzzParseAuthenticatorData: no panic; a failure returns nothing; a success accounts for every byte (it encodes
// back to the input).
func FuzzParseAuthenticatorData(f *testing.F) {
	base := make([]byte, 37)
	f.Add(base)
	at := append(bytes.Clone(base), make([]byte, 16)...)
	at[32] = byte(FlagAttestedCredentialData | FlagUserPresent)
	at = append(at, 0, 2, 0xAA, 0xBB, 0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x41, 0x00, 0x22, 0x41, 0x00)
	f.Add(at)
	f.Fuzz(func(t *testing.T, data []byte) {
		ad, err := ParseAuthenticatorData(data)
		if err != nil {
			if ad != nil {
				t.Fatal("partial result")
			}
			return
		}
		if byte(ad.Flags) != data[32] || (ad.Flags&FlagAttestedCredentialData != 0) != (ad.AttestedCredential != nil) {
			t.Fatalf("inconsistent %+v", ad)
		}
		if ad.Flags&FlagBackupState != 0 && ad.Flags&FlagBackupEligible == 0 {
			return // Encode refuses BS without BE; a key may still send it
		}
		if ad.Flags&FlagExtensionData != 0 && len(ad.Extensions) == 0 {
			return
		}
		if again, err := ad.Encode(); err != nil || !bytes.Equal(again, data) {
			t.Fatalf("does not encode back: %x (%v)", again, err)
		}
	})
}

func TestEncodeAttestationStatement(t *testing.T) {
	ad, _ := AuthenticatorData{Flags: FlagUserPresent}.Encode()
	obj, err := EncodeAttestationStatement(FormatFIDOU2F, map[string]any{"sig": []byte{1}, "x5c": [][]byte{{2}}}, ad)
	if err != nil {
		t.Fatal(err)
	}
	// CTAP2 canonical order: "fmt" (3 bytes) < "attStmt" (7) < "authData" (8).
	if !bytes.HasPrefix(obj, []byte{0xA3, 0x63, 'f', 'm', 't'}) {
		t.Fatalf("not canonical: % x", obj[:8])
	}
	if _, err := EncodeAttestationStatement("", nil, ad); err == nil {
		t.Fatal("no fmt accepted")
	}
}
