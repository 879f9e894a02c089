package simkey_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/twinkey/twinkey/nativehost/ctap2"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/simkey"
)

func openCTAP21(t *testing.T, k *simkey.CTAP21Key) (*ctaphid.Conn, *ctap2.Client) {
	t.Helper()
	dev, err := k.Open()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ctaphid.Open(context.Background(), dev, ctaphid.Options{CancelGrace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := ctap2.NewClient(conn)
	if _, err := c.GetInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
	return conn, c
}

func newCTAP21(t *testing.T, cfg simkey.CTAP21Config) *simkey.CTAP21Key {
	t.Helper()
	k, err := simkey.NewCTAP21Key(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func cdh(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// makeWithToken registers on rp with a pinUvAuthParam made from token.
func makeWithToken(c *ctap2.Client, p ctap2.PINProtocol, token []byte, rp string, rk bool) (*ctap2.MakeCredentialResponse, error) {
	req := &ctap2.MakeCredentialRequest{ClientDataHash: cdh("mc"), RP: ctap2.RPEntity{ID: rp},
		User:             ctap2.UserEntity{ID: []byte("user-" + rp), Name: "ann"},
		PubKeyCredParams: []ctap2.CredentialParameter{{Type: "public-key", Alg: ctap2.AlgES256}},
		PinUvAuthParam:   ctap2.Authenticate(p, token, cdh("mc")), PinUvAuthProtocol: uint64(p)}
	if rk {
		req.Options = map[string]bool{"rk": true}
	}
	return c.MakeCredential(context.Background(), req, nil)
}

// TestCTAP21KeyBothPINProtocols: for each PIN/UV auth protocol alone, our client gets a token (the key decrypts
// the PIN hash and encrypts the token the protocol's way) and the key accepts pinUvAuthParam made with it, and
// sets UV; a token for protocol 1 is refused as a protocol 2 param.
func TestCTAP21KeyBothPINProtocols(t *testing.T) {
	for _, p := range []ctap2.PINProtocol{ctap2.PINProtocolOne, ctap2.PINProtocolTwo} {
		k := newCTAP21(t, simkey.CTAP21Config{PIN: "2468", PINProtocols: []int{int(p)}})
		_, c := openCTAP21(t, k)
		ctx := context.Background()
		token, err := c.GetPINToken(ctx, p, "2468", ctap2.PermissionMakeCredential|ctap2.PermissionGetAssertion, "example.com")
		if err != nil {
			t.Fatalf("protocol %d: GetPINToken: %v", p, err)
		}
		mc, err := makeWithToken(c, p, token, "example.com", false)
		if err != nil {
			t.Fatalf("protocol %d: MakeCredential: %v", p, err)
		}
		if flags := mc.AuthData[32]; flags&0x05 != 0x05 {
			t.Fatalf("protocol %d: flags %02x lack UP|UV", p, flags)
		}
		// The token is bound to example.com by its permissions RP ID.
		if _, err := makeWithToken(c, p, token, "other.example", false); !errors.Is(err, ctap2.StatusUnauthorizedPermission) {
			t.Fatalf("protocol %d: token for another RP = %v", p, err)
		}
		other := ctap2.PINProtocolOne + ctap2.PINProtocolTwo - p
		if _, err := makeWithToken(c, other, token, "example.com", false); err == nil {
			t.Fatalf("protocol %d: a param made with protocol %d was accepted", p, other)
		}
		if _, err := c.GetPINToken(ctx, other, "2468", 0, ""); !errors.Is(err, ctap2.StatusInvalidParameter) {
			t.Fatalf("protocol %d: GetPINToken with the protocol not offered = %v", p, err)
		}
	}
}

// TestCTAP21KeyWrongPINs: each wrong PIN costs a retry; three in a row block PIN auth until the key is
// replugged (PIN_AUTH_BLOCKED, §6.5.5.5); the count survives a new key object on the same state dir, and
// PIN_BLOCKED comes when none are left.
func TestCTAP21KeyWrongPINs(t *testing.T) {
	dir := t.TempDir()
	k := newCTAP21(t, simkey.CTAP21Config{PIN: "2468", PINRetries: 4, StateDir: dir})
	_, c := openCTAP21(t, k)
	ctx := context.Background()
	var got []error
	for range 3 {
		_, err := c.GetPINToken(ctx, ctap2.PINProtocolTwo, "1111", 0, "")
		got = append(got, err)
	}
	if !errors.Is(got[0], ctap2.StatusPINInvalid) || !errors.Is(got[1], ctap2.StatusPINInvalid) || !errors.Is(got[2], ctap2.StatusPINAuthBlocked) {
		t.Fatalf("three wrong PINs: %v", got)
	}
	if _, err := c.GetPINToken(ctx, ctap2.PINProtocolTwo, "2468", 0, ""); !errors.Is(err, ctap2.StatusPINAuthBlocked) {
		t.Fatalf("right PIN while auth-blocked = %v", err)
	}
	if r, _, err := c.GetPINRetries(ctx, ctap2.PINProtocolTwo); err != nil || r != 1 {
		t.Fatalf("retries %d, %v; want 1", r, err)
	}

	replugged := newCTAP21(t, simkey.CTAP21Config{PIN: "ignored: state exists", StateDir: dir})
	_, c = openCTAP21(t, replugged)
	if _, err := c.GetPINToken(ctx, ctap2.PINProtocolTwo, "1111", 0, ""); !errors.Is(err, ctap2.StatusPINBlocked) {
		t.Fatalf("last wrong PIN = %v, want PIN_BLOCKED", err)
	}
	if _, err := c.GetPINToken(ctx, ctap2.PINProtocolTwo, "2468", 0, ""); !errors.Is(err, ctap2.StatusPINBlocked) {
		t.Fatalf("right PIN once blocked = %v", err)
	}
}

// TestCTAP21KeyDiscoverableAndState: discoverable credentials come back most recent first with
// numberOfCredentials and getNextAssertion; user names only with UV; credentials and the counter persist.
func TestCTAP21KeyDiscoverableAndState(t *testing.T) {
	dir := t.TempDir()
	k := newCTAP21(t, simkey.CTAP21Config{PIN: "2468", StateDir: dir})
	_, c := openCTAP21(t, k)
	ctx := context.Background()
	token, err := c.GetPINToken(ctx, ctap2.PINProtocolTwo, "2468", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	first, err := makeWithToken(c, ctap2.PINProtocolTwo, token, "example.com", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := makeWithToken(c, ctap2.PINProtocolTwo, token, "example.com", true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.MakeCredential(ctx, &ctap2.MakeCredentialRequest{ClientDataHash: cdh("x"), RP: ctap2.RPEntity{ID: "example.com"},
		User: ctap2.UserEntity{ID: []byte{1}}, PubKeyCredParams: []ctap2.CredentialParameter{{Type: "public-key", Alg: -7}}}, nil); !errors.Is(err, ctap2.StatusPUATRequired) {
		t.Fatalf("MakeCredential without a token on a key with a PIN = %v", err)
	}

	_, c = openCTAP21(t, newCTAP21(t, simkey.CTAP21Config{StateDir: dir}))
	as, err := c.GetAssertion(ctx, &ctap2.GetAssertionRequest{RPID: "example.com", ClientDataHash: cdh("ga")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if as.NumberOfCredentials != 2 || as.User == nil || as.User.Name != "" || as.AuthData[32] != 0x01 {
		t.Fatalf("first assertion: n=%d user=%+v flags=%02x", as.NumberOfCredentials, as.User, as.AuthData[32])
	}
	next, err := c.GetNextAssertion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := [][]byte{as.Credential.ID, next.Credential.ID}
	if !slices.ContainsFunc(ids, func(id []byte) bool { return string(id) == string(credentialID(first)) }) {
		t.Fatalf("the first credential is not among %x", ids)
	}
	if c1, c2 := counter(as.AuthData), counter(next.AuthData); c1 <= counter(first.AuthData) || c2 <= c1 {
		t.Fatalf("counters %d then %d after %d", c1, c2, counter(first.AuthData))
	}
	if _, err := c.GetNextAssertion(ctx); !errors.Is(err, ctap2.StatusNotAllowed) {
		t.Fatalf("third getNextAssertion = %v", err)
	}
}

// TestCTAP21KeyCancelWhileWaitingForTouch: the key sends KEEPALIVE UPNEEDED while it waits; a cancelled context
// makes the client send CTAPHID_CANCEL and the key answers KEEPALIVE_CANCEL, after which the channel works.
func TestCTAP21KeyCancelWhileWaitingForTouch(t *testing.T) {
	k := newCTAP21(t, simkey.CTAP21Config{TouchDelay: time.Hour})
	conn, c := openCTAP21(t, k)
	ctx, cancel := context.WithCancel(context.Background())
	keepalives := 0
	err := c.Selection(ctx, func(s ctaphid.KeepaliveStatus) {
		if s == ctaphid.StatusUPNeeded {
			if keepalives++; keepalives == 2 {
				cancel()
			}
		}
	})
	if !errors.Is(err, context.Canceled) || keepalives < 2 {
		t.Fatalf("Selection = %v after %d keepalives", err, keepalives)
	}
	if err := conn.Ping(context.Background(), []byte("still there")); err != nil {
		t.Fatalf("PING after cancel: %v", err)
	}
	if k.SelectionRequests() != 1 {
		t.Fatalf("%d selection requests", k.SelectionRequests())
	}
}

// TestCTAP21KeyRefusals: malformed or unsupported requests get the spec's status, never a hang.
func TestCTAP21KeyRefusals(t *testing.T) {
	k := newCTAP21(t, simkey.CTAP21Config{})
	conn, _ := openCTAP21(t, k)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		req  []byte
		want byte
	}{
		{"unknown command", []byte{0x7F}, 0x01},
		{"invalid CBOR", []byte{0x01, 0xA1}, 0x12},
		{"makeCredential without parameters", []byte{0x01, 0xA0}, 0x14},
		{"clientPIN getPINToken with no PIN set", []byte{0x06, 0xA4, 0x01, 0x02, 0x02, 0x05, 0x03, 0xA5, 0x01, 0x02, 0x03, 0x38, 0x18, 0x20, 0x01, 0x21, 0x40, 0x22, 0x40, 0x06, 0x40}, 0x35},
		{"clientPIN unknown subcommand", []byte{0x06, 0xA2, 0x01, 0x02, 0x02, 0x0F}, 0x3E},
		{"getNextAssertion with nothing queued", []byte{0x08}, 0x30},
	} {
		resp, err := conn.Transact(ctx, ctaphid.CmdCBOR, tc.req, nil)
		if err != nil || len(resp) == 0 || resp[0] != tc.want {
			t.Errorf("%s: %x, %v; want status %02x", tc.name, resp, err, tc.want)
		}
	}
	if _, err := conn.Transact(ctx, ctaphid.CmdMsg, []byte{0, 3, 0, 0, 0}, nil); !errors.Is(err, ctaphid.ErrInvalidCmd) {
		t.Errorf("CTAPHID_MSG on a FIDO2-only key = %v", err)
	}
	if !conn.Info().Capabilities.Has(ctaphid.CapNMSG) {
		t.Errorf("capabilities %x lack NMSG", conn.Info().Capabilities)
	}
}

func credentialID(mc *ctap2.MakeCredentialResponse) []byte {
	n := int(mc.AuthData[53])<<8 | int(mc.AuthData[54])
	return mc.AuthData[55 : 55+n]
}

func counter(authData []byte) uint32 {
	return uint32(authData[33])<<24 | uint32(authData[34])<<16 | uint32(authData[35])<<8 | uint32(authData[36])
}

// FuzzCTAP21KeyRequests: whatever CBOR request arrives, the key answers with a status byte (no panic, no hang)
// and the channel keeps working.
func FuzzCTAP21KeyRequests(f *testing.F) {
	for _, seed := range [][]byte{{0x04}, {0x01, 0xA0}, {0x02, 0xA2, 0x01, 0x61, 'a', 0x02, 0x40}, {0x06, 0xA2, 0x01, 0x02, 0x02, 0x02},
		{0x06, 0xA2, 0x01, 0x01, 0x02, 0x09}, {0x0B}, {0x08}, {0x01, 0xFF}} {
		f.Add(seed)
	}
	k, err := simkey.NewCTAP21Key(simkey.CTAP21Config{PIN: "2468"})
	if err != nil {
		f.Fatal(err)
	}
	dev, err := k.Open()
	if err != nil {
		f.Fatal(err)
	}
	conn, err := ctaphid.Open(context.Background(), dev, ctaphid.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, req []byte) {
		if len(req) == 0 || len(req) > 1024 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := conn.Transact(ctx, ctaphid.CmdCBOR, req, nil)
		if err != nil || len(resp) == 0 {
			t.Fatalf("request %x: %x, %v", req, resp, err)
		}
	})
}

// TestCTAP21KeyRefusesNonCanonicalCBOR: like a strict key, requests must be canonical CTAP2 CBOR (§8): here a
// getAssertion map with keys 2 before 1.
func TestCTAP21KeyRefusesNonCanonicalCBOR(t *testing.T) {
	conn, _ := openCTAP21(t, newCTAP21(t, simkey.CTAP21Config{}))
	req := []byte{0x02, 0xA2, 0x02, 0x41, 0x00, 0x01, 0x61, 'a'}
	resp, err := conn.Transact(context.Background(), ctaphid.CmdCBOR, req, nil)
	if err != nil || len(resp) != 1 || resp[0] != 0x12 {
		t.Fatalf("non-canonical request: %x, %v; want INVALID_CBOR", resp, err)
	}
}
