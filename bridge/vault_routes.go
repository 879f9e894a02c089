package bridge

import (
	"context"
	"net/http"

	"github.com/twinkey/twinkey/core/vault"
)

type statusAnswer struct {
	Exists   bool       `json:"exists"`
	Unlocked bool       `json:"unlocked"`
	Role     vault.Role `json:"role,omitempty"`
}

func (s *server) vaultStatus(ctx context.Context, _ []byte) (any, error) {
	file, err := s.env.Local.Get(ctx, keyVault)
	if err != nil || file == nil {
		return statusAnswer{}, err
	}
	h, err := vault.Inspect(file)
	if err != nil {
		return nil, err
	}
	_, err = s.openVault(ctx)
	return statusAnswer{Exists: true, Unlocked: err == nil, Role: h.Role}, nil
}

// seal writes a new vault file and keeps its unlock key in the session (unlocked).
func (s *server) seal(ctx context.Context, passphrase string, c vault.Contents) error {
	file, key, err := vault.Seal(s.env.Rand, passphrase, c, s.env.VaultParams)
	if err != nil {
		return err
	}
	if err := s.env.Local.Set(ctx, keyVault, file); err != nil {
		return err
	}
	if err := s.env.Session.Set(ctx, keyVaultKey, key); err != nil {
		return err
	}
	return s.markVerified(ctx)
}

func (s *server) refuseExisting(ctx context.Context) error {
	file, err := s.env.Local.Get(ctx, keyVault)
	if err != nil {
		return err
	}
	if file != nil {
		return errVaultExists
	}
	return nil
}

func (s *server) vaultCreate(ctx context.Context, body []byte) (any, error) {
	var req struct {
		Passphrase string `json:"passphrase"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := s.refuseExisting(ctx); err != nil {
		return nil, err
	}
	secret, err := vault.NewSecret(s.env.Rand)
	if err != nil {
		return nil, err
	}
	c := vault.Contents{Secret: secret, Role: vault.RolePrimary, CreatedUnix: s.env.Now().Unix()}
	defer c.Wipe()
	if err := s.seal(ctx, req.Passphrase, c); err != nil {
		return nil, err
	}
	// The phrase goes to the extension page that asked, once; it is never stored in clear.
	return map[string]string{"role": string(c.Role), "phrase": vault.Phrase(c.Secret)}, nil
}

func (s *server) vaultRestore(ctx context.Context, body []byte) (any, error) {
	var req struct {
		Phrase     string     `json:"phrase"`
		Role       vault.Role `json:"role"`
		Passphrase string     `json:"passphrase"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if !req.Role.Valid() {
		return nil, &Error{Status: http.StatusBadRequest, Name: "TypeError", U2FCode: 2, Message: `role must be "primary" or "backup"`}
	}
	if err := s.refuseExisting(ctx); err != nil {
		return nil, err
	}
	secret, err := vault.ParsePhrase(req.Phrase)
	if err != nil {
		return nil, err
	}
	c := vault.Contents{Secret: secret, Role: req.Role, CreatedUnix: s.env.Now().Unix(), Restored: true}
	defer c.Wipe()
	if err := s.seal(ctx, req.Passphrase, c); err != nil {
		return nil, err
	}
	return map[string]string{"role": string(c.Role)}, nil
}

type passphraseRequest struct {
	Passphrase string `json:"passphrase"`
}

func (s *server) vaultUnlock(ctx context.Context, body []byte) (any, error) {
	var req passphraseRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	file, err := s.vaultFile(ctx)
	if err != nil {
		return nil, err
	}
	c, key, err := vault.Open(file, req.Passphrase)
	if err != nil {
		return nil, err
	}
	defer c.Wipe()
	if err := s.env.Session.Set(ctx, keyVaultKey, key); err != nil {
		return nil, err
	}
	if err := s.markVerified(ctx); err != nil {
		return nil, err
	}
	return map[string]string{"role": string(c.Role)}, nil
}

func (s *server) vaultLock(ctx context.Context, _ []byte) (any, error) {
	return struct{}{}, s.env.Session.Delete(ctx, keyVaultKey)
}

func (s *server) vaultPhrase(ctx context.Context, body []byte) (any, error) {
	var req passphraseRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	file, err := s.vaultFile(ctx)
	if err != nil {
		return nil, err
	}
	c, _, err := vault.Open(file, req.Passphrase) // the passphrase again, even when unlocked
	if err != nil {
		return nil, err
	}
	defer c.Wipe()
	return map[string]string{"phrase": vault.Phrase(c.Secret)}, nil
}

func (s *server) vaultPassphrase(ctx context.Context, body []byte) (any, error) {
	var req struct {
		Old string `json:"old"`
		New string `json:"new"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	file, err := s.vaultFile(ctx)
	if err != nil {
		return nil, err
	}
	newFile, newKey, err := vault.ChangePassphrase(s.env.Rand, file, req.Old, req.New, s.env.VaultParams)
	if err != nil {
		return nil, err
	}
	// One storage write replaces the file: an interruption leaves the old file or the new one, both readable
	// with their own passphrase. The session key follows.
	if err := s.env.Local.Set(ctx, keyVault, newFile); err != nil {
		return nil, err
	}
	return struct{}{}, s.env.Session.Set(ctx, keyVaultKey, newKey)
}

func (s *server) vaultErase(ctx context.Context, body []byte) (any, error) {
	var req struct {
		Confirm string `json:"confirm"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Confirm != "erase" {
		return nil, &Error{Status: http.StatusBadRequest, Name: "TypeError", U2FCode: 2, Message: `type "erase" to confirm`}
	}
	// Session key first: an interruption leaves a locked vault, never an unlocked key without its file.
	if err := s.env.Session.Delete(ctx, keyVaultKey); err != nil {
		return nil, err
	}
	return struct{}{}, s.env.Local.Delete(ctx, keyVault)
}
