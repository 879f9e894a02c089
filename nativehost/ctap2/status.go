package ctap2

import "fmt"

// StatusCode is the first byte of every CTAP2 response (CTAP 2.1 §8.2). Any value other than
// StatusOK is an error value.
type StatusCode byte

// CTAP2 status codes.
const (
	StatusOK                     StatusCode = 0x00
	StatusInvalidCommand         StatusCode = 0x01
	StatusInvalidParameter       StatusCode = 0x02
	StatusInvalidLength          StatusCode = 0x03
	StatusInvalidSeq             StatusCode = 0x04
	StatusTimeout                StatusCode = 0x05
	StatusChannelBusy            StatusCode = 0x06
	StatusLockRequired           StatusCode = 0x0A
	StatusInvalidChannel         StatusCode = 0x0B
	StatusCBORUnexpectedType     StatusCode = 0x11
	StatusInvalidCBOR            StatusCode = 0x12
	StatusMissingParameter       StatusCode = 0x14
	StatusLimitExceeded          StatusCode = 0x15
	StatusFPDatabaseFull         StatusCode = 0x17
	StatusLargeBlobStorageFull   StatusCode = 0x18
	StatusCredentialExcluded     StatusCode = 0x19
	StatusProcessing             StatusCode = 0x21
	StatusInvalidCredential      StatusCode = 0x22
	StatusUserActionPending      StatusCode = 0x23
	StatusOperationPending       StatusCode = 0x24
	StatusNoOperations           StatusCode = 0x25
	StatusUnsupportedAlgorithm   StatusCode = 0x26
	StatusOperationDenied        StatusCode = 0x27
	StatusKeyStoreFull           StatusCode = 0x28
	StatusUnsupportedOption      StatusCode = 0x2B
	StatusInvalidOption          StatusCode = 0x2C
	StatusKeepaliveCancel        StatusCode = 0x2D
	StatusNoCredentials          StatusCode = 0x2E
	StatusUserActionTimeout      StatusCode = 0x2F
	StatusNotAllowed             StatusCode = 0x30
	StatusPINInvalid             StatusCode = 0x31
	StatusPINBlocked             StatusCode = 0x32
	StatusPINAuthInvalid         StatusCode = 0x33
	StatusPINAuthBlocked         StatusCode = 0x34
	StatusPINNotSet              StatusCode = 0x35
	StatusPUATRequired           StatusCode = 0x36 // CTAP 2.0: PIN_REQUIRED
	StatusPINPolicyViolation     StatusCode = 0x37
	StatusPINTokenExpired        StatusCode = 0x38
	StatusRequestTooLarge        StatusCode = 0x39
	StatusActionTimeout          StatusCode = 0x3A
	StatusUPRequired             StatusCode = 0x3B
	StatusUVBlocked              StatusCode = 0x3C
	StatusIntegrityFailure       StatusCode = 0x3D
	StatusInvalidSubcommand      StatusCode = 0x3E
	StatusUVInvalid              StatusCode = 0x3F
	StatusUnauthorizedPermission StatusCode = 0x40
	StatusOther                  StatusCode = 0x7F
	statusExtensionFirst         StatusCode = 0xE0
	statusVendorFirst            StatusCode = 0xF0
)

var statusNames = map[StatusCode]string{
	StatusOK: "CTAP2_OK", StatusInvalidCommand: "CTAP1_ERR_INVALID_COMMAND",
	StatusInvalidParameter: "CTAP1_ERR_INVALID_PARAMETER", StatusInvalidLength: "CTAP1_ERR_INVALID_LENGTH",
	StatusInvalidSeq: "CTAP1_ERR_INVALID_SEQ", StatusTimeout: "CTAP1_ERR_TIMEOUT",
	StatusChannelBusy: "CTAP1_ERR_CHANNEL_BUSY", StatusLockRequired: "CTAP1_ERR_LOCK_REQUIRED",
	StatusInvalidChannel: "CTAP1_ERR_INVALID_CHANNEL", StatusCBORUnexpectedType: "CTAP2_ERR_CBOR_UNEXPECTED_TYPE",
	StatusInvalidCBOR: "CTAP2_ERR_INVALID_CBOR", StatusMissingParameter: "CTAP2_ERR_MISSING_PARAMETER",
	StatusLimitExceeded: "CTAP2_ERR_LIMIT_EXCEEDED", StatusFPDatabaseFull: "CTAP2_ERR_FP_DATABASE_FULL",
	StatusLargeBlobStorageFull: "CTAP2_ERR_LARGE_BLOB_STORAGE_FULL",
	StatusCredentialExcluded:   "CTAP2_ERR_CREDENTIAL_EXCLUDED", StatusProcessing: "CTAP2_ERR_PROCESSING",
	StatusInvalidCredential: "CTAP2_ERR_INVALID_CREDENTIAL", StatusUserActionPending: "CTAP2_ERR_USER_ACTION_PENDING",
	StatusOperationPending: "CTAP2_ERR_OPERATION_PENDING", StatusNoOperations: "CTAP2_ERR_NO_OPERATIONS",
	StatusUnsupportedAlgorithm: "CTAP2_ERR_UNSUPPORTED_ALGORITHM", StatusOperationDenied: "CTAP2_ERR_OPERATION_DENIED",
	StatusKeyStoreFull: "CTAP2_ERR_KEY_STORE_FULL", StatusUnsupportedOption: "CTAP2_ERR_UNSUPPORTED_OPTION",
	StatusInvalidOption: "CTAP2_ERR_INVALID_OPTION", StatusKeepaliveCancel: "CTAP2_ERR_KEEPALIVE_CANCEL",
	StatusNoCredentials: "CTAP2_ERR_NO_CREDENTIALS", StatusUserActionTimeout: "CTAP2_ERR_USER_ACTION_TIMEOUT",
	StatusNotAllowed: "CTAP2_ERR_NOT_ALLOWED", StatusPINInvalid: "CTAP2_ERR_PIN_INVALID",
	StatusPINBlocked: "CTAP2_ERR_PIN_BLOCKED", StatusPINAuthInvalid: "CTAP2_ERR_PIN_AUTH_INVALID",
	StatusPINAuthBlocked: "CTAP2_ERR_PIN_AUTH_BLOCKED", StatusPINNotSet: "CTAP2_ERR_PIN_NOT_SET",
	StatusPUATRequired: "CTAP2_ERR_PUAT_REQUIRED", StatusPINPolicyViolation: "CTAP2_ERR_PIN_POLICY_VIOLATION",
	StatusPINTokenExpired: "CTAP2_ERR_PIN_TOKEN_EXPIRED", StatusRequestTooLarge: "CTAP2_ERR_REQUEST_TOO_LARGE",
	StatusActionTimeout: "CTAP2_ERR_ACTION_TIMEOUT", StatusUPRequired: "CTAP2_ERR_UP_REQUIRED",
	StatusUVBlocked: "CTAP2_ERR_UV_BLOCKED", StatusIntegrityFailure: "CTAP2_ERR_INTEGRITY_FAILURE",
	StatusInvalidSubcommand: "CTAP2_ERR_INVALID_SUBCOMMAND", StatusUVInvalid: "CTAP2_ERR_UV_INVALID",
	StatusUnauthorizedPermission: "CTAP2_ERR_UNAUTHORIZED_PERMISSION", StatusOther: "CTAP1_ERR_OTHER",
}

func (s StatusCode) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	switch {
	case s >= statusVendorFirst:
		return fmt.Sprintf("CTAP2_ERR_VENDOR(0x%02x)", byte(s))
	case s >= statusExtensionFirst:
		return fmt.Sprintf("CTAP2_ERR_EXTENSION(0x%02x)", byte(s))
	}
	return fmt.Sprintf("StatusCode(0x%02x)", byte(s))
}

func (s StatusCode) Error() string { return fmt.Sprintf("ctap2: %s (0x%02x)", s.String(), byte(s)) }
