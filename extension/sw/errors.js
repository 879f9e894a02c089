// Errors the page sees: the one place that decides a refusal's DOMException name and U2F error code.
//
// Every answer to a page carries both (extension/MESSAGES.md §1): `name` for navigator.credentials, `u2fCode` for
// window.u2f. Names follow PROTOCOLS.md §3.8, U2F codes §2.4.

/** U2F JS API 1.1 ErrorCode (PROTOCOLS.md §2.4). */
export const U2FCode = Object.freeze({
  OK: 0,
  OTHER_ERROR: 1,
  BAD_REQUEST: 2,
  CONFIGURATION_UNSUPPORTED: 3,
  DEVICE_INELIGIBLE: 4,
  TIMEOUT: 5,
});

/** Request operations a page can ask for (MESSAGES.md §1 `op`). */
export const Op = Object.freeze({
  WEBAUTHN_CREATE: 'webauthn.create',
  WEBAUTHN_GET: 'webauthn.get',
  U2F_REGISTER: 'u2f.register',
  U2F_SIGN: 'u2f.sign',
});

export const isU2F = (op) => op === Op.U2F_REGISTER || op === Op.U2F_SIGN;

// The DOMException names a page may see; anything else the bridge answers (vault names such as "VaultLocked")
// is not a page-facing name and becomes NotAllowedError, the WebAuthn catch-all (PROTOCOLS.md §3.8).
const PAGE_ERROR_NAMES = new Set([
  'NotAllowedError', 'SecurityError', 'InvalidStateError', 'NotSupportedError', 'ConstraintError',
  'AbortError', 'EncodingError', 'OperationError', 'NotReadableError', 'UnknownError', 'TypeError',
]);

/** Refusal: the reasons the service worker itself refuses or ends a request. */
export const Refusal = Object.freeze({
  DENIED: 'denied',               // the person denied or closed the prompt
  TIMEOUT: 'timeout',             // the request's timeout passed before an answer
  PENDING: 'pending',             // another request of the same tab is still pending
  OPAQUE_ORIGIN: 'opaque-origin', // sandboxed frame, data: URL
  INSECURE: 'insecure',           // not https, nor http on localhost
  FRAME: 'frame',                 // cross-origin frame not allowed by Permissions Policy, or ancestry mismatch
  BAD_REQUEST: 'bad-request',     // the relay's message is not MESSAGES.md §2
  NOT_OURS: 'not-ours',           // U2F request Twinkey does not answer and nothing else can yet
  EXCLUDED: 'excluded',           // excludeCredentials / registeredKeys names a Twinkey credential
  INTERNAL: 'internal',           // the bridge could not be reached
  NO_HOST: 'no-host',             // hardware-only site, but the native host (USB helper) is not installed
});

// refusalError maps a Refusal to the page-facing error for op.
//
// Deny follows Chrome's CryptoToken, which mapped WebAuthn's NotAllowedError to U2F code 5 for register and 4 for
// sign (PROTOCOLS.md §2.4): legacy sites already handle those codes as "try again" / "not this key".
// "Another request is pending" is Chrome's OperationError (PROTOCOLS.md §3.1).
export function refusalError(refusal, op) {
  const u2f = isU2F(op);
  switch (refusal) {
    case Refusal.DENIED:
      return err('NotAllowedError', op === Op.U2F_SIGN ? U2FCode.DEVICE_INELIGIBLE : U2FCode.TIMEOUT,
        'The request was denied.');
    case Refusal.TIMEOUT:
      return err('NotAllowedError', U2FCode.TIMEOUT, 'The request timed out.');
    case Refusal.PENDING:
      return err('OperationError', U2FCode.OTHER_ERROR, 'Another request is pending in this tab.');
    case Refusal.OPAQUE_ORIGIN:
      return err('NotAllowedError', U2FCode.BAD_REQUEST, 'The caller has an opaque origin.');
    case Refusal.INSECURE:
      return err('SecurityError', U2FCode.BAD_REQUEST, 'The caller is not a secure context.');
    case Refusal.FRAME:
      return err('NotAllowedError', U2FCode.BAD_REQUEST, 'This frame may not use this operation.');
    case Refusal.BAD_REQUEST:
      return err(u2f ? 'NotAllowedError' : 'TypeError', U2FCode.BAD_REQUEST, 'Malformed request.');
    case Refusal.NOT_OURS:
      return err('NotAllowedError', op === Op.U2F_SIGN ? U2FCode.DEVICE_INELIGIBLE : U2FCode.OTHER_ERROR,
        'No security key can answer this request.');
    case Refusal.EXCLUDED:
      return err('InvalidStateError', U2FCode.DEVICE_INELIGIBLE, 'This authenticator is already registered.');
    case Refusal.NO_HOST:
      return err('NotAllowedError', U2FCode.OTHER_ERROR,
        "This site uses your USB security key only, and Twinkey's USB helper is not installed: run twinkey-host install.");
    case Refusal.INTERNAL:
    default:
      return err('NotReadableError', U2FCode.OTHER_ERROR, 'Twinkey could not process the request.');
  }
}

/** bridgeError maps the bridge's error object (bridge/PROTOCOL.md "Failure") to the page-facing error. */
export function bridgeError(untrusted) {
  const e = untrusted && typeof untrusted === 'object' ? untrusted : {};
  const name = PAGE_ERROR_NAMES.has(e.name) ? e.name : 'NotAllowedError';
  const code = Number.isInteger(e.u2fCode) && e.u2fCode >= 1 && e.u2fCode <= 5 ? e.u2fCode : U2FCode.OTHER_ERROR;
  const message = typeof e.message === 'string' ? e.message.slice(0, 300) : 'The request failed.';
  return err(name, code, message);
}

function err(name, u2fCode, message) {
  return { name, u2fCode, message };
}

// Host error codes (nativehost/PROTOCOL.md "error") -> [DOMException name, U2F code], as that table suggests.
// `cancelled` reaches a page only when the person closed the prompt (a page abort has no one left to answer):
// that is a denial, so it is NotAllowedError like closing the software key's prompt. Codes not listed (and the
// port's own `disconnected`) are NotAllowedError / OTHER_ERROR.
const HOST_ERRORS = Object.freeze({
  'bad-request': ['NotAllowedError', U2FCode.BAD_REQUEST],
  'too-large': ['NotAllowedError', U2FCode.BAD_REQUEST],
  'no-device': ['NotAllowedError', U2FCode.TIMEOUT],
  timeout: ['NotAllowedError', U2FCode.TIMEOUT],
  excluded: ['InvalidStateError', U2FCode.DEVICE_INELIGIBLE],
  'no-credentials': ['NotAllowedError', U2FCode.DEVICE_INELIGIBLE],
  'not-supported': ['NotSupportedError', U2FCode.CONFIGURATION_UNSUPPORTED],
});

// Messages for a person when the host sent none.
const HOST_MESSAGES = Object.freeze({
  'no-device': 'No security key was plugged in.',
  'key-removed': 'The security key was removed.',
  timeout: 'The security key was not touched in time.',
  cancelled: 'The request was cancelled.',
  'not-installed': "Twinkey's USB helper is not installed: run twinkey-host install.",
});

/** hostError maps a native host error code (and its message) to the page-facing error. */
export function hostError(code, message) {
  const [name, u2fCode] = HOST_ERRORS[code] ?? ['NotAllowedError', U2FCode.OTHER_ERROR];
  const text = typeof message === 'string' && message && message !== code ? message : (HOST_MESSAGES[code] ?? 'The security key failed.');
  return err(name, u2fCode, text.slice(0, 300));
}
