// The request router: one port per page request (MESSAGES.md §2), validated by the bridge, routed, queued for
// consent, signed after approval, answered exactly once.
//
// Lifecycle of a request:
//   port message -> identifyCaller -> per-tab limit -> bridge prepare -> route (fallback / refuse / consent)
//     -> queue (one prompt at a time, across tabs) -> prompt window -> approve | deny | close | timeout
//     -> [unlock] -> bridge create/get/register/sign -> answer the port, record activity, close the prompt.
// A port disconnect (page abort, navigation) drops the request at any point and closes its prompt.
//
// Service-worker restarts: requests live in this object's memory. While any request is pending the router calls a
// cheap extension API every 20 s, which keeps Chrome from stopping the worker for idleness (Chrome 110+). If the
// worker is stopped anyway (crash, update), its ports close: the relay answers the page with an error, and at the
// next start-up cleanUpStalePrompts() closes the prompt windows recorded in chrome.storage.session.

import { Op, Refusal, isU2F, refusalError, bridgeError } from './errors.js';
import { identifyCaller } from './caller.js';
import { loadSettings, siteKeys, siteSettings, CounterPolicy, markUserVerified, verifiedWithin } from './settings.js';

export const REQUEST_PORT = 'twinkey.request';
export const CONSENT_PAGE = 'consent/consent.html';
const PROMPT_WINDOW = { width: 460, height: 580 };
const KEEPALIVE_INTERVAL_MS = 20_000;
const PROMPT_WINDOWS_KEY = 'consentWindows'; // chrome.storage.session: ids of open prompt windows

// Timeouts (PROTOCOLS.md §3.6): Chromium clamps WebAuthn timeouts to [10 s, 10 min]; legacy U2F defaults to 30 s.
const MIN_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 600_000;
const DEFAULT_WEBAUTHN_TIMEOUT_MS = 300_000;
const DEFAULT_U2F_TIMEOUT_S = 30;

const State = Object.freeze({
  PREPARING: 'preparing', QUEUED: 'queued', PROMPTING: 'prompting', SIGNING: 'signing', DONE: 'done',
});

// Bridge routes per operation (bridge/PROTOCOL.md).
const routes = {
  [Op.WEBAUTHN_CREATE]: { prepare: '/v1/webauthn/prepare', sign: '/v1/webauthn/create', bridgeOp: 'create' },
  [Op.WEBAUTHN_GET]: { prepare: '/v1/webauthn/prepare', sign: '/v1/webauthn/get', bridgeOp: 'get' },
  [Op.U2F_REGISTER]: { prepare: '/v1/u2f/prepare', sign: '/v1/u2f/register', bridgeOp: 'register' },
  [Op.U2F_SIGN]: { prepare: '/v1/u2f/prepare', sign: '/v1/u2f/sign', bridgeOp: 'sign' },
};

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

// bridgeBody builds the caller-describing part of every bridge body for a request. The origin fields come from
// the sender (identifyCaller); from the page only the request's own data is taken, field by field.
function bridgeBody(op, caller, untrustedPayload) {
  const p = untrustedPayload;
  switch (op) {
    case Op.WEBAUTHN_CREATE:
    case Op.WEBAUTHN_GET: {
      const body = { origin: caller.origin, crossOrigin: caller.crossOrigin, options: p.options };
      if (caller.crossOrigin) body.topOrigin = caller.topOrigin;
      return body;
    }
    case Op.U2F_REGISTER:
      return { origin: caller.origin, appId: p.appId, registerRequests: p.registerRequests, registeredKeys: p.registeredKeys };
    case Op.U2F_SIGN:
      return { origin: caller.origin, appId: p.appId, challenge: p.challenge, registeredKeys: p.registeredKeys };
  }
  throw new Error(`unknown op ${op}`);
}

function timeoutFor(op, prepared, untrustedPayload) {
  if (isU2F(op)) {
    const s = Number.isFinite(untrustedPayload.timeoutSeconds) ? untrustedPayload.timeoutSeconds : DEFAULT_U2F_TIMEOUT_S;
    return clamp(s * 1000, MIN_TIMEOUT_MS, MAX_TIMEOUT_MS);
  }
  const ms = Number.isFinite(prepared.timeoutMs) ? prepared.timeoutMs : DEFAULT_WEBAUTHN_TIMEOUT_MS;
  return clamp(ms, MIN_TIMEOUT_MS, MAX_TIMEOUT_MS);
}

// siteOf names the site a request is for: the RP ID, or the AppID's host for U2F (the caller's host when the
// AppID is not a URL).
function siteOf(op, caller, prepared) {
  if (!isU2F(op)) return prepared.rpId || new URL(caller.origin).hostname;
  try {
    return new URL(prepared.appId).hostname || new URL(caller.origin).hostname;
  } catch {
    return new URL(caller.origin).hostname;
  }
}

class PendingRequest {
  constructor(port, op, untrustedPayload, caller) {
    this.id = `q-${crypto.randomUUID()}`;
    this.port = port;
    this.op = op;
    this.payload = untrustedPayload;
    this.caller = caller;
    this.body = bridgeBody(op, caller, untrustedPayload);
    this.state = State.PREPARING;
    this.prepared = null;  // the bridge's prepare answer
    this.site = '';
    this.siteSettings = null;
    this.locked = false;
    this.expiresAt = 0;
    this.timer = undefined;
    this.windowId = undefined;
  }
}

/**
 * RequestRouter owns every pending request. bridge.call(route, body) answers {status, body} (bridge-host.js);
 * activity is an ActivityLog; autoLock an AutoLock.
 */
export class RequestRouter {
  #bridge;
  #activity;
  #autoLock;
  #requests = new Map(); // request id -> PendingRequest
  #byTab = new Map();    // tab id -> request id: at most one pending request per tab
  #queue = [];           // requests waiting for the prompt
  #prompting = null;     // the request whose prompt is open
  #keepAlive = undefined;

  constructor({ bridge, activity, autoLock }) {
    this.#bridge = bridge;
    this.#activity = activity;
    this.#autoLock = autoLock;
  }

  /** onConnect is the chrome.runtime.onConnect listener. */
  onConnect(port) {
    if (port.name !== REQUEST_PORT) return;
    if (port.sender?.id !== chrome.runtime.id) {
      port.disconnect();
      return;
    }
    let received = false;
    let request = null;
    port.onDisconnect.addListener(() => {
      if (request) this.#drop(request);
      received = true;
    });
    port.onMessage.addListener((msg) => {
      if (received) return; // one message per port (MESSAGES.md §2)
      received = true;
      request = this.#accept(port, msg);
      if (request) {
        this.#prepare(request).catch((e) => {
          console.error('twinkey: request failed:', e?.message);
          this.#finish(request, { ok: false, error: refusalError(Refusal.INTERNAL, request.op) }, 'error');
        });
      }
    });
  }

  // #accept checks the message and the caller synchronously, answering refusals at once; it answers the
  // registered PendingRequest, or null when the port was answered.
  #accept(port, untrusted) {
    const op = untrusted?.op;
    if (!Object.values(Op).includes(op) || !untrusted.payload || typeof untrusted.payload !== 'object') {
      answerPort(port, { ok: false, error: refusalError(Refusal.BAD_REQUEST, op) });
      return null;
    }
    const who = identifyCaller(port.sender, untrusted.frame, op);
    if (who.refusal) {
      answerPort(port, { ok: false, error: refusalError(who.refusal, op) });
      return null;
    }
    if (this.#byTab.has(who.caller.tabId)) {
      answerPort(port, { ok: false, error: refusalError(Refusal.PENDING, op) });
      return null;
    }
    const request = new PendingRequest(port, op, untrusted.payload, who.caller);
    this.#requests.set(request.id, request);
    this.#byTab.set(who.caller.tabId, request.id);
    this.#updateKeepAlive();
    return request;
  }

  async #prepare(request) {
    const route = routes[request.op];
    const prep = await this.#call(route.prepare, { op: route.bridgeOp, ...request.body });
    if (request.state === State.DONE) return;
    if (!prep.ok) {
      if (prep.error?.name === 'VaultMissing') return this.#notOurs(request); // Twinkey is not set up
      return this.#finish(request, { ok: false, error: bridgeError(prep.error) });
    }
    request.prepared = prep.result;
    request.site = siteOf(request.op, request.caller, prep.result);
    const settings = await loadSettings();
    request.siteSettings = siteSettings(settings, siteKeys(new URL(request.caller.origin).hostname, request.site));
    if (prep.result.handler !== 'twinkey' || request.siteSettings.off || request.siteSettings.hardwareOnly) {
      return this.#notOurs(request);
    }
    // prepare answers `locked: true` for a locked and for a missing vault; only a missing one is not ours.
    request.locked = prep.result.locked === true;
    if (request.locked) {
      const status = await this.#call('/v1/vault/status', {});
      if (request.state === State.DONE) return;
      if (status.ok && status.result.exists === false) return this.#notOurs(request);
    }
    const timeoutMs = timeoutFor(request.op, prep.result, request.payload);
    request.expiresAt = Date.now() + timeoutMs;
    request.timer = setTimeout(
      () => this.#finish(request, { ok: false, error: refusalError(Refusal.TIMEOUT, request.op) }, 'timeout'),
      timeoutMs);
    request.state = State.QUEUED;
    this.#queue.push(request);
    this.#openNextPrompt();
  }

  // #notOurs answers a request Twinkey does not handle: WebAuthn goes back to the browser's own implementation;
  // legacy U2F has nowhere else to go until the native host routes it.
  #notOurs(request) {
    if (isU2F(request.op)) {
      return this.#finish(request, { ok: false, error: refusalError(Refusal.NOT_OURS, request.op) });
    }
    return this.#finish(request, { ok: true, result: { fallback: true } });
  }

  // #call calls the bridge and answers {ok: true, result} or {ok: false, error} with the bridge's raw error.
  async #call(route, body) {
    try {
      const { status, body: answer } = await this.#bridge.call(route, body);
      if (status === 200) return { ok: true, result: answer ?? {} };
      return { ok: false, error: answer?.error ?? { name: 'NotReadableError', u2fCode: 1 } };
    } catch (e) {
      console.error('twinkey: bridge unavailable:', e?.message);
      return { ok: false, error: { name: 'NotReadableError', u2fCode: 1, message: 'Twinkey could not process the request.' } };
    }
  }

  async #openNextPrompt() {
    if (this.#prompting || this.#queue.length === 0) return;
    const request = this.#queue.shift();
    this.#prompting = request;
    request.state = State.PROMPTING;
    try {
      const win = await chrome.windows.create({
        type: 'popup',
        focused: true,
        url: chrome.runtime.getURL(`${CONSENT_PAGE}?req=${encodeURIComponent(request.id)}`),
        ...PROMPT_WINDOW,
      });
      request.windowId = win.id;
      if (request.state === State.DONE) {
        closeWindow(win.id);
        return;
      }
      await rememberPromptWindow(win.id, true);
    } catch (e) {
      console.error('twinkey: cannot open the consent prompt:', e?.message);
      this.#finish(request, { ok: false, error: refusalError(Refusal.INTERNAL, request.op) }, 'error');
    }
  }

  // #finish answers the page once, records activity when a result is given, and frees the prompt.
  #finish(request, answer, activityResult) {
    if (request.state === State.DONE) return;
    answerPort(request.port, answer);
    this.#release(request);
    if (activityResult) {
      this.#activity.record({ site: request.site, op: request.op, time: Date.now(), result: activityResult });
    }
  }

  // #drop forgets a request whose port closed (page abort or navigation): there is no one left to answer.
  #drop(request) {
    if (request.state === State.DONE) return;
    this.#release(request);
  }

  #release(request) {
    request.state = State.DONE;
    clearTimeout(request.timer);
    this.#requests.delete(request.id);
    if (this.#byTab.get(request.caller.tabId) === request.id) this.#byTab.delete(request.caller.tabId);
    const i = this.#queue.indexOf(request);
    if (i >= 0) this.#queue.splice(i, 1);
    if (this.#prompting === request) {
      this.#prompting = null;
      if (request.windowId !== undefined) {
        closeWindow(request.windowId);
        rememberPromptWindow(request.windowId, false);
      }
      this.#openNextPrompt();
    }
    this.#updateKeepAlive();
  }

  #updateKeepAlive() {
    if (this.#requests.size > 0 && this.#keepAlive === undefined) {
      this.#keepAlive = setInterval(() => chrome.runtime.getPlatformInfo(), KEEPALIVE_INTERVAL_MS);
    } else if (this.#requests.size === 0 && this.#keepAlive !== undefined) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  /** onWindowRemoved: closing the prompt window denies its request (PROTOCOLS.md §8.6). */
  onWindowRemoved(windowId) {
    const request = this.#prompting;
    if (request && request.windowId === windowId && request.state === State.PROMPTING) {
      request.windowId = undefined;
      this.#finish(request, { ok: false, error: refusalError(Refusal.DENIED, request.op) }, 'denied');
    }
    rememberPromptWindow(windowId, false);
  }

  // #promptRequest answers the request whose prompt the sender is, or null.
  #promptRequest(requestId, sender) {
    const request = this.#requests.get(requestId);
    if (!request || request !== this.#prompting) return null;
    if (sender.tab?.windowId !== request.windowId) return null;
    return request;
  }

  /** consentDetails answers consent.get (MESSAGES.md §3) for the prompt page. */
  consentDetails(requestId, sender) {
    const request = this.#promptRequest(requestId, sender);
    if (!request || request.state !== State.PROMPTING) return notPending();
    const p = request.prepared;
    const details = {
      op: request.op,
      origin: request.caller.origin,
      crossOrigin: request.caller.crossOrigin,
      locked: request.locked,
      userVerification: isU2F(request.op) ? 'discouraged' : (p.userVerification ?? 'preferred'),
      expiresAt: request.expiresAt,
    };
    if (request.caller.crossOrigin) details.topOrigin = request.caller.topOrigin;
    if (isU2F(request.op)) details.appId = p.appId ?? request.payload.appId;
    else details.rpId = p.rpId;
    // The account as the site names it (page data: shown as text only).
    const user = request.op === Op.WEBAUTHN_CREATE ? request.payload.options?.user : undefined;
    const userName = typeof p.user === 'string' ? p.user : user?.name;
    if (typeof userName === 'string' && userName) details.user = userName.slice(0, 256);
    if (user && typeof user.displayName === 'string') details.userDisplayName = user.displayName.slice(0, 256);
    return { ok: true, result: details };
  }

  /**
   * consentAnswer handles consent.answer: deny, or approve (unlocking first when needed) and sign. It answers
   * {ok: true} once the request is settled, or {ok: false, error} with the prompt left open (wrong passphrase,
   * passphrase missing).
   */
  async consentAnswer(requestId, approve, passphrase, sender) {
    const request = this.#promptRequest(requestId, sender);
    if (!request || request.state !== State.PROMPTING) return notPending();
    if (approve !== true) {
      this.#finish(request, { ok: false, error: refusalError(Refusal.DENIED, request.op) }, 'denied');
      return { ok: true };
    }
    const uvRequired = request.prepared.userVerification === 'required';
    const hasPassphrase = typeof passphrase === 'string' && passphrase.length > 0;
    if ((request.locked || uvRequired) && !hasPassphrase) {
      return { ok: false, error: { name: 'PassphraseRequired', message: 'Enter your passphrase.' } };
    }
    request.state = State.SIGNING;
    let userVerified = false;
    if (hasPassphrase) {
      const unlocked = await this.#call('/v1/vault/unlock', { passphrase });
      if (request.state === State.DONE) return notPending();
      if (!unlocked.ok) {
        if (unlocked.error?.name === 'WrongPassphrase') {
          request.state = State.PROMPTING;
          return { ok: false, error: { name: 'WrongPassphrase', message: 'Wrong passphrase.' } };
        }
        this.#finish(request, { ok: false, error: bridgeError(unlocked.error) }, 'error');
        return { ok: true };
      }
      userVerified = true;
      await markUserVerified();
      this.#autoLock.touch();
      if (request.locked) {
        // Routing by credential is decided once the vault is open (bridge/PROTOCOL.md, prepare).
        const route = routes[request.op];
        const again = await this.#call(route.prepare, { op: route.bridgeOp, ...request.body });
        if (request.state === State.DONE) return notPending();
        if (!again.ok) {
          this.#finish(request, { ok: false, error: bridgeError(again.error) }, 'error');
          return { ok: true };
        }
        request.prepared = again.result;
        if (again.result.handler !== 'twinkey') {
          this.#notOurs(request);
          return { ok: true };
        }
      }
    }
    if (request.prepared.excluded === true) {
      this.#finish(request, { ok: false, error: refusalError(Refusal.EXCLUDED, request.op) }, 'excluded');
      return { ok: true };
    }
    if (!userVerified && request.prepared.userVerification === 'preferred') {
      // "preferred": UV when the passphrase was entered within the configured window (ARCHITECTURE.md).
      userVerified = await verifiedWithin((await loadSettings()).uvWindowMinutes);
    }
    const counterPolicy = request.siteSettings?.counterPolicy ?? CounterPolicy.TWIN;
    const body = { ...request.body, approval: { userPresent: true, userVerified }, counterPolicy };
    if (request.op === Op.U2F_REGISTER) body.op = routes[request.op].bridgeOp; // "same body as prepare"
    const signed = await this.#call(routes[request.op].sign, body);
    if (request.state === State.DONE) return notPending();
    if (signed.ok) {
      this.#finish(request, { ok: true, result: signed.result }, 'ok');
      this.#autoLock.touch();
    } else {
      const error = bridgeError(signed.error);
      this.#finish(request, { ok: false, error }, error.name);
    }
    return { ok: true };
  }

  /** cleanUpStalePrompts closes prompt windows left by a previous run of the service worker. */
  async cleanUpStalePrompts() {
    const items = await chrome.storage.session.get(PROMPT_WINDOWS_KEY);
    const ids = Array.isArray(items[PROMPT_WINDOWS_KEY]) ? items[PROMPT_WINDOWS_KEY] : [];
    await chrome.storage.session.remove(PROMPT_WINDOWS_KEY);
    for (const id of ids) closeWindow(id);
  }
}

function notPending() {
  return { ok: false, error: { name: 'NotPending', message: 'This request is no longer pending.' } };
}

function answerPort(port, answer) {
  try {
    port.postMessage(answer);
    port.disconnect();
  } catch {
    // The port closed first: the page left.
  }
}

function closeWindow(windowId) {
  chrome.windows.remove(windowId).catch(() => {});
}

// Prompt windows open in this run, kept in chrome.storage.session so the next run can close them. Updates are
// serialised by the single-threaded worker only loosely; an occasional stale id is harmless (closing fails).
async function rememberPromptWindow(windowId, open) {
  const items = await chrome.storage.session.get(PROMPT_WINDOWS_KEY);
  const ids = new Set(Array.isArray(items[PROMPT_WINDOWS_KEY]) ? items[PROMPT_WINDOWS_KEY] : []);
  if (open) ids.add(windowId);
  else if (!ids.delete(windowId)) return;
  await chrome.storage.session.set({ [PROMPT_WINDOWS_KEY]: [...ids] });
}
