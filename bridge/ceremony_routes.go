package bridge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/twinkey/twinkey/core"
	"github.com/twinkey/twinkey/core/client"
	"github.com/twinkey/twinkey/core/counter"
	"github.com/twinkey/twinkey/core/rules"
)

// ceremonyRequest is the body of every WebAuthn route. origin, crossOrigin and topOrigin are what the browser
// reported for the calling frame; options are the page's, untrusted.
type ceremonyRequest struct {
	Op            string          `json:"op,omitempty"`
	Origin        string          `json:"origin"`
	CrossOrigin   bool            `json:"crossOrigin"`
	TopOrigin     string          `json:"topOrigin,omitempty"`
	Options       json.RawMessage `json:"options"`
	Approval      *core.Approval  `json:"approval,omitempty"`
	CounterPolicy string          `json:"counterPolicy,omitempty"`
	// Result is the native host's result, for the host-response route only (external_routes.go).
	Result json.RawMessage `json:"result,omitempty"`
}

func (r *ceremonyRequest) caller() (client.Caller, error) {
	c, err := client.NewCaller(r.Origin, r.CrossOrigin, r.TopOrigin)
	if err != nil {
		// The origin comes from the browser: an unparsable one is an opaque origin (sandboxed frame, data:).
		return c, rules.Errorf(rules.KindNotAllowed, "this page's origin cannot use security keys: %v", err)
	}
	return c, nil
}

// decodeCeremony reads a WebAuthn route's body and the caller it names.
func decodeCeremony(body []byte) (*ceremonyRequest, client.Caller, error) {
	var req ceremonyRequest
	if err := decode(body, &req); err != nil {
		return nil, client.Caller{}, err
	}
	caller, err := req.caller()
	return &req, caller, err
}

func (r *ceremonyRequest) approval() core.Approval {
	if r.Approval == nil {
		return core.Approval{}
	}
	return *r.Approval
}

func parsePolicy(name string) (counter.Policy, error) {
	p, err := counter.ParsePolicy(name)
	if err != nil {
		return "", &Error{Status: http.StatusBadRequest, Name: "TypeError", U2FCode: 2, Message: err.Error()}
	}
	return p, nil
}

// prepareAnswer is the answer of the prepare routes (bridge/PROTOCOL.md).
type prepareAnswer struct {
	Op               string   `json:"op"`
	RPID             string   `json:"rpId,omitempty"`
	AppID            string   `json:"appId,omitempty"`
	Handler          string   `json:"handler"`
	Reason           string   `json:"reason,omitempty"`
	Excluded         bool     `json:"excluded"`
	Locked           bool     `json:"locked,omitempty"`
	UserVerification string   `json:"userVerification,omitempty"`
	TimeoutMs        uint32   `json:"timeoutMs,omitempty"`
	User             string   `json:"user,omitempty"`
	KeyHandles       []string `json:"keyHandles,omitempty"`
}

// routingAuthenticator opens the authenticator for routing decisions; a locked or missing vault is not an error
// here, the answer says so instead.
func (s *server) routingAuthenticator(ctx context.Context, a *prepareAnswer) (*core.Authenticator, error) {
	auth, err := s.authenticator(ctx)
	if errors.Is(err, errVaultLocked) || errors.Is(err, errVaultMissing) {
		a.Locked = true
		return nil, nil
	}
	return auth, err
}

func (s *server) webauthnPrepare(ctx context.Context, body []byte) (any, error) {
	req, caller, err := decodeCeremony(body)
	if err != nil {
		return nil, err
	}
	switch req.Op {
	case "create":
		p, err := client.PrepareCreate(caller, req.Options)
		if err != nil {
			return nil, err
		}
		a := &prepareAnswer{Op: req.Op, RPID: p.RPID, Handler: string(p.Handler), Reason: p.Reason,
			UserVerification: p.Options.UserVerification, TimeoutMs: p.Options.TimeoutMs, User: p.Options.User.Name}
		auth, err := s.routingAuthenticator(ctx, a)
		if err != nil {
			return nil, err
		}
		if auth != nil {
			a.Excluded = p.Excluded(auth)
		}
		return a, nil
	case "get":
		p, err := client.PrepareGet(caller, req.Options)
		if err != nil {
			return nil, err
		}
		a := &prepareAnswer{Op: req.Op, RPID: p.RPID, AppID: p.AppID, UserVerification: p.Options.UserVerification,
			TimeoutMs: p.Options.TimeoutMs}
		auth, err := s.routingAuthenticator(ctx, a)
		if err != nil {
			return nil, err
		}
		if auth != nil {
			p.Route(auth)
		}
		a.Handler, a.Reason = string(p.Handler), p.Reason
		return a, nil
	}
	return nil, errBadOp(`"create" or "get"`)
}

// signWith runs op on a plan that the client rules accepted, with the unlocked vault's authenticator: the last
// step of every signing route.
func signWith[P any](ctx context.Context, s *server, plan P, err error, op func(*core.Authenticator, P) (any, error)) (any, error) {
	if err != nil {
		return nil, err
	}
	auth, err := s.authenticator(ctx)
	if err != nil {
		return nil, err
	}
	return op(auth, plan)
}

func (s *server) webauthnCreate(ctx context.Context, body []byte) (any, error) {
	req, caller, err := decodeCeremony(body)
	if err != nil {
		return nil, err
	}
	p, err := client.PrepareCreate(caller, req.Options)
	return signWith(ctx, s, p, err, func(a *core.Authenticator, p *client.CreatePlan) (any, error) {
		return client.Create(ctx, a, p, req.approval())
	})
}

func (s *server) webauthnGet(ctx context.Context, body []byte) (any, error) {
	req, caller, err := decodeCeremony(body)
	if err != nil {
		return nil, err
	}
	policy, err := parsePolicy(req.CounterPolicy)
	if err != nil {
		return nil, err
	}
	p, err := client.PrepareGet(caller, req.Options)
	return signWith(ctx, s, p, err, func(a *core.Authenticator, p *client.GetPlan) (any, error) {
		p.Route(a)
		return client.Get(ctx, a, p, req.approval(), policy)
	})
}

// u2fRequest is the body of every U2F route: the browser-reported origin and the page's U2F 1.1 request fields.
type u2fRequest struct {
	Op            string
	Origin        string
	Approval      *core.Approval
	CounterPolicy string
	Result        json.RawMessage // the native host's result, for the host-response route only
	Request       json.RawMessage // the remaining members, as the page gave them
}

func (u *u2fRequest) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for name, dst := range map[string]any{"op": &u.Op, "origin": &u.Origin, "approval": &u.Approval, "counterPolicy": &u.CounterPolicy, "result": &u.Result} {
		if raw, ok := all[name]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return err
			}
			delete(all, name)
		}
	}
	rest, err := json.Marshal(all)
	u.Request = rest
	return err
}

func (u *u2fRequest) approval() core.Approval {
	if u.Approval == nil {
		return core.Approval{}
	}
	return *u.Approval
}

func (s *server) decodeU2F(body []byte) (*u2fRequest, client.Caller, error) {
	var req u2fRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, client.Caller{}, &Error{Status: http.StatusBadRequest, Name: "TypeError", U2FCode: 2, Message: "malformed bridge request: " + err.Error()}
	}
	c, err := (&ceremonyRequest{Origin: req.Origin}).caller()
	return &req, c, err
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (s *server) u2fPrepare(ctx context.Context, body []byte) (any, error) {
	req, caller, err := s.decodeU2F(body)
	if err != nil {
		return nil, err
	}
	switch req.Op {
	case "register":
		p, err := client.PrepareU2FRegister(caller, req.Request)
		if err != nil {
			return nil, err
		}
		a := &prepareAnswer{Op: req.Op, AppID: p.AppID, Handler: string(p.Handler)}
		auth, err := s.routingAuthenticator(ctx, a)
		if err != nil {
			return nil, err
		}
		if auth != nil {
			a.Excluded = p.Excluded(auth)
		}
		return a, nil
	case "sign":
		p, err := client.PrepareU2FSign(caller, req.Request)
		if err != nil {
			return nil, err
		}
		a := &prepareAnswer{Op: req.Op, AppID: p.AppID}
		auth, err := s.routingAuthenticator(ctx, a)
		if err != nil {
			return nil, err
		}
		if auth != nil {
			p.Route(auth)
			for _, h := range p.KeyHandles(auth) {
				a.KeyHandles = append(a.KeyHandles, b64(h))
			}
		}
		a.Handler = string(p.Handler)
		return a, nil
	}
	return nil, errBadOp(`"register" or "sign"`)
}

func (s *server) u2fRegister(ctx context.Context, body []byte) (any, error) {
	req, caller, err := s.decodeU2F(body)
	if err != nil {
		return nil, err
	}
	p, err := client.PrepareU2FRegister(caller, req.Request)
	return signWith(ctx, s, p, err, func(a *core.Authenticator, p *client.U2FRegisterPlan) (any, error) {
		return client.U2FRegister(ctx, a, p, req.approval())
	})
}

func (s *server) u2fSign(ctx context.Context, body []byte) (any, error) {
	req, caller, err := s.decodeU2F(body)
	if err != nil {
		return nil, err
	}
	policy, err := parsePolicy(req.CounterPolicy)
	if err != nil {
		return nil, err
	}
	p, err := client.PrepareU2FSign(caller, req.Request)
	return signWith(ctx, s, p, err, func(a *core.Authenticator, p *client.U2FSignPlan) (any, error) {
		return client.U2FSign(ctx, a, p, req.approval(), policy)
	})
}
