package bridge

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/twinkey/twinkey/core/client"
)

// The host routes serve ceremonies a USB security key answers through the native host (nativehost/PROTOCOL.md).
// The service worker sends the same body as to prepare; host-request answers the host message to send
// ({"type", "params"}, params carrying SHA-256 of the client data), host-response takes the host's result in
// "result" and answers the page's response with the same client data bytes. Client data is serialised in one
// place (core/client) for both the software key and the USB key, so a relying party sees identical bytes from
// either. Neither route touches the vault: they work locked, and without a vault at all.

func errBadOp(ops string) error {
	return &Error{Status: http.StatusBadRequest, Name: "TypeError", U2FCode: 2, Message: "op must be " + ops}
}

// hostResult decodes the host's result; a malformed one is the host's fault, not the page's.
func hostResult(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return &Error{Status: http.StatusBadRequest, Name: "TypeError", U2FCode: 2, Message: "result is missing"}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return hostResultError(err)
	}
	return nil
}

// hostResultError maps a result that does not fit the request (client.ErrHostResult, or undecodable JSON) to
// NotReadableError: the page learns the key's answer could not be used.
func hostResultError(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Status: http.StatusBadGateway, Name: "NotReadableError", U2FCode: 1, Message: "The security key's answer is malformed: " + err.Error()}
}

// fromHost decodes the host's result for plan (prepared again from the same body, so the same client rules and
// client data apply) and builds the page's answer with build.
func fromHost[P, R, A any](plan P, err error, raw json.RawMessage, build func(P, *R) (A, error)) (any, error) {
	if err != nil {
		return nil, err
	}
	var r R
	if err := hostResult(raw, &r); err != nil {
		return nil, err
	}
	answer, err := build(plan, &r)
	if err != nil {
		return nil, hostResultError(err)
	}
	return answer, nil
}

func (s *server) webauthnHostRequest(_ context.Context, body []byte) (any, error) {
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
		return p.HostRequest(), nil
	case "get":
		p, err := client.PrepareGet(caller, req.Options)
		if err != nil {
			return nil, err
		}
		return p.HostRequest(), nil
	}
	return nil, errBadOp(`"create" or "get"`)
}

func (s *server) webauthnHostResponse(_ context.Context, body []byte) (any, error) {
	req, caller, err := decodeCeremony(body)
	if err != nil {
		return nil, err
	}
	switch req.Op {
	case "create":
		p, err := client.PrepareCreate(caller, req.Options)
		return fromHost(p, err, req.Result, (*client.CreatePlan).RegistrationFromHost)
	case "get":
		p, err := client.PrepareGet(caller, req.Options)
		return fromHost(p, err, req.Result, (*client.GetPlan).AssertionFromHost)
	}
	return nil, errBadOp(`"create" or "get"`)
}

func (s *server) u2fHostRequest(_ context.Context, body []byte) (any, error) {
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
		return p.HostRequest(), nil
	case "sign":
		p, err := client.PrepareU2FSign(caller, req.Request)
		if err != nil {
			return nil, err
		}
		return p.HostRequest(), nil
	}
	return nil, errBadOp(`"register" or "sign"`)
}

func (s *server) u2fHostResponse(_ context.Context, body []byte) (any, error) {
	req, caller, err := s.decodeU2F(body)
	if err != nil {
		return nil, err
	}
	switch req.Op {
	case "register":
		p, err := client.PrepareU2FRegister(caller, req.Request)
		return fromHost(p, err, req.Result, (*client.U2FRegisterPlan).RegisterFromHost)
	case "sign":
		p, err := client.PrepareU2FSign(caller, req.Request)
		return fromHost(p, err, req.Result, (*client.U2FSignPlan).SignFromHost)
	}
	return nil, errBadOp(`"register" or "sign"`)
}
