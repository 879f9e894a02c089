// Package ctap1 is the client side of FIDO U2F raw messages (CTAP1) over CTAPHID_MSG (CTAP 2.1 §11.2.9.1.1):
// REGISTER, AUTHENTICATE (enforce-user-presence and check-only) and VERSION, and the polling loop on 6985 (user
// presence not yet given). The wire format (APDUs, status words, request and response data) is core/ctap1's,
// shared with the authenticator.
package ctap1

import (
	"context"
	"errors"
	"fmt"
	"time"

	u2fmsg "github.com/twinkey/twinkey/core/ctap1"
	"github.com/twinkey/twinkey/nativehost/ctaphid"
)

// Transport carries one CTAPHID message; *ctaphid.Conn implements it.
type Transport interface {
	Transact(ctx context.Context, cmd ctaphid.Command, payload []byte, onKeepalive func(ctaphid.KeepaliveStatus)) ([]byte, error)
}

// Decisions.
var (
	// ErrKeyHandleNotRecognized: the key did not create this key handle for this application parameter (6A80,
	// or 6700/6984 from keys that answer a foreign handle that way; Chromium and libfido2 do the same).
	ErrKeyHandleNotRecognized = errors.New("ctap1: key handle not recognised by this key")
)

// Client sends U2F commands over a Transport.
type Client struct {
	t            Transport
	pollInterval time.Duration
}

// DefaultPollInterval is Chromium's kU2fRetryDelay (device/fido/fido_constants.h), the interval at which Chromium
// re-sends a U2F command answered with 6985.
const DefaultPollInterval = 200 * time.Millisecond

// NewClient returns a client that re-sends on 6985 every pollInterval (DefaultPollInterval if <= 0).
func NewClient(t Transport, pollInterval time.Duration) *Client {
	if pollInterval <= 0 {
		pollInterval = DefaultPollInterval
	}
	return &Client{t: t, pollInterval: pollInterval}
}

// send transmits one APDU and splits the answer.
func (c *Client) send(ctx context.Context, ins u2fmsg.Instruction, p1 byte, data []byte) ([]byte, u2fmsg.StatusWord, error) {
	apdu, err := u2fmsg.Command{INS: ins, P1: p1, Data: data}.Encode()
	if err != nil {
		return nil, 0, err
	}
	resp, err := c.t.Transact(ctx, ctaphid.CmdMsg, apdu, nil)
	if err != nil {
		return nil, 0, err
	}
	return u2fmsg.ParseResponse(resp)
}

// poll re-sends an APDU while the key answers 6985, "test of user presence required" (U2F raw messages v1.2
// §3.3). onWaiting (may be nil) is called once, at the first 6985: the moment to tell the user to touch the key.
func (c *Client) poll(ctx context.Context, ins u2fmsg.Instruction, p1 byte, data []byte, onWaiting func()) ([]byte, error) {
	for first := true; ; first = false {
		body, sw, err := c.send(ctx, ins, p1, data)
		if err != nil {
			return nil, err
		}
		if sw != u2fmsg.SWConditionsNotSatisfied {
			if sw != u2fmsg.SWNoError {
				return nil, sw
			}
			return body, nil
		}
		if first && onWaiting != nil {
			onWaiting()
		}
		select {
		case <-time.After(c.pollInterval):
		case <-ctx.Done():
			return nil, fmt.Errorf("ctap1: waiting for a touch: %w", ctx.Err())
		}
	}
}

// Version returns the key's U2F version string ("U2F_V2").
func (c *Client) Version(ctx context.Context) (string, error) {
	body, sw, err := c.send(ctx, u2fmsg.InsVersion, 0, nil)
	if err != nil {
		return "", err
	}
	if sw != u2fmsg.SWNoError {
		return "", sw
	}
	return string(body), nil
}

// Register runs REGISTER(challenge, application), polling until the user touches the key.
func (c *Client) Register(ctx context.Context, challenge, application [32]byte, onWaiting func()) (*u2fmsg.RegisterResponse, error) {
	data := u2fmsg.RegisterRequest{Challenge: challenge, Application: application}.Encode()
	body, err := c.poll(ctx, u2fmsg.InsRegister, 0x00, data, onWaiting)
	if err != nil {
		return nil, fmt.Errorf("ctap1: REGISTER: %w", err)
	}
	return u2fmsg.ParseRegisterResponse(body)
}

// notMine reports whether sw is one of the answers keys give for "not my key handle": 6A80 (U2F raw messages
// v1.2 §5.4), and 6700 or 6984 from keys that answer a foreign handle that way.
func notMine(sw u2fmsg.StatusWord) bool {
	return sw == u2fmsg.SWWrongData || sw == u2fmsg.SWWrongLength || sw == u2fmsg.SWDataInvalid
}

// notRecognized maps the status words keys use for "not my key handle" to ErrKeyHandleNotRecognized.
func notRecognized(err error) error {
	var sw u2fmsg.StatusWord
	if errors.As(err, &sw) && notMine(sw) {
		return fmt.Errorf("%w (%s)", ErrKeyHandleNotRecognized, sw.String())
	}
	return err
}

// Authenticate runs AUTHENTICATE with enforce-user-presence, polling until the user touches the key. A key
// handle the key does not own gives ErrKeyHandleNotRecognized.
func (c *Client) Authenticate(ctx context.Context, challenge, application [32]byte, keyHandle []byte, onWaiting func()) (*u2fmsg.AuthenticateResponse, error) {
	data, err := u2fmsg.AuthenticateRequest{Challenge: challenge, Application: application, KeyHandle: keyHandle}.Encode()
	if err != nil {
		return nil, err
	}
	body, err := c.poll(ctx, u2fmsg.InsAuthenticate, byte(u2fmsg.ControlEnforceUserPresence), data, onWaiting)
	if err != nil {
		return nil, fmt.Errorf("ctap1: AUTHENTICATE: %w", notRecognized(err))
	}
	return u2fmsg.ParseAuthenticateResponse(body)
}

// CheckKeyHandle asks, without user presence, whether the key owns keyHandle for application (check-only,
// U2F raw messages v1.2 §5.1): 6985 means yes, 6A80 (or 6700, 6984) no.
func (c *Client) CheckKeyHandle(ctx context.Context, application [32]byte, keyHandle []byte) (bool, error) {
	data, err := u2fmsg.AuthenticateRequest{Application: application, KeyHandle: keyHandle}.Encode()
	if err != nil {
		return false, err
	}
	_, sw, err := c.send(ctx, u2fmsg.InsAuthenticate, byte(u2fmsg.ControlCheckOnly), data)
	if err != nil {
		return false, fmt.Errorf("ctap1: check-only: %w", err)
	}
	switch {
	case sw == u2fmsg.SWConditionsNotSatisfied:
		return true, nil
	case notMine(sw):
		return false, nil
	}
	return false, fmt.Errorf("ctap1: check-only: %w", sw)
}

// BogusRegisterParam are the challenge and application python-fido2 uses for a REGISTER whose only purpose is to
// collect a touch (fido2/client/__init__.py, dummy_param: 32 zero bytes): "already registered" and "no credential
// on this key" still need the user to act before the client answers.
var BogusRegisterParam = [32]byte{}

// WaitForTouch runs a throw-away REGISTER and discards the result.
func (c *Client) WaitForTouch(ctx context.Context, onWaiting func()) error {
	data := u2fmsg.RegisterRequest{Challenge: BogusRegisterParam, Application: BogusRegisterParam}.Encode()
	_, err := c.poll(ctx, u2fmsg.InsRegister, 0x00, data, onWaiting)
	return err
}
