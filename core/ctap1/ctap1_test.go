package ctap1

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

func TestParseCommand(t *testing.T) {
	data := bytes.Repeat([]byte{0xab}, 64)
	cases := []struct {
		name string
		apdu []byte
		want error
		le   int
		data []byte
	}{
		{"case 1", []byte{0, 3, 0, 0}, nil, 0, nil},
		{"case 2E version", []byte{0, 3, 0, 0, 0, 0, 0}, nil, 65536, nil},
		{"case 3E", append([]byte{0, 1, 3, 0, 0, 0, 64}, data...), nil, 0, data},
		{"case 4E", append(append([]byte{0, 1, 3, 0, 0, 0, 64}, data...), 0, 0), nil, 65536, data},
		{"case 4E Le 256", append(append([]byte{0, 1, 3, 0, 0, 0, 64}, data...), 1, 0), nil, 256, data},
		{"too short", []byte{0, 3, 0}, SWWrongLength, 0, nil},
		{"short-form Lc", append([]byte{0, 1, 3, 0, 64}, data...), SWWrongLength, 0, nil},
		{"Lc larger than data", append([]byte{0, 1, 3, 0, 0, 0, 65}, data...), SWWrongLength, 0, nil},
		{"Lc zero", []byte{0, 1, 3, 0, 0, 0, 0, 1}, SWWrongLength, 0, nil},
		{"trailing byte", append(append([]byte{0, 1, 3, 0, 0, 0, 64}, data...), 0), SWWrongLength, 0, nil},
		{"bad CLA", []byte{0x80, 3, 0, 0, 0, 0, 0}, SWClaNotSupported, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd, err := ParseCommand(c.apdu)
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if err != nil {
				if cmd.Data != nil || cmd.INS != 0 {
					t.Fatal("partial result on error")
				}
				return
			}
			if cmd.Le != c.le || !bytes.Equal(cmd.Data, c.data) {
				t.Fatalf("Le %d data %x", cmd.Le, cmd.Data)
			}
		})
	}
}

func TestEncodeParsesBack(t *testing.T) {
	cmd := Command{INS: InsAuthenticate, P1: byte(ControlCheckOnly), Data: []byte{1, 2, 3}}
	enc, err := cmd.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseCommand(enc)
	if err != nil || got.INS != cmd.INS || got.P1 != cmd.P1 || !bytes.Equal(got.Data, cmd.Data) || got.Le != 65536 {
		t.Fatalf("%+v %v", got, err)
	}
	// VERSION in the extended form with Le (ISO 7816-4 §5.1 case 2E), as Chromium sends it: 00 03 00 00 00 00 00.
	if v, err := (Command{INS: InsVersion}).Encode(); err != nil || !bytes.Equal(v, []byte{0, 3, 0, 0, 0, 0, 0}) {
		t.Fatalf("VERSION encodes as %x (%v)", v, err)
	}
	if _, err := (Command{INS: InsRegister, Data: make([]byte, 0x10000)}).Encode(); err != ErrDataTooLong {
		t.Fatalf("65536 bytes of data: %v, want ErrDataTooLong", err)
	}
	// Requests encode to what the authenticator's parsers read back.
	reg := RegisterRequest{Challenge: [32]byte{1}, Application: [32]byte{2}}
	if back, err := ParseRegisterRequest(reg.Encode()); err != nil || back != reg {
		t.Fatalf("REGISTER data round trip: %+v %v", back, err)
	}
	auth := AuthenticateRequest{Control: ControlEnforceUserPresence, Challenge: [32]byte{3}, Application: [32]byte{4}, KeyHandle: []byte{5, 6}}
	data, err := auth.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if back, err := ParseAuthenticateRequest(byte(auth.Control), data); err != nil || back.Challenge != auth.Challenge ||
		back.Application != auth.Application || !bytes.Equal(back.KeyHandle, auth.KeyHandle) {
		t.Fatalf("AUTHENTICATE data round trip: %+v %v", back, err)
	}
	if _, err := (AuthenticateRequest{KeyHandle: make([]byte, 256)}).Encode(); err != ErrKeyHandleTooLong {
		t.Fatalf("256-byte key handle: %v, want ErrKeyHandleTooLong", err)
	}
	// Response APDUs.
	if body, sw, err := ParseResponse(EncodeResponse([]byte{7}, SWNoError)); err != nil || sw != SWNoError || !bytes.Equal(body, []byte{7}) {
		t.Fatalf("response round trip: %x %v %v", body, sw, err)
	}
	if _, _, err := ParseResponse([]byte{0x90}); err == nil {
		t.Fatal("1-byte response APDU parsed")
	}
}

func TestParseAuthenticateRequest(t *testing.T) {
	kh := bytes.Repeat([]byte{7}, 65)
	good := append(append(make([]byte, 64), byte(len(kh))), kh...)
	for _, p1 := range []Control{ControlEnforceUserPresence, ControlCheckOnly, ControlDontEnforceUserPresence} {
		r, err := ParseAuthenticateRequest(byte(p1), good)
		if err != nil || r.Control != p1 || !bytes.Equal(r.KeyHandle, kh) {
			t.Fatalf("control %x: %v", p1, err)
		}
	}
	if _, err := ParseAuthenticateRequest(0x04, good); err != SWWrongData {
		t.Fatalf("unknown control: %v", err)
	}
	if _, err := ParseAuthenticateRequest(3, good[:len(good)-1]); err != SWWrongLength {
		t.Fatalf("short handle: %v", err)
	}
	if _, err := ParseAuthenticateRequest(3, good[:64]); err != SWWrongLength {
		t.Fatalf("no length byte: %v", err)
	}
	if _, err := ParseRegisterRequest(make([]byte, 63)); err != SWWrongLength {
		t.Fatalf("short register: %v", err)
	}
}

type specExamples struct {
	Register     struct{ AppID, ClientData, RegistrationDataHex string }
	Authenticate struct{ AppID, ClientData, SignatureDataHex, UserPublicKeyHex string }
}

func loadExamples(t *testing.T) specExamples {
	var ex specExamples
	b, err := os.ReadFile("testdata/u2f_spec_examples.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ex); err != nil || ex.Register.RegistrationDataHex == "" || ex.Authenticate.SignatureDataHex == "" {
		t.Fatalf("no vectors loaded: %v", err)
	}
	return ex
}

// The U2F spec's registration example (raw messages §8.1): our layout of the signed data is what the example's
// attestation key signed, and our encoder rebuilds the example response byte for byte.
func TestSpecRegistrationExample(t *testing.T) {
	ex := loadExamples(t).Register
	raw, _ := hex.DecodeString(ex.RegistrationDataHex)
	pub, khLen := raw[1:66], int(raw[66])
	kh := raw[67 : 67+khLen]
	var certRaw asn1.RawValue
	sig, err := asn1.Unmarshal(raw[67+khLen:], &certRaw)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(certRaw.FullBytes)
	if err != nil {
		t.Fatal(err)
	}
	app, chal := sha256.Sum256([]byte(ex.AppID)), sha256.Sum256([]byte(ex.ClientData))
	digest := sha256.Sum256(RegisterSignedData(app, chal, kh, pub))
	if !ecdsa.VerifyASN1(cert.PublicKey.(*ecdsa.PublicKey), digest[:], sig) {
		t.Fatal("the example's signature does not verify over RegisterSignedData")
	}
	enc, err := RegisterResponse{PublicKey: [65]byte(pub), KeyHandle: kh, AttestationCert: certRaw.FullBytes, Signature: sig}.Encode()
	if err != nil || !bytes.Equal(enc, raw) {
		t.Fatalf("encoding the example's pieces does not rebuild it: %v", err)
	}
	parsed, err := ParseRegisterResponse(raw)
	if err != nil || parsed.PublicKey != [65]byte(pub) || !bytes.Equal(parsed.KeyHandle, kh) ||
		!bytes.Equal(parsed.AttestationCert, certRaw.FullBytes) || !bytes.Equal(parsed.Signature, sig) || !bytes.Equal(parsed.Raw, raw) {
		t.Fatalf("parsing the example: %+v %v", parsed, err)
	}
}

// The U2F spec's authentication example (raw messages §8.2).
func TestSpecAuthenticationExample(t *testing.T) {
	ex := loadExamples(t).Authenticate
	raw, _ := hex.DecodeString(ex.SignatureDataHex)
	pubBytes, _ := hex.DecodeString(ex.UserPublicKeyHex)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pubBytes)
	if err != nil {
		t.Fatal(err)
	}
	up, counter := raw[0], uint32(raw[1])<<24|uint32(raw[2])<<16|uint32(raw[3])<<8|uint32(raw[4])
	app, chal := sha256.Sum256([]byte(ex.AppID)), sha256.Sum256([]byte(ex.ClientData))
	digest := sha256.Sum256(AuthenticateSignedData(app, up, counter, chal))
	if !ecdsa.VerifyASN1(pub, digest[:], raw[5:]) {
		t.Fatal("the example's signature does not verify over AuthenticateSignedData")
	}
	if enc := (AuthenticateResponse{UserPresence: up, Counter: counter, Signature: raw[5:]}).Encode(); !bytes.Equal(enc, raw) {
		t.Fatal("encoding the example's pieces does not rebuild it")
	}
	parsed, err := ParseAuthenticateResponse(raw)
	if err != nil || parsed.UserPresence != up || parsed.Counter != counter || !bytes.Equal(parsed.Signature, raw[5:]) || !bytes.Equal(parsed.Raw, raw) {
		t.Fatalf("parsing the example: %+v %v", parsed, err)
	}
}

func TestSelfSignedCertificateParses(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := SelfSignedCertificate(&priv.PublicKey, func(m []byte) ([]byte, error) {
		d := sha256.Sum256(m)
		return ecdsa.SignASN1(rand.Reader, priv, d[:])
	})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("crypto/x509 cannot parse our certificate: %v", err)
	}
	if cert.Version != 3 || cert.IsCA || !cert.BasicConstraintsValid || cert.Subject.CommonName != attestationSubjectCN {
		t.Fatalf("certificate fields: v%d CA=%v subject=%v", cert.Version, cert.IsCA, cert.Subject)
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Fatal(err)
	}
	if !cert.PublicKey.(*ecdsa.PublicKey).Equal(&priv.PublicKey) {
		t.Fatal("certificate key is not the credential key")
	}
}

func FuzzParseCommand(f *testing.F) {
	f.Add([]byte{0, 3, 0, 0, 0, 0, 0})
	f.Add(append([]byte{0, 1, 3, 0, 0, 0, 64}, make([]byte, 64)...))
	f.Add(append(append([]byte{0, 2, 7, 0, 0, 0, 66}, make([]byte, 65)...), 1, 0, 0))
	f.Fuzz(func(t *testing.T, apdu []byte) {
		cmd, err := ParseCommand(apdu)
		if err != nil {
			if cmd.Data != nil {
				t.Fatal("partial result on error")
			}
			return
		}
		switch cmd.INS {
		case InsRegister:
			ParseRegisterRequest(cmd.Data)
		case InsAuthenticate:
			if r, err := ParseAuthenticateRequest(cmd.P1, cmd.Data); err == nil && len(r.KeyHandle) != int(cmd.Data[64]) {
				t.Fatal("key handle length mismatch")
			}
		}
	})
}

func TestStatusWordNames(t *testing.T) {
	if SWConditionsNotSatisfied.String() != "SW_CONDITIONS_NOT_SATISFIED" || StatusWord(0x6F01).String() != "SW(0x6f01)" {
		t.Fatal("StatusWord.String")
	}
	if got := SWWrongData.Error(); got != "ctap1: SW_WRONG_DATA (0x6a80)" {
		t.Fatalf("SWWrongData.Error() = %q", got)
	}
}
