package webauthn

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
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
		t.Fatalf("not the canonical layout of PROTOCOLS §4.3: %x", enc[:10])
	}
	key, err := webauthncose.ParsePublicKey(enc)
	if err != nil {
		t.Fatal(err)
	}
	ec, ok := key.(webauthncose.EC2PublicKeyData)
	if !ok || !bytes.Equal(ec.XCoord, point[1:33]) || !bytes.Equal(ec.YCoord, point[33:]) || ec.Algorithm != COSEAlgES256 {
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
		AttestedCredential: &AttestedCredentialData{CredentialID: id, PublicKey: point}}
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
