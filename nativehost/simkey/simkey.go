// Package simkey is a simulated USB security key for tests: github.com/bulwarkid/virtual-fido v0.2.0's CTAPHID,
// CTAP2 and U2F servers, driven in-process at the level of 64-byte HID reports, behind the same ctaphid.Device
// interface as a real key. It exists so that the native host's whole stack (CTAPHID framing, CTAP1, CTAP2, the
// client rules and native messaging) can be exercised end to end against an authenticator we did not write.
//
// The twinkey-host binary uses it only when the environment variable TWINKEY_SIMULATED_KEY is set, which only
// tests do (see nativehost/PROTOCOL.md). A web page cannot set a process environment variable.
//
// How virtual-fido is driven (read from its source, v0.2.0):
//   - ctap_hid.CTAPHIDServer.HandleMessage takes one 64-byte output report; every answer packet lands in an
//     internal queue read with GetResponse. A single pump goroutine moves that queue into a Go channel so that
//     reads can honour a context.
//   - User presence is a callback (fido_client.ClientRequestApprover); here it approves automatically, after
//     Config.TouchDelay. While a CBOR request waits, virtual-fido sends KEEPALIVE UPNEEDED every 100 ms.
//   - virtual-fido panics (in goroutines we cannot recover) on inputs a real key would refuse with an error: a
//     short-form APDU, an unknown command, INIT off the broadcast channel, invalid CBOR, a key handle sealed by
//     another device. The guard in this package reassembles each request and answers those itself, the way a
//     real key would, before anything reaches virtual-fido.
//   - Its CTAPHID server shares maps between goroutines without locks; a Key therefore allows one open Device at
//     a time (like libfido2's exclusive flock on a hidraw node) and the Conn above runs one transaction at a time.
package simkey

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bulwarkid/virtual-fido/ctap"
	"github.com/bulwarkid/virtual-fido/ctap_hid"
	"github.com/bulwarkid/virtual-fido/fido_client"
	"github.com/bulwarkid/virtual-fido/u2f"

	"github.com/twinkey/twinkey/nativehost/ctaphid"
	"github.com/twinkey/twinkey/nativehost/hid"
)

// Errors of the simulated key. ErrUnplugged and ErrInUse wrap the generic transport errors a real key gives in
// the same situation (hid.ErrNotFound, hid.ErrInUse), so that callers never need to name this package.
var (
	ErrUnplugged = fmt.Errorf("simkey: the simulated key was unplugged: %w", hid.ErrNotFound)
	ErrInUse     = fmt.Errorf("simkey: the simulated key is already open: %w", hid.ErrInUse)
	ErrClosed    = errors.New("simkey: device handle closed")
)

// Config describes a simulated key.
type Config struct {
	// StateDir keeps the key's state (device secret, attestation CA, credentials, counters) in
	// StateDir/virtual-fido-state.json across processes, so that a registration made by one host process can be
	// used by the next. Empty: in memory only.
	StateDir string
	// TouchDelay is how long the simulated user takes to touch the key. Above 100 ms, CTAP2 requests see
	// KEEPALIVE UPNEEDED first.
	TouchDelay time.Duration
	// DenyFirstU2FTouches makes the first N U2F REGISTER/AUTHENTICATE requests answer 6985 (touch not yet
	// given), so that the client's polling loop is exercised.
	DenyFirstU2FTouches int
	// UnplugAfterKeepalive removes the key right after it has delivered its first KEEPALIVE packet: the next
	// Read or Write fails as with a real key pulled out mid-ceremony.
	UnplugAfterKeepalive bool
	// PIN, if not empty, is set as the key's clientPIN at creation (only when no saved state exists).
	PIN string
	// U2FOnly hides CTAP2: INIT reports no CBOR capability and CTAPHID_CBOR is refused, like a U2F-only key.
	U2FOnly bool
}

// stateFile is the name of the persisted state inside Config.StateDir.
const stateFile = "virtual-fido-state.json"

// statePassphrase encrypts virtual-fido's state file. The simulated key protects nothing real.
const statePassphrase = "twinkey simulated key (tests only)"

// Key is one simulated authenticator.
type Key struct {
	cfg    Config
	client *fido_client.DefaultFIDOClient
	hid    *ctap_hid.CTAPHIDServer
	ctap   *ctap.CTAPServer
	u2f    *u2f.U2FServer

	socket               // its out queue is filled by the pump
	stop   chan struct{} // closed by Close

	mu       sync.Mutex
	denied   int           // U2F touches denied so far
	initWait chan struct{} // closed by the pump when the pending INIT's answer has been queued
	redo     *redo         // the makeCredential whose answer the pump holds back (redo.go)
}

// handle hands one report to virtual-fido. virtual-fido registers a new channel in an unlocked map from the
// goroutine that answers INIT, and reads that map in HandleMessage; so while an INIT is pending, handle waits
// until the pump has seen its answer (which virtual-fido queues after the map write), even if nobody reads it.
func (k *Key) handle(report []byte) {
	k.awaitInit(10 * time.Second)
	if report[4] == byte(ctaphid.CmdInit) && ctaphid.ChannelID(report[0:4]) == ctaphid.BroadcastCID {
		k.mu.Lock()
		k.initWait = make(chan struct{})
		k.mu.Unlock()
	}
	k.hid.HandleMessage(report)
}

// awaitInit waits, at most limit, until the pump has seen the answer of a pending INIT (none pending: at once).
func (k *Key) awaitInit(limit time.Duration) {
	k.mu.Lock()
	wait := k.initWait
	k.mu.Unlock()
	if wait == nil {
		return
	}
	select {
	case <-wait:
	case <-time.After(limit):
	}
}

// sawPacket is called by the pump for every answer packet.
func (k *Key) sawPacket(p []byte) {
	if p[4] != byte(ctaphid.CmdInit) || ctaphid.ChannelID(p[0:4]) != ctaphid.BroadcastCID {
		return
	}
	k.mu.Lock()
	if k.initWait != nil {
		close(k.initWait)
		k.initWait = nil
	}
	k.mu.Unlock()
}

// New creates a simulated key and starts its pump goroutine; Close stops it.
func New(cfg Config) (*Key, error) {
	store := &stateStore{}
	if cfg.StateDir != "" {
		if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
			return nil, fmt.Errorf("simkey: state dir: %w", err)
		}
		store.path = filepath.Join(cfg.StateDir, stateFile)
	}
	caDER, caKey, err := newAttestationCA()
	if err != nil {
		return nil, err
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, fmt.Errorf("simkey: device secret: %w", err)
	}
	k := &Key{cfg: cfg, socket: newSocket(), stop: make(chan struct{})}
	saved := store.RetrieveData()
	fresh := saved == nil
	if !fresh {
		// virtual-fido panics on a state it cannot decrypt; check first.
		if _, err := fido_client.DecryptFIDOState(saved, statePassphrase); err != nil {
			return nil, fmt.Errorf("simkey: unreadable state in %s: %w", store.path, err)
		}
	}
	k.client = fido_client.NewDefaultClient(caDER, caKey, secret, approver{k}, store)
	if fresh && (cfg.StateDir != "" || cfg.PIN != "") { // each save costs virtual-fido an scrypt
		var pinHash []byte
		if cfg.PIN != "" {
			h := sha256.Sum256([]byte(cfg.PIN))
			pinHash = h[:16]
		}
		k.client.SetPINHash(pinHash) // also persists the freshly generated device secret and CA
	}
	var client fido_client.FIDOClient = k.client
	if cfg.StateDir != "" {
		client = &persistingClient{DefaultFIDOClient: k.client}
	}
	k.ctap = ctap.NewCTAPServer(client)
	k.u2f = u2f.NewU2FServer(client)
	k.hid = ctap_hid.NewCTAPHIDServer(k.ctap, k.u2f)
	go k.pump()
	return k, nil
}

// pump moves virtual-fido's answer packets into k.out until Close.
func (k *Key) pump() {
	for {
		p := k.hid.GetResponse(0, 0)
		select {
		case <-k.stop:
			return
		default:
		}
		if len(p) != ctaphid.ReportSize {
			continue
		}
		k.sawPacket(p)
		if k.cfg.U2FOnly && p[4] == byte(ctaphid.CmdInit) && ctaphid.ChannelID(p[0:4]) == ctaphid.BroadcastCID {
			p[7+16] &^= byte(ctaphid.CapCBOR) // capability flags: INIT payload offset 16 (§5.3)
		}
		for _, q := range k.filter(p) {
			select {
			case k.out <- q:
			case <-k.stop:
				return
			}
		}
	}
}

// Close stops the pump. The Key must not be used afterwards.
func (k *Key) Close() error {
	select {
	case <-k.stop:
		return nil
	default:
	}
	// An INIT still being answered: let the running pump see its answer first (see handle), so that the wake-up
	// below reads virtual-fido's channel map only after that INIT's goroutine wrote it. Once stop is closed the
	// pump no longer reports answers, and handle would wait in vain.
	k.awaitInit(5 * time.Second)
	close(k.stop)
	// Wake the pump if it waits inside GetResponse: a one-byte PING on the broadcast channel makes
	// virtual-fido queue an answer.
	wake := make([]byte, ctaphid.ReportSize)
	copy(wake, ctaphid.BroadcastCID[:])
	wake[4], wake[6], wake[7] = byte(ctaphid.CmdPing), 1, 0x5A
	k.handle(wake)
	return nil
}

// CTAPServer is virtual-fido's CTAP2 handler, for benchmarks that bypass CTAPHID.
func (k *Key) CTAPServer() *ctap.CTAPServer { return k.ctap }

// Open returns the key's report pipe. Only one handle may be open at a time.
func (k *Key) Open() (ctaphid.Device, error) {
	if err := k.acquire(); err != nil {
		return nil, err
	}
	return &device{handle: handle{sock: &k.socket}, key: k, pending: map[ctaphid.ChannelID]*pendingRequest{}}, nil
}

// approver is virtual-fido's user-presence callback: the simulated user touches after TouchDelay.
type approver struct{ k *Key }

func (a approver) ApproveClientAction(action fido_client.ClientAction, _ fido_client.ClientActionRequestParams) bool {
	if a.k.cfg.TouchDelay > 0 {
		time.Sleep(a.k.cfg.TouchDelay)
	}
	if action == fido_client.ClientActionU2FRegister || action == fido_client.ClientActionU2FAuthenticate {
		a.k.mu.Lock()
		defer a.k.mu.Unlock()
		if a.k.denied < a.k.cfg.DenyFirstU2FTouches {
			a.k.denied++
			return false
		}
	}
	return true
}

// persistingClient saves virtual-fido's state after each U2F counter step, which virtual-fido itself only saves
// on CTAP2 operations (SetPINHash with the unchanged hash is its only exported way to save).
type persistingClient struct {
	*fido_client.DefaultFIDOClient
}

func (c *persistingClient) NewAuthenticationCounterId() uint32 {
	n := c.DefaultFIDOClient.NewAuthenticationCounterId()
	c.SetPINHash(c.PINHash())
	return n
}

// stateStore is virtual-fido's ClientDataSaver: a file when path is set, memory otherwise.
type stateStore struct {
	mu   sync.Mutex
	path string
	mem  []byte
}

func (s *stateStore) SaveData(data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem = append([]byte(nil), data...)
	if s.path == "" {
		return
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		fmt.Fprintf(os.Stderr, "simkey: saving state: %v\n", err)
		return
	}
	if err := os.Rename(tmp, s.path); err != nil {
		fmt.Fprintf(os.Stderr, "simkey: saving state: %v\n", err)
	}
}

func (s *stateStore) RetrieveData() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.path == "" {
		return s.mem
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return nil
	}
	return data
}

func (s *stateStore) Passphrase() string { return statePassphrase }

// newAttestationCA makes the self-signed CA that virtual-fido signs U2F attestation certificates with.
func newAttestationCA() ([]byte, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("simkey: CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Twinkey simulated key CA", Organization: []string{"Twinkey tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("simkey: CA certificate: %w", err)
	}
	return der, key, nil
}

// device is an open handle on a Key: the ctaphid.Device the host talks to.
type device struct {
	handle
	key     *Key
	pending map[ctaphid.ChannelID]*pendingRequest
}

func (d *device) Write(report []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.usable(); err != nil {
		return err
	}
	if len(report) != ctaphid.ReportSize {
		return fmt.Errorf("simkey: %w", ctaphid.ErrBadReportSize)
	}
	return d.guard(report)
}

func (d *device) Read(ctx context.Context) ([]byte, error) {
	p, err := d.handle.read(ctx)
	if err == nil && d.key.cfg.UnplugAfterKeepalive && p[4] == byte(ctaphid.CmdKeepalive) {
		defer d.key.Unplug()
	}
	return p, err
}

func (d *device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closeLocked()
	return nil
}

// Product names the key in device lists.
func (k *Key) Product() string { return "virtual-fido (simulated)" }
