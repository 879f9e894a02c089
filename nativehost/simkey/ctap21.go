package simkey

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/twinkey/twinkey/core/cose"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
)

// CTAP21Key is a CTAP 2.1 authenticator written for Twinkey's tests from the specification (CTAP 2.1 PS: §6 the
// authenticator API, §6.5 authenticatorClientPIN with PIN/UV auth protocols one and two, §11.2 CTAPHID), for
// what virtual-fido v0.2.0 cannot do (its PIN key agreement is broken): a key with a PIN, wrong PINs with
// retries, a blocked PIN, user verification through a pinUvAuthToken, maxCredentialCountInList, discoverable
// credentials with getNextAssertion, authenticatorSelection. It has no U2F: INIT reports NMSG and CTAPHID_MSG
// is refused, as on a FIDO2-only key. The status codes and CBOR keys are transcribed from the spec in this file
// rather than imported from nativehost/ctap2, so that a mistake in the client is not mirrored by the key.
//
// Like Key, a CTAP21Key allows one open Device at a time and serves one transaction at a time; a CBOR request
// that needs a touch runs in its own goroutine, sending KEEPALIVE UPNEEDED every 100 ms, so that CTAPHID_CANCEL
// can stop it (§11.2.9.1.5: the answer is then CTAP2_ERR_KEEPALIVE_CANCEL).
type CTAP21Key struct {
	cfg  CTAP21Config
	path string // state file; empty: memory only

	socket

	mu      sync.Mutex
	nextCID uint32
	st      ctap21State
	agree   *ecdh.PrivateKey // the key-agreement key, regenerated on a wrong PIN (§6.5.5.5)
	token   *pinUvAuthToken
	wrong   int                 // consecutive wrong PINs since power-up (§6.5.5.5: 3 -> PIN_AUTH_BLOCKED)
	queued  []*ctap21Credential // credentials left for getNextAssertion
	queuedQ ctap21Assertion     // the getAssertion they answer
	touches int                 // authenticatorSelection requests, for tests

	unplugArmed atomic.Bool // CTAP21Config.UnplugAtPINRetries: unplug once the next CBOR answer is read
}

// CTAP21Config describes a CTAP21Key.
type CTAP21Config struct {
	// PIN is the key's clientPIN; empty means no PIN is set (clientPin option false).
	PIN string
	// PINRetries is the PIN retry counter of a new key; 8 if 0 (the spec's maximum).
	PINRetries int
	// PINProtocols are the PIN/UV auth protocols offered, in the key's order of preference; {2, 1} if nil.
	PINProtocols []int
	// MaxCredentialCountInList is reported by getInfo (0x07) when above 0.
	MaxCredentialCountInList int
	// TouchDelay is how long the simulated user takes to touch the key; while waiting the key sends KEEPALIVE
	// UPNEEDED every 100 ms.
	TouchDelay time.Duration
	// StateDir keeps the key's state (PIN hash and retries, signature counter, credentials) in
	// StateDir/ctap21-key-state.json across processes. Empty: in memory only.
	StateDir string
	// UnplugAtPINRetries removes the key right after the client has read its answer to getPINRetries (§6.5.5.2),
	// which a client asks just before it asks the user for the PIN: the key is gone while the PIN is asked.
	UnplugAtPINRetries bool
}

const ctap21StateFile = "ctap21-key-state.json"

// ctap21State is what a real key keeps in flash. The simulated key protects nothing real: its file holds the
// credential private keys in the clear.
type ctap21State struct {
	PINHash []byte              `json:"pinHash,omitempty"` // LEFT(SHA-256(PIN), 16), §6.5.5.5
	Retries int                 `json:"retries"`
	Counter uint32              `json:"counter"`
	Creds   []*ctap21Credential `json:"creds"`
	AAGUID  []byte              `json:"aaguid"`
}

type ctap21Credential struct {
	ID           []byte `json:"id"`
	RPID         string `json:"rpId"`
	PrivateKey   []byte `json:"privateKey"` // PKCS #8
	UserID       []byte `json:"userId"`
	UserName     string `json:"userName,omitempty"`
	DisplayName  string `json:"displayName,omitempty"`
	Discoverable bool   `json:"discoverable"`
}

// pinUvAuthToken is the key's current token and its state (§6.5.2.1).
type pinUvAuthToken struct {
	value       []byte
	protocol    int
	permissions byte   // §6.5.5.7: 0x01 makeCredential, 0x02 getAssertion
	rpID        string // permissions RP ID; empty: bound at first use
}

// CTAP 2.1 status codes (§8.2).
const (
	st21OK                 = 0x00
	st21InvalidCommand     = 0x01
	st21InvalidParameter   = 0x02
	st21InvalidCBOR        = 0x12
	st21MissingParameter   = 0x14
	st21CredentialExcluded = 0x19
	st21UnsupportedAlg     = 0x26
	st21UnsupportedOption  = 0x2B
	st21InvalidOption      = 0x2C
	st21KeepaliveCancel    = 0x2D
	st21NoCredentials      = 0x2E
	st21NotAllowed         = 0x30
	st21PINInvalid         = 0x31
	st21PINBlocked         = 0x32
	st21PINAuthInvalid     = 0x33
	st21PINAuthBlocked     = 0x34
	st21PINNotSet          = 0x35
	st21PUATRequired       = 0x36
	st21InvalidSubcommand  = 0x3E
	st21UnauthorizedPerm   = 0x40
)

// NewCTAP21Key creates a CTAP 2.1 key, or loads it from cfg.StateDir.
func NewCTAP21Key(cfg CTAP21Config) (*CTAP21Key, error) {
	if cfg.PINRetries <= 0 {
		cfg.PINRetries = 8
	}
	if cfg.PINProtocols == nil {
		cfg.PINProtocols = []int{2, 1}
	}
	agree, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	k := &CTAP21Key{cfg: cfg, socket: newSocket(), agree: agree}
	if cfg.StateDir != "" {
		if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
			return nil, fmt.Errorf("simkey: state dir: %w", err)
		}
		k.path = filepath.Join(cfg.StateDir, ctap21StateFile)
		b, err := os.ReadFile(k.path)
		switch {
		case err == nil:
			if err := json.Unmarshal(b, &k.st); err != nil {
				return nil, fmt.Errorf("simkey: unreadable state in %s: %w", k.path, err)
			}
			return k, nil
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("simkey: %w", err)
		}
	}
	k.st.Retries = cfg.PINRetries
	k.st.AAGUID = make([]byte, 16)
	rand.Read(k.st.AAGUID)
	if cfg.PIN != "" {
		h := sha256.Sum256([]byte(cfg.PIN))
		k.st.PINHash = h[:16]
	}
	return k, k.save()
}

// save writes the state file (atomically: a crash leaves the old or the new state). Callers hold k.mu or own k.
func (k *CTAP21Key) save() error {
	if k.path == "" {
		return nil
	}
	b, err := json.Marshal(&k.st)
	if err != nil {
		return err
	}
	tmp := k.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("simkey: %w", err)
	}
	return os.Rename(tmp, k.path)
}

// Close releases nothing: the key has no goroutine of its own. It is there for the host's SimulatedKey.
func (k *CTAP21Key) Close() error { return nil }

// Product names the key in device lists.
func (k *CTAP21Key) Product() string { return "CTAP 2.1 PIN key (simulated)" }

// SelectionRequests is how many authenticatorSelection requests the key has answered.
func (k *CTAP21Key) SelectionRequests() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.touches
}

// Open returns the key's report pipe. Only one handle may be open at a time.
func (k *CTAP21Key) Open() (ctaphid.Device, error) {
	if err := k.acquire(); err != nil {
		return nil, err
	}
	return &ctap21Device{handle: handle{sock: &k.socket}, key: k}, nil
}

// ctap21Device is an open handle: it reassembles requests and runs them.
type ctap21Device struct {
	handle
	key    *CTAP21Key
	asm    *ctaphid.Assembler
	asmCID ctaphid.ChannelID
	busy   *ctap21Transaction // the CBOR request being processed
}

type ctap21Transaction struct {
	cid    ctaphid.ChannelID
	cancel chan struct{}
	once   sync.Once
	done   chan struct{}
}

func (d *ctap21Device) Write(report []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.usable(); err != nil {
		return err
	}
	p, err := ctaphid.ParsePacket(report)
	if err != nil {
		return fmt.Errorf("simkey: %w", err)
	}
	if tx := d.busy; tx != nil {
		select {
		case <-tx.done:
			d.busy = nil
		default:
			switch {
			case p.Init && p.Cmd == ctaphid.CmdCancel && p.CID == tx.cid:
				tx.once.Do(func() { close(tx.cancel) })
			case p.Init && p.Cmd == ctaphid.CmdInit: // INIT aborts the channel's transaction (§11.2.9.1.3)
				if p.CID == tx.cid {
					tx.once.Do(func() { close(tx.cancel) })
				}
				d.start(p)
			case p.Init:
				d.key.send(p.CID, ctaphid.CmdError, []byte{byte(ctaphid.ErrChannelBusy)})
			}
			return nil
		}
	}
	if p.Init {
		if p.Cmd == ctaphid.CmdCancel {
			return nil // nothing to cancel; CANCEL has no answer
		}
		d.start(p)
	} else {
		if d.asm == nil || p.CID != d.asmCID {
			return nil // a stray continuation is ignored (§11.2.4)
		}
		if err := d.asm.Add(p); err != nil {
			cid := p.CID
			d.asm = nil
			d.key.send(cid, ctaphid.CmdError, []byte{byte(ctaphid.ErrInvalidSeq)})
			return nil
		}
	}
	if d.asm != nil && d.asm.Done() {
		d.dispatch(p.CID, d.asm.Command(), bytes.Clone(d.asm.Payload()))
		d.asm = nil
	}
	return nil
}

func (d *ctap21Device) start(p ctaphid.Packet) {
	if p.CID == ctaphid.BroadcastCID && p.Cmd != ctaphid.CmdInit {
		d.key.send(p.CID, ctaphid.CmdError, []byte{byte(ctaphid.ErrInvalidChannel)})
		return
	}
	d.asm, _ = ctaphid.NewAssembler(p)
	d.asmCID = p.CID
}

// dispatch answers one complete request (§11.2.9).
func (d *ctap21Device) dispatch(cid ctaphid.ChannelID, cmd ctaphid.Command, payload []byte) {
	k := d.key
	switch cmd {
	case ctaphid.CmdInit:
		if len(payload) != 8 {
			k.send(cid, ctaphid.CmdError, []byte{byte(ctaphid.ErrInvalidLen)})
			return
		}
		newCID := cid
		if cid == ctaphid.BroadcastCID {
			k.mu.Lock()
			k.nextCID++
			binary.BigEndian.PutUint32(newCID[:], 0x21000000+k.nextCID)
			k.mu.Unlock()
		}
		// nonce(8) | CID(4) | protocol version 2 | device version 2.1.0 | capabilities
		resp := append(append(payload, newCID[:]...), 2, 2, 1, 0, byte(ctaphid.CapWink|ctaphid.CapCBOR|ctaphid.CapNMSG))
		k.send(cid, ctaphid.CmdInit, resp)
	case ctaphid.CmdPing:
		k.send(cid, ctaphid.CmdPing, payload)
	case ctaphid.CmdWink:
		k.send(cid, ctaphid.CmdWink, nil)
	case ctaphid.CmdCBOR:
		if len(payload) == 0 {
			k.send(cid, ctaphid.CmdError, []byte{byte(ctaphid.ErrInvalidLen)})
			return
		}
		tx := &ctap21Transaction{cid: cid, cancel: make(chan struct{}), done: make(chan struct{})}
		d.busy = tx
		go func() {
			defer close(tx.done)
			resp := k.cbor(tx, payload)
			k.send(cid, ctaphid.CmdCBOR, resp)
		}()
	default:
		k.send(cid, ctaphid.CmdError, []byte{byte(ctaphid.ErrInvalidCmd)})
	}
}

func (d *ctap21Device) Read(ctx context.Context) ([]byte, error) {
	p, err := d.handle.read(ctx)
	if err == nil && p[4] == byte(ctaphid.CmdCBOR) && d.key.unplugArmed.CompareAndSwap(true, false) {
		defer d.key.Unplug()
	}
	return p, err
}

func (d *ctap21Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closeLocked() && d.busy != nil {
		d.busy.once.Do(func() { close(d.busy.cancel) })
	}
	return nil
}

func (k *CTAP21Key) send(cid ctaphid.ChannelID, cmd ctaphid.Command, payload []byte) {
	packets, err := ctaphid.EncodeMessage(cid, cmd, payload)
	if err != nil {
		packets, _ = ctaphid.EncodeMessage(cid, ctaphid.CmdError, []byte{byte(ctaphid.ErrOther)})
	}
	for _, p := range packets {
		k.socket.send(p)
	}
}

// touch waits for the simulated user's touch, sending KEEPALIVE UPNEEDED every 100 ms (§11.2.9.1.5). It is
// false when the host cancelled.
func (k *CTAP21Key) touch(tx *ctap21Transaction) bool {
	deadline := time.After(k.cfg.TouchDelay)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-deadline:
			return true
		case <-tx.cancel:
			return false
		case <-k.unplugged:
			return false
		case <-tick.C:
			k.send(tx.cid, ctaphid.CmdKeepalive, []byte{byte(ctaphid.StatusUPNeeded)})
		}
	}
}

func status(code byte) []byte { return []byte{code} }

// ctap2CBOR encodes answers in CTAP2 canonical form (§8: definite lengths, map keys sorted length-first).
var ctap2CBOR = func() cbor.EncMode {
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

// canonical reports whether b is in CTAP2 canonical form, as a strict key demands of requests (§8).
func canonical(b []byte) bool {
	var v any
	if err := cbor.Unmarshal(b, &v); err != nil {
		return false
	}
	again, err := ctap2CBOR.Marshal(v)
	return err == nil && bytes.Equal(again, b)
}

func okCBOR(v any) []byte {
	b, err := ctap2CBOR.Marshal(v)
	if err != nil {
		return status(st21InvalidCBOR)
	}
	return append([]byte{st21OK}, b...)
}

// cbor runs one authenticator API command (§6).
func (k *CTAP21Key) cbor(tx *ctap21Transaction, req []byte) []byte {
	var args map[int]cbor.RawMessage
	if len(req) > 1 {
		if err := cbor.Unmarshal(req[1:], &args); err != nil || !canonical(req[1:]) {
			return status(st21InvalidCBOR)
		}
	}
	a := ctap21Args(args)
	switch req[0] {
	case 0x04:
		return k.getInfo()
	case 0x06:
		return k.clientPIN(a)
	case 0x01:
		return k.makeCredential(tx, a)
	case 0x02:
		return k.getAssertion(tx, a)
	case 0x08:
		return k.getNextAssertion()
	case 0x0B: // authenticatorSelection (§6.9)
		k.mu.Lock()
		k.touches++
		k.mu.Unlock()
		if !k.touch(tx) {
			return status(st21KeepaliveCancel)
		}
		return status(st21OK)
	}
	return status(st21InvalidCommand)
}

// ctap21Args are a request's parameters by their integer keys.
type ctap21Args map[int]cbor.RawMessage

// get decodes parameter i into v; it reports whether the parameter was present. A present parameter of the
// wrong type makes ok false and bad true.
func (a ctap21Args) get(i int, v any) (present, bad bool) {
	raw, ok := a[i]
	if !ok {
		return false, false
	}
	if err := cbor.Unmarshal(raw, v); err != nil {
		return true, true
	}
	return true, false
}

func (k *CTAP21Key) getInfo() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	info := map[int]any{
		0x01: []string{"FIDO_2_0", "FIDO_2_1"},
		0x03: k.st.AAGUID,
		0x04: map[string]bool{"rk": true, "up": true, "clientPin": k.st.PINHash != nil, "pinUvAuthToken": true},
		0x05: 1200,
		0x06: k.cfg.PINProtocols,
		0x0A: []map[string]any{{"type": "public-key", "alg": -7}},
	}
	if k.cfg.MaxCredentialCountInList > 0 {
		info[0x07] = k.cfg.MaxCredentialCountInList
		info[0x08] = 128
	}
	return okCBOR(info)
}

func (k *CTAP21Key) offers(protocol int) bool {
	for _, p := range k.cfg.PINProtocols {
		if p == protocol {
			return true
		}
	}
	return false
}

// clientPIN runs authenticatorClientPIN (§6.5.5).
func (k *CTAP21Key) clientPIN(a ctap21Args) []byte {
	var protocol, sub int
	if _, bad := a.get(0x01, &protocol); bad {
		return status(st21InvalidCBOR)
	}
	if present, bad := a.get(0x02, &sub); !present || bad {
		return status(st21MissingParameter)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if sub != 0x01 && !k.offers(protocol) { // getPINRetries needs no protocol
		return status(st21InvalidParameter)
	}
	switch sub {
	case 0x01: // getPINRetries
		if k.cfg.UnplugAtPINRetries {
			k.unplugArmed.Store(true)
		}
		return okCBOR(map[int]any{0x03: k.st.Retries})
	case 0x02: // getKeyAgreement
		pub, err := cose.NewEC2P256(cose.AlgECDHESHKDF256, k.agree.PublicKey().Bytes())
		if err != nil {
			return status(st21InvalidParameter)
		}
		return okCBOR(map[int]any{0x01: pub})
	case 0x05, 0x09: // getPinToken, getPinUvAuthTokenUsingPinWithPermissions
		return k.pinToken(a, protocol, sub)
	}
	return status(st21InvalidSubcommand)
}

// pinToken checks the PIN and issues a token (§6.5.5.7.1, §6.5.5.7.2).
func (k *CTAP21Key) pinToken(a ctap21Args, protocol, sub int) []byte {
	var peer cose.EC2Key
	var pinHashEnc []byte
	var perms int
	var rpID string
	if p, bad := a.get(0x03, &peer); !p || bad {
		return status(st21MissingParameter)
	}
	if p, bad := a.get(0x06, &pinHashEnc); !p || bad {
		return status(st21MissingParameter)
	}
	if sub == 0x09 {
		if p, bad := a.get(0x09, &perms); !p || bad {
			return status(st21MissingParameter)
		}
		if perms == 0 {
			return status(st21InvalidParameter)
		}
		a.get(0x0A, &rpID)
	} else {
		perms = 0x01 | 0x02 // getPinToken: makeCredential and getAssertion (§6.5.5.7.1)
	}
	if k.st.PINHash == nil {
		return status(st21PINNotSet)
	}
	if k.st.Retries == 0 {
		return status(st21PINBlocked)
	}
	if k.wrong >= 3 {
		return status(st21PINAuthBlocked)
	}
	shared, err := k.sharedSecret(protocol, peer)
	if err != nil {
		return status(st21InvalidParameter)
	}
	k.st.Retries--
	if err := k.save(); err != nil {
		return status(st21InvalidParameter)
	}
	pinHash, err := ctap21Decrypt(protocol, shared, pinHashEnc)
	if err != nil || subtle.ConstantTimeCompare(pinHash, k.st.PINHash) != 1 {
		k.agree, _ = ecdh.P256().GenerateKey(rand.Reader)
		k.wrong++
		switch {
		case k.st.Retries == 0:
			return status(st21PINBlocked)
		case k.wrong >= 3:
			return status(st21PINAuthBlocked)
		}
		return status(st21PINInvalid)
	}
	k.st.Retries, k.wrong = k.cfg.PINRetries, 0
	if err := k.save(); err != nil {
		return status(st21InvalidParameter)
	}
	token := make([]byte, 32)
	rand.Read(token)
	k.token = &pinUvAuthToken{value: token, protocol: protocol, permissions: byte(perms), rpID: rpID}
	enc, err := ctap21Encrypt(protocol, shared, token)
	if err != nil {
		return status(st21InvalidParameter)
	}
	return okCBOR(map[int]any{0x02: enc})
}

// sharedSecret is ecdh(peer) of the protocol (§6.5.6: SHA-256(Z); §6.5.7: HKDF-SHA-256 of Z, 64 bytes: the
// HMAC key then the AES key).
func (k *CTAP21Key) sharedSecret(protocol int, peer cose.EC2Key) ([]byte, error) {
	point, err := peer.P256Point()
	if err != nil {
		return nil, err
	}
	pub, err := ecdh.P256().NewPublicKey(point)
	if err != nil {
		return nil, err
	}
	z, err := k.agree.ECDH(pub)
	if err != nil {
		return nil, err
	}
	if protocol == 1 {
		h := sha256.Sum256(z)
		return h[:], nil
	}
	salt := make([]byte, 32)
	hmacKey, err := hkdf.Key(sha256.New, z, salt, "CTAP2 HMAC key", 32)
	if err != nil {
		return nil, err
	}
	aesKey, err := hkdf.Key(sha256.New, z, salt, "CTAP2 AES key", 32)
	if err != nil {
		return nil, err
	}
	return append(hmacKey, aesKey...), nil
}

// ctap21Decrypt is the protocol's decrypt (§6.5.6: AES-256-CBC, zero IV; §6.5.7: IV || ciphertext, AES key is
// the second half of the shared secret).
func ctap21Decrypt(protocol int, shared, ct []byte) ([]byte, error) {
	key, iv := shared, make([]byte, aes.BlockSize)
	if protocol == 2 {
		if len(ct) < aes.BlockSize {
			return nil, errors.New("short ciphertext")
		}
		key, iv, ct = shared[32:], ct[:aes.BlockSize], ct[aes.BlockSize:]
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, errors.New("ciphertext not a whole number of blocks")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)
	return pt, nil
}

func ctap21Encrypt(protocol int, shared, pt []byte) ([]byte, error) {
	key, iv := shared, make([]byte, aes.BlockSize)
	if protocol == 2 {
		key = shared[32:]
		rand.Read(iv)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, pt)
	if protocol == 2 {
		return append(iv, ct...), nil
	}
	return ct, nil
}

// verifyToken checks pinUvAuthParam = authenticate(token, clientDataHash) (§6.5.6: first 16 bytes of the
// HMAC; §6.5.7: all 32) and the token's permission for rpID, binding the token to rpID at first use (§6.5.5.7).
// It returns a status: OK, PIN_AUTH_INVALID or UNAUTHORIZED_PERMISSION.
func (k *CTAP21Key) verifyToken(protocol int, param, cdh []byte, perm byte, rpID string) byte {
	t := k.token
	if t == nil || t.protocol != protocol {
		return st21PINAuthInvalid
	}
	m := hmac.New(sha256.New, t.value)
	m.Write(cdh)
	want := m.Sum(nil)
	if protocol == 1 {
		want = want[:16]
	}
	if !hmac.Equal(want, param) {
		return st21PINAuthInvalid
	}
	if t.permissions&perm == 0 || (t.rpID != "" && t.rpID != rpID) {
		return st21UnauthorizedPerm
	}
	t.rpID = rpID
	return st21OK
}

// userVerification applies the pinUvAuthParam rules shared by makeCredential and getAssertion (§6.1.2 steps
// 1-11, §6.2.2 steps 1-9): a zero-length param asks for a touch then the PIN state; a param needs a protocol
// the key offers and a valid token. uv reports whether the user was verified; code is non-zero on refusal.
func (k *CTAP21Key) userVerification(tx *ctap21Transaction, a ctap21Args, paramKey, protoKey int, cdh []byte,
	perm byte, rpID string) (uv bool, code byte) {
	var param []byte
	present, bad := a.get(paramKey, &param)
	if bad {
		return false, st21InvalidCBOR
	}
	if !present {
		return false, st21OK
	}
	if len(param) == 0 {
		if !k.touch(tx) {
			return false, st21KeepaliveCancel
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.st.PINHash == nil {
			return false, st21PINNotSet
		}
		return false, st21PINInvalid
	}
	var protocol int
	if p, bad := a.get(protoKey, &protocol); !p || bad {
		return false, st21MissingParameter
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.offers(protocol) {
		return false, st21InvalidParameter
	}
	if c := k.verifyToken(protocol, param, cdh, perm, rpID); c != st21OK {
		return false, c
	}
	return true, st21OK
}

type ctap21RP struct {
	ID string `cbor:"id"`
}

type ctap21User struct {
	ID          []byte `cbor:"id"`
	Name        string `cbor:"name,omitempty"`
	DisplayName string `cbor:"displayName,omitempty"`
}

type ctap21Descriptor struct {
	Type string `cbor:"type"`
	ID   []byte `cbor:"id"`
}

type ctap21Param struct {
	Type string `cbor:"type"`
	Alg  int    `cbor:"alg"`
}

// makeCredential is authenticatorMakeCredential (§6.1.2), with "packed" self attestation (WebAuthn §8.2).
func (k *CTAP21Key) makeCredential(tx *ctap21Transaction, a ctap21Args) []byte {
	var cdh []byte
	var rp ctap21RP
	var user ctap21User
	var params []ctap21Param
	var exclude []ctap21Descriptor
	var opts map[string]bool
	for _, f := range []struct {
		key      int
		v        any
		required bool
	}{{0x01, &cdh, true}, {0x02, &rp, true}, {0x03, &user, true}, {0x04, &params, true},
		{0x05, &exclude, false}, {0x07, &opts, false}} {
		present, bad := a.get(f.key, f.v)
		if bad {
			return status(st21InvalidCBOR)
		}
		if f.required && !present {
			return status(st21MissingParameter)
		}
	}
	es256 := false
	for _, p := range params {
		es256 = es256 || (p.Type == "public-key" && p.Alg == -7)
	}
	if !es256 {
		return status(st21UnsupportedAlg)
	}
	if opts["uv"] { // no built-in user verification method (§6.1.2 step 5)
		return status(st21InvalidOption)
	}
	if _, ok := opts["up"]; ok {
		return status(st21InvalidOption) // "up" is not a makeCredential option (§6.1.2 step 5)
	}
	uv, code := k.userVerification(tx, a, 0x08, 0x09, cdh, 0x01, rp.ID)
	if code != st21OK {
		return status(code)
	}
	k.mu.Lock()
	pinSet := k.st.PINHash != nil
	k.mu.Unlock()
	if pinSet && !uv { // makeCredUvNotRqd is not supported: a key with a PIN needs it (§6.1.2 step 6)
		return status(st21PUATRequired)
	}
	k.mu.Lock()
	excluded := false
	for _, d := range exclude {
		if c := k.find(d.ID); c != nil && c.RPID == rp.ID {
			excluded = true
		}
	}
	k.mu.Unlock()
	if !k.touch(tx) { // user presence, also before CREDENTIAL_EXCLUDED (§6.1.2 step 11)
		return status(st21KeepaliveCancel)
	}
	if excluded {
		return status(st21CredentialExcluded)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return status(st21InvalidParameter)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	id := make([]byte, 32)
	rand.Read(id)
	cred := &ctap21Credential{ID: id, RPID: rp.ID, PrivateKey: der, UserID: user.ID, UserName: user.Name,
		DisplayName: user.DisplayName, Discoverable: opts["rk"]}
	pub, _ := priv.PublicKey.ECDH()
	coseKey, err := cose.EncodeP256(cose.AlgES256, pub.Bytes())
	if err != nil {
		return status(st21InvalidParameter)
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	k.st.Creds = append(k.st.Creds, cred)
	flags := byte(0x01 | 0x40) // UP, AT
	if uv {
		flags |= 0x04
	}
	ad, err := k.authData(rp.ID, flags)
	if err != nil {
		return status(st21InvalidParameter)
	}
	ad = append(ad, k.st.AAGUID...)
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(id)))
	ad = append(append(ad, id...), coseKey...)
	sig, err := sign(priv, ad, cdh)
	if err != nil {
		return status(st21InvalidParameter)
	}
	return okCBOR(map[int]any{0x01: "packed", 0x02: ad, 0x03: map[string]any{"alg": -7, "sig": sig}})
}

type ctap21Assertion struct {
	rpID  string
	cdh   []byte
	flags byte
	uv    bool
}

// getAssertion is authenticatorGetAssertion (§6.2.2).
func (k *CTAP21Key) getAssertion(tx *ctap21Transaction, a ctap21Args) []byte {
	var q ctap21Assertion
	var allow []ctap21Descriptor
	var opts map[string]bool
	for _, f := range []struct {
		key      int
		v        any
		required bool
	}{{0x01, &q.rpID, true}, {0x02, &q.cdh, true}, {0x03, &allow, false}, {0x05, &opts, false}} {
		present, bad := a.get(f.key, f.v)
		if bad {
			return status(st21InvalidCBOR)
		}
		if f.required && !present {
			return status(st21MissingParameter)
		}
	}
	if opts["rk"] { // not a getAssertion option (§6.2.2 step 5)
		return status(st21UnsupportedOption)
	}
	if opts["uv"] { // no built-in user verification method
		return status(st21InvalidOption)
	}
	up, upSet := opts["up"]
	if !upSet {
		up = true
	}
	uv, code := k.userVerification(tx, a, 0x06, 0x07, q.cdh, 0x02, q.rpID)
	if code != st21OK {
		return status(code)
	}
	q.uv = uv
	k.mu.Lock()
	var found []*ctap21Credential
	if len(allow) > 0 {
		for _, d := range allow {
			if c := k.find(d.ID); c != nil && c.RPID == q.rpID {
				found = append(found, c)
				break // with an allow list, one credential answers (§6.2.2 step 12)
			}
		}
	} else {
		for i := len(k.st.Creds) - 1; i >= 0; i-- { // most recent first
			if c := k.st.Creds[i]; c.Discoverable && c.RPID == q.rpID {
				found = append(found, c)
			}
		}
	}
	k.mu.Unlock()
	if len(found) == 0 {
		return status(st21NoCredentials)
	}
	if up && !k.touch(tx) {
		return status(st21KeepaliveCancel)
	}
	if up {
		q.flags |= 0x01
	}
	if uv {
		q.flags |= 0x04
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.queued, k.queuedQ = found[1:], q
	return k.assertion(found[0], q, len(allow) == 0, len(found))
}

// getNextAssertion is authenticatorGetNextAssertion (§6.3).
func (k *CTAP21Key) getNextAssertion() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.queued) == 0 {
		return status(st21NotAllowed)
	}
	c := k.queued[0]
	k.queued = k.queued[1:]
	return k.assertion(c, k.queuedQ, true, 0)
}

// assertion signs for c. Callers hold k.mu.
func (k *CTAP21Key) assertion(c *ctap21Credential, q ctap21Assertion, discoverable bool, count int) []byte {
	priv, err := x509.ParsePKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return status(st21InvalidParameter)
	}
	ad, err := k.authData(q.rpID, q.flags)
	if err != nil {
		return status(st21InvalidParameter)
	}
	sig, err := sign(priv.(*ecdsa.PrivateKey), ad, q.cdh)
	if err != nil {
		return status(st21InvalidParameter)
	}
	resp := map[int]any{0x01: ctap21Descriptor{"public-key", c.ID}, 0x02: ad, 0x03: sig}
	if discoverable {
		u := ctap21User{ID: c.UserID}
		if q.uv { // user identifiable information only after user verification (§6.2.2 step 13)
			u.Name, u.DisplayName = c.UserName, c.DisplayName
		}
		resp[0x04] = u
		if count > 1 {
			resp[0x05] = count
		}
	}
	return okCBOR(resp)
}

// find returns the credential with id. Callers hold k.mu.
func (k *CTAP21Key) find(id []byte) *ctap21Credential {
	for _, c := range k.st.Creds {
		if bytes.Equal(c.ID, id) {
			return c
		}
	}
	return nil
}

// authData is rpIdHash || flags || signCount (WebAuthn §6.1), with the counter stepped and saved first.
// Callers hold k.mu.
func (k *CTAP21Key) authData(rpID string, flags byte) ([]byte, error) {
	k.st.Counter++
	if err := k.save(); err != nil {
		return nil, err
	}
	h := sha256.Sum256([]byte(rpID))
	return binary.BigEndian.AppendUint32(append(h[:], flags), k.st.Counter), nil
}

func sign(priv *ecdsa.PrivateKey, authData, cdh []byte) ([]byte, error) {
	h := sha256.Sum256(append(bytes.Clone(authData), cdh...))
	return ecdsa.SignASN1(rand.Reader, priv, h[:])
}
