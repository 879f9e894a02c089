// Who is calling: the caller's origin and frame position, from what the browser says about the sender.
//
// Trust: port.sender (chrome.runtime.MessageSender) is filled in by the browser. The relay's `frame` object
// (MESSAGES.md §2) comes from the isolated world, which page scripts cannot patch, but it is only used to add
// refusals: it is checked against sender.tab.url and never widens what the sender allows.

import { Op, Refusal } from './errors.js';

// PROTOCOLS.md §3.1: the API is for secure contexts; http is accepted on localhost only.
function isLocalhost(host) {
  return host === 'localhost' || host.endsWith('.localhost') || host === '127.0.0.1' || host === '[::1]';
}

/** isPotentiallyTrustworthy says whether a serialised origin may call WebAuthn/U2F at all. */
export function isPotentiallyTrustworthy(origin) {
  let url;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLocalhost(url.hostname));
}

// The Permissions Policy feature an operation needs (PROTOCOLS.md §3.1). Legacy U2F has no feature of its own;
// it is held to the WebAuthn feature of the same kind.
const permissionFor = {
  [Op.WEBAUTHN_CREATE]: 'create',
  [Op.U2F_REGISTER]: 'create',
  [Op.WEBAUTHN_GET]: 'get',
  [Op.U2F_SIGN]: 'get',
};

function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}

/**
 * identifyCaller answers {caller: {origin, crossOrigin, topOrigin?, tabId, frameId}} or {refusal}.
 *
 * sender: the port's MessageSender. untrustedFrame: the relay's `frame` ({ancestorOrigins, permissions}).
 */
export function identifyCaller(sender, untrustedFrame, op) {
  const origin = typeof sender.origin === 'string' ? sender.origin : originOf(sender.url ?? '');
  if (origin === 'null' || origin === '') return { refusal: Refusal.OPAQUE_ORIGIN };
  if (!isPotentiallyTrustworthy(origin)) return { refusal: Refusal.INSECURE };

  const frame = untrustedFrame && typeof untrustedFrame === 'object' ? untrustedFrame : {};
  const ancestors = frame.ancestorOrigins;
  if (!Array.isArray(ancestors) || ancestors.length > 64 || !ancestors.every((a) => typeof a === 'string')) {
    return { refusal: Refusal.BAD_REQUEST };
  }
  const tabId = sender.tab?.id ?? -1;
  const frameId = Number.isInteger(sender.frameId) ? sender.frameId : -1;
  const tabOrigin = typeof sender.tab?.url === 'string' ? originOf(sender.tab.url) : undefined;

  let crossOrigin = false;
  let topOrigin;
  if (frameId === 0) {
    // The top frame: it has no ancestors, and it is what the tab shows.
    if (ancestors.length !== 0) return { refusal: Refusal.FRAME };
    if (tabOrigin !== undefined && tabOrigin !== origin) return { refusal: Refusal.FRAME };
  } else {
    // A subframe: its ancestry must end at the tab's origin, and every ancestor must be a secure context.
    if (frameId < 0 || tabOrigin === undefined || ancestors.length === 0) return { refusal: Refusal.FRAME };
    if (ancestors[ancestors.length - 1] !== tabOrigin) return { refusal: Refusal.FRAME };
    if (!ancestors.every(isPotentiallyTrustworthy)) return { refusal: Refusal.INSECURE };
    crossOrigin = ancestors.some((a) => a !== origin);
    if (crossOrigin) topOrigin = tabOrigin;
  }

  // Permissions Policy, as the frame's own document reports it: a feature reported off is refused everywhere;
  // a cross-origin frame must be explicitly allowed (PROTOCOLS.md §3.1, default allowlist 'self').
  const allowed = frame.permissions && typeof frame.permissions === 'object'
    ? frame.permissions[permissionFor[op]] : undefined;
  if (allowed === false) return { refusal: Refusal.FRAME };
  if (crossOrigin && allowed !== true) return { refusal: Refusal.FRAME };

  const caller = { origin, crossOrigin, tabId, frameId };
  if (crossOrigin) caller.topOrigin = topOrigin;
  return { caller };
}
