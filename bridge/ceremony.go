package bridge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/twinkey/twinkey/core"
	"github.com/twinkey/twinkey/core/client"
	"github.com/twinkey/twinkey/core/rules"
	"github.com/twinkey/twinkey/core/settings"
	"github.com/twinkey/twinkey/core/vault"
)

// A ceremony is one page request from decision to answer (bridge/PROTOCOL.md "Ceremonies"). The page's request
// is parsed once, in decide; the ceremony then lives in this instance's memory under an unguessable id until
// approve, host-result or end answers it. A new instance (service worker restart) knows none: their ports closed
// with the old worker anyway.

// maxCeremonies bounds the open ceremonies (the service worker keeps at most one per tab).
const maxCeremonies = 256

// ceremonyLifetime is longer than any ceremony's timer (rules.MaxTimeoutMs) plus a USB key's last moments.
const ceremonyLifetime = 11 * time.Minute

// Back-off after a person denied a request: a page that asks again at once is refused without a prompt. The
// first denial of an origin blocks it for backoffFirst, each further one within backoffStreak of the last
// doubles that, up to backoffMax; an approval of the same origin resets it. Short enough that a person who
// denied by mistake can try again in a moment, and a page that re-asks in a loop opens one prompt per window.
const (
	backoffFirst  = 3 * time.Second
	backoffMax    = 60 * time.Second
	backoffStreak = 2 * time.Minute
)

type openCeremony struct {
	c       *client.Ceremony
	created time.Time
	origin  string // the caller's origin, for the back-off
}

type backoff struct {
	until, last time.Time
	streak      int
}

// keyUVAt keeps when the passphrase was last entered (Unix ms, decimal) in Session storage: user verification
// from an earlier passphrase is opt-in (settings.UVWindowMinutes) and lasts at most the browser session.
const keyUVAt = "uvAt"

// keySettings is the settings record in Local storage (core/settings).
const keySettings = "settings"

func (s *server) markVerified(ctx context.Context) error {
	return s.env.Session.Set(ctx, keyUVAt, []byte(strconv.FormatInt(s.env.Now().UnixMilli(), 10)))
}

func (s *server) uvAt(ctx context.Context) time.Time {
	b, err := s.env.Session.Get(ctx, keyUVAt)
	if err != nil || b == nil {
		return time.Time{}
	}
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func (s *server) loadSettings(ctx context.Context) (settings.Settings, error) {
	b, err := s.env.Local.Get(ctx, keySettings)
	if err != nil {
		return settings.Settings{}, err
	}
	if b == nil {
		return settings.Defaults(), nil
	}
	return settings.Parse(b), nil
}

func (s *server) settingsGet(ctx context.Context, body []byte) (any, error) {
	if err := decode(body, &struct{}{}); err != nil {
		return nil, err
	}
	return s.loadSettings(ctx)
}

func (s *server) settingsSet(ctx context.Context, body []byte) (any, error) {
	var req struct {
		Settings json.RawMessage `json:"settings"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	current, err := s.loadSettings(ctx)
	if err != nil {
		return nil, err
	}
	next := settings.Merge(current, req.Settings)
	b, err := json.Marshal(next)
	if err != nil {
		return nil, err
	}
	return next, s.env.Local.Set(ctx, keySettings, b)
}

// vaultState opens what the decision needs: the vault's state and, unlocked, its authenticator.
func (s *server) vaultState(ctx context.Context) (client.VaultState, *core.Authenticator, error) {
	auth, err := s.authenticator(ctx)
	switch {
	case errors.Is(err, errVaultMissing):
		return client.VaultMissing, nil, nil
	case errors.Is(err, errVaultLocked):
		return client.VaultLocked, nil, nil
	case err != nil:
		return 0, nil, err
	}
	return client.VaultUnlocked, auth, nil
}

type decideRequest struct {
	Op      client.Op       `json:"op"`
	Frame   rules.Frame     `json:"frame"`
	TabBusy bool            `json:"tabBusy"`
	Request json.RawMessage `json:"request"`
}

// decideAnswer is client.Decision plus the id of the ceremony it opened.
type decideAnswer struct {
	client.Decision
	Ceremony string `json:"ceremony,omitempty"`
}

func (s *server) ceremonyDecide(ctx context.Context, body []byte) (any, error) {
	var req decideRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	st, err := s.loadSettings(ctx)
	if err != nil {
		return nil, err
	}
	state, auth, err := s.vaultState(ctx)
	if err != nil {
		return nil, err
	}
	now := s.env.Now()
	d := client.Decide(client.Facts{
		Op: req.Op, Frame: req.Frame, TabBusy: req.TabBusy, Untrusted: req.Request, Settings: st,
		Vault: state, Auth: auth, Now: now, UVAt: s.uvAt(ctx), BackoffUntil: s.backoffUntil(req.Frame.Origin),
	})
	answer := decideAnswer{Decision: d}
	if d.Ceremony != nil {
		id, err := s.open(d.Ceremony, req.Frame.Origin, now)
		if err != nil {
			return nil, err
		}
		answer.Ceremony = id
		if d.Ceremony.SignsWithCounter() {
			s.reserveLater()
		}
	}
	return answer, nil
}

// reserveLater reserves the role's next counter value once this request has been answered, while the prompt
// opens, so the durable write is not on the path between a person's approval and the page's answer
// (core/counter "Reserving ahead"). A failure only means the signing route reserves itself.
func (s *server) reserveLater() {
	go func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		ctx := context.Background()
		c, ctr, err := s.unlockedCounter(ctx)
		if err != nil {
			return
		}
		c.Wipe()
		ctr.ReserveAhead(ctx)
	}()
}

// open keeps c under a new id, dropping expired ceremonies (and the oldest when full).
func (s *server) open(c *client.Ceremony, origin string, now time.Time) (string, error) {
	var oldestID string
	var oldest time.Time
	for id, oc := range s.ceremonies {
		if now.Sub(oc.created) > ceremonyLifetime {
			delete(s.ceremonies, id)
			continue
		}
		if oldestID == "" || oc.created.Before(oldest) {
			oldestID, oldest = id, oc.created
		}
	}
	if len(s.ceremonies) >= maxCeremonies {
		delete(s.ceremonies, oldestID)
	}
	var raw [16]byte
	if _, err := s.env.Rand.Read(raw[:]); err != nil {
		return "", err
	}
	id := "c-" + base64.RawURLEncoding.EncodeToString(raw[:])
	s.ceremonies[id] = &openCeremony{c: c, created: now, origin: origin}
	return id, nil
}

func (s *server) backoffUntil(origin string) time.Time {
	if b, ok := s.backoffs[origin]; ok {
		return b.until
	}
	return time.Time{}
}

func (s *server) denied(origin string, now time.Time) {
	b, ok := s.backoffs[origin]
	if !ok || now.Sub(b.last) > backoffStreak {
		b = &backoff{}
		s.backoffs[origin] = b
	}
	wait := backoffFirst << min(b.streak, 5)
	b.streak++
	b.last = now
	b.until = now.Add(min(wait, backoffMax))
}

type ceremonyRef struct {
	Ceremony string `json:"ceremony"`
}

// forgotten answers a ceremony id this instance does not know: the page's answer, not a bridge failure.
func forgotten(op client.Op) client.Outcome {
	return client.Outcome{Type: client.OutcomeAnswer, Error: client.ToPageError(client.ErrForgotten, op), Activity: "error"}
}

func (s *server) lookup(id string) *openCeremony {
	return s.ceremonies[id]
}

// finish forgets a ceremony once its outcome is the page's answer, and resets the back-off on success.
func (s *server) finish(id string, oc *openCeremony, out client.Outcome) client.Outcome {
	if out.Type == client.OutcomeAnswer || out.Type == client.OutcomeBrowser {
		delete(s.ceremonies, id)
		if out.Error == nil {
			delete(s.backoffs, oc.origin)
		}
	}
	return out
}

func (s *server) ceremonyNoHost(_ context.Context, body []byte) (any, error) {
	var req ceremonyRef
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	oc := s.lookup(req.Ceremony)
	if oc == nil {
		return decideAnswer{Decision: client.Decision{Type: client.DecideRefuse, Error: client.ToPageError(client.ErrForgotten, "")}}, nil
	}
	d := oc.c.NoHost()
	if d.Type != client.DecidePrompt {
		delete(s.ceremonies, req.Ceremony)
		return decideAnswer{Decision: d}, nil
	}
	return decideAnswer{Decision: d, Ceremony: req.Ceremony}, nil
}

func (s *server) ceremonyApprove(ctx context.Context, body []byte) (any, error) {
	var req struct {
		Ceremony   string `json:"ceremony"`
		Passphrase string `json:"passphrase"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	oc := s.lookup(req.Ceremony)
	if oc == nil {
		return forgotten(""), nil
	}
	c := oc.c
	typed := false
	if req.Passphrase != "" {
		if err := s.unlockWith(ctx, req.Passphrase); err != nil {
			if errors.Is(err, vault.ErrWrongPassphrase) {
				return client.WrongPassphrase(), nil
			}
			return nil, err
		}
		typed = true
	}
	state, auth, err := s.vaultState(ctx)
	if err != nil {
		return nil, err
	}
	if state != client.VaultUnlocked {
		auth = nil
	}
	return s.finish(req.Ceremony, oc, c.Approve(ctx, auth, typed)), nil
}

// unlockWith opens the vault with the passphrase typed in a prompt, keeps its unlock key for the session and
// records the moment as the last user verification.
func (s *server) unlockWith(ctx context.Context, passphrase string) error {
	file, err := s.vaultFile(ctx)
	if err != nil {
		return err
	}
	c, key, err := vault.Open(file, passphrase)
	if err != nil {
		return err
	}
	c.Wipe()
	if err := s.env.Session.Set(ctx, keyVaultKey, key); err != nil {
		return err
	}
	return s.markVerified(ctx)
}

func (s *server) ceremonyHostResult(_ context.Context, body []byte) (any, error) {
	var req struct {
		Ceremony string          `json:"ceremony"`
		Result   json.RawMessage `json:"result"`
		Error    *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	oc := s.lookup(req.Ceremony)
	if oc == nil {
		return forgotten(""), nil
	}
	if req.Error != nil {
		return s.finish(req.Ceremony, oc, oc.c.HostError(req.Error.Code, req.Error.Message)), nil
	}
	return s.finish(req.Ceremony, oc, oc.c.HostResult(req.Result)), nil
}

func (s *server) ceremonyEnd(_ context.Context, body []byte) (any, error) {
	var req struct {
		Ceremony string `json:"ceremony"`
		Reason   string `json:"reason"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	oc := s.lookup(req.Ceremony)
	if oc == nil {
		return struct{}{}, nil
	}
	delete(s.ceremonies, req.Ceremony)
	switch client.EndReason(req.Reason) {
	case client.EndDenied:
		s.denied(oc.origin, s.env.Now())
		return struct {
			Error *client.PageError `json:"error"`
		}{oc.c.End(client.EndDenied)}, nil
	case client.EndTimeout:
		return struct {
			Error *client.PageError `json:"error"`
		}{oc.c.End(client.EndTimeout)}, nil
	case "aborted":
		return struct{}{}, nil // the page left: no one to answer
	}
	return nil, &Error{Status: http.StatusBadRequest, Name: "TypeError", U2FCode: 2, Message: `reason must be "denied", "timeout" or "aborted"`}
}
