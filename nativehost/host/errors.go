package host

import (
	"context"
	"errors"

	"github.com/twinkey/twinkey/nativehost/ctap2"
	"github.com/twinkey/twinkey/nativehost/fido"
	"github.com/twinkey/twinkey/nativehost/hid"
	"github.com/twinkey/twinkey/nativehost/messaging"
)

func userEntity(u UserJSON) ctap2.UserEntity {
	return ctap2.UserEntity{ID: u.ID, Name: u.Name, DisplayName: u.DisplayName}
}

// Error codes of ceremony outcomes (in addition to messaging's port codes). The extension maps each to a
// DOMException name and a U2F error code in one function; the suggested mapping is in nativehost/PROTOCOL.md.
const (
	CodeNoDevice         messaging.Code = "no-device"
	CodeKeyRemoved       messaging.Code = "key-removed"
	CodeDeviceBusy       messaging.Code = "device-busy"
	CodePermission       messaging.Code = "permission-denied"
	CodeWindowsAdmin     messaging.Code = "windows-admin-required"
	CodeCancelled        messaging.Code = "cancelled"
	CodeTimeout          messaging.Code = "timeout"
	CodeNotAllowed       messaging.Code = "not-allowed"
	CodeExcluded         messaging.Code = "excluded"
	CodeNoCredentials    messaging.Code = "no-credentials"
	CodeNotSupported     messaging.Code = "not-supported"
	CodePINRequired      messaging.Code = "pin-required"
	CodePINNotSet        messaging.Code = "pin-not-set"
	CodePINBlocked       messaging.Code = "pin-blocked"
	CodePINAuthBlocked   messaging.Code = "pin-auth-blocked"
	CodeDeviceError      messaging.Code = "device-error"
	CodeBadRequestParams messaging.Code = messaging.CodeBadRequest
)

// MapError is the one mapping from Go errors to wire errors. Messages are for logs and the extension's UI;
// they never contain PINs or key material. Order matters where one error wraps several outcomes: a removed key
// is key-removed whatever else failed; the time limit is timeout (no-device when no key ever came); a cancel
// (the cancel message, or the port closing) is cancelled, also while waiting for a key or for the PIN.
// Transport errors are matched by their generic form (hid.ErrNotFound, hid.ErrInUse), which every device
// source, real or simulated, wraps.
func MapError(err error) *messaging.Error {
	var e *messaging.Error
	code := CodeDeviceError
	msg := err.Error()
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, errBadParams):
		code = CodeBadRequestParams
	case errors.Is(err, fido.ErrKeyRemoved):
		code, msg = CodeKeyRemoved, "The security key was removed."
	case errors.Is(err, ErrNoDevice) && errors.Is(err, context.DeadlineExceeded):
		code, msg = CodeNoDevice, "No security key found. Insert your key and try again."
	case errors.Is(err, context.DeadlineExceeded):
		code, msg = CodeTimeout, "The security key was not used in time."
	case errors.Is(err, fido.ErrCancelled), errors.Is(err, context.Canceled):
		code, msg = CodeCancelled, "Cancelled."
	case errors.Is(err, ErrNoDevice), errors.Is(err, hid.ErrNotFound):
		code, msg = CodeNoDevice, "No security key found. Insert your key and try again."
	case errors.Is(err, hid.ErrInUse):
		code, msg = CodeDeviceBusy, "The security key is in use by another program."
	case errors.Is(err, hid.ErrWindowsAdminRequired):
		code, msg = CodeWindowsAdmin, hid.ErrWindowsAdminRequired.Error()
	case errors.Is(err, hid.ErrPermissionDenied):
		code, msg = CodePermission, "Permission denied opening the security key. Run `twinkey-host doctor` for the fix."
	case errors.Is(err, fido.ErrCredentialExcluded):
		code, msg = CodeExcluded, "This security key is already registered here."
	case errors.Is(err, fido.ErrNoCredentials):
		code, msg = CodeNoCredentials, "This security key is not registered here."
	case errors.Is(err, fido.ErrOperationDenied):
		code, msg = CodeNotAllowed, "The security key refused the operation."
	case errors.Is(err, fido.ErrNotSupported):
		code = CodeNotSupported
	case errors.Is(err, fido.ErrPINRequired):
		code, msg = CodePINRequired, "The security key needs its PIN."
	case errors.Is(err, fido.ErrPINNotSet):
		code, msg = CodePINNotSet, "The site requires a PIN, and this security key has none set."
	case errors.Is(err, fido.ErrPINBlocked):
		code, msg = CodePINBlocked, "The security key's PIN is blocked; the key must be reset."
	case errors.Is(err, fido.ErrPINAuthBlocked):
		code, msg = CodePINAuthBlocked, "Too many wrong PINs: unplug the security key and plug it in again."
	}
	return &messaging.Error{Code: code, Message: msg}
}
