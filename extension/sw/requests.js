// The request router: one port per page request (MESSAGES.md §2), validated by the bridge, routed, queued for
// consent, signed after approval, answered exactly once.
//
// Lifecycle of a request:
//   port message -> identifyCaller -> per-tab limit -> bridge prepare -> route (fallback / refuse / consent)
//     -> queue (one prompt at a time, across tabs) -> prompt window -> approve | deny | close | timeout
//     -> [unlock] -> bridge create/get/register/sign -> answer the port, record activity, close the prompt.
// USB security keys (native host, nativehost/PROTOCOL.md) take the same path up to approval, then:
//     bridge host-request -> native host (progress shown in the prompt, PIN asked there) -> bridge host-response.
// A request goes to the USB key when its site is hardware-only, or when it names only credentials that are not
// Twinkey's (WebAuthn get with allowCredentials, U2F sign) and the host is installed; without the host the first
// is refused with an explanation, the others keep their old answer (the browser's own WebAuthn; U2F error).
// A port disconnect (page abort, navigation) drops the request at any point and closes its prompt.
//
// Service-worker restarts: requests live in this object's memory. While any request is pending the router calls a
// cheap extension API every 20 s, which keeps Chrome from stopping the worker for idleness (Chrome 110+). If the
// worker is stopped anyway (crash, update), its ports close: the relay answers the page with an error, and at the
// next start-up cleanUpStalePrompts() closes the prompt windows recorded in chrome.storage.session.

import { Op, Refusal, isU2F, refusalError, bridgeError, hostError } from './errors.js';
import { HostError, HostEvent } from './native.js';
import { identifyCaller } from './caller.js';
import {
  loadSettings, siteKeys, siteSettings, CounterPolicy, markUserVerified, userVerifiedAt, verifiedWithin,
} from './settings.js';

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
    this.uvWindowMinutes = 0; // settings.uvWindowMinutes, read with the site settings before the prompt
    this.uvAt = 0;            // when the passphrase was last verified, read with them (settings.js userVerifiedAt)
    this.locked = false;
    this.expiresAt = 0;
    this.timer = undefined;
    this.windowId = undefined;
    this.closeDelayMs = 0;  // keep the prompt open this long after the answer (a USB error to read)
    // USB key routing: null (the software key answers) or {status: 'ready'|'not-installed', hostId, progress}.
    this.usb = null;
  }
}

// USB key outcomes recorded in the activity log, and the prompt's error name for them.
const USB_FAILED = 'SecurityKeyError';
const USB_CLOSE_DELAY_MS = 2_000;

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
  #native;

  /** native is a NativeHost (native.js): the USB keys' route. */
  constructor({ bridge, activity, autoLock, native }) {
    this.#bridge = bridge;
    this.#activity = activity;
    this.#autoLock = autoLock;
    this.#native = native;
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
      if (prep.error?.name === 'VaultMissing') return this.#notOurs(request, true); // Twinkey is not set up
      return this.#finish(request, { ok: false, error: bridgeError(prep.error) });
    }
    request.prepared = prep.result;
    request.site = siteOf(request.op, request.caller, prep.result);
    // Everything approval needs is read now, so that nothing but signing is left after the click.
    const [settings, uvAt] = await Promise.all([loadSettings(), userVerifiedAt()]);
    request.siteSettings = siteSettings(settings, siteKeys(new URL(request.caller.origin).hostname, request.site));
    request.uvWindowMinutes = settings.uvWindowMinutes;
    request.uvAt = uvAt;
    if (request.siteSettings.off) return this.#notOurs(request);
    if (request.siteSettings.hardwareOnly) return this.#toUsb(request, true); // the software key never answers
    if (prep.result.handler !== 'twinkey') return this.#notOurs(request);
    // prepare answers `locked: true` for a locked and for a missing vault; only a missing one is not ours.
    request.locked = prep.result.locked === true;
    if (request.locked) {
      const status = await this.#call('/v1/vault/status', {});
      if (request.state === State.DONE) return;
      if (status.ok && status.result.exists === false) return this.#notOurs(request, true);
    }
    this.#enqueue(request);
  }

  // #enqueue starts the request's timeout and queues it for the prompt.
  #enqueue(request) {
    const timeoutMs = timeoutFor(request.op, request.prepared ?? {}, request.payload);
    request.expiresAt = Date.now() + timeoutMs;
    request.timer = setTimeout(
      () => this.#finish(request, { ok: false, error: refusalError(Refusal.TIMEOUT, request.op) }, 'timeout'),
      timeoutMs);
    request.state = State.QUEUED;
    this.#queue.push(request);
    this.#openNextPrompt();
  }

  // #notOurs answers a request the software key does not handle: one that names a foreign key goes to the USB key
  // when the native host is installed; otherwise WebAuthn goes back to the browser's own implementation and legacy
  // U2F has nowhere else to go. vaultMissing: Twinkey has no vault, so no named credential can be its own.
  async #notOurs(request, vaultMissing = false) {
    if (this.#namesForeignKey(request, vaultMissing) && request.siteSettings?.off !== true
        && await this.#native.available()) {
      if (request.state === State.DONE) return undefined;
      return this.#toUsb(request, false);
    }
    if (request.state === State.DONE) return undefined;
    return this.#fallback(request);
  }

  // #fallback: WebAuthn goes back to the browser's own implementation; legacy U2F is refused.
  #fallback(request) {
    if (isU2F(request.op)) {
      return this.#finish(request, { ok: false, error: refusalError(Refusal.NOT_OURS, request.op) });
    }
    return this.#finish(request, { ok: true, result: { fallback: true } });
  }

  // #namesForeignKey: a WebAuthn get with allowCredentials none of which is Twinkey's, or a U2F sign for key
  // handles none of which is Twinkey's. Discoverable-credential requests and create() stay with the browser.
  #namesForeignKey(request, vaultMissing) {
    const p = request.prepared ?? {};
    if (request.op === Op.WEBAUTHN_GET) {
      const allowed = request.payload.options?.allowCredentials;
      return Array.isArray(allowed) && allowed.length > 0
        && (p.reason === 'no-twinkey-credential' || vaultMissing);
    }
    if (request.op === Op.U2F_SIGN) return p.handler === 'platform' || vaultMissing;
    return false;
  }

  // #toUsb queues a request for the USB key. required: the site is hardware-only, so without the host the prompt
  // explains and the page is refused (Refusal.NO_HOST).
  async #toUsb(request, required) {
    request.usb = { status: 'ready', hostId: null, progress: null };
    request.locked = false; // the vault plays no part
    if (required && !(await this.#native.available())) request.usb.status = 'not-installed';
    if (request.state === State.DONE) return;
    if (!request.site) request.site = new URL(request.caller.origin).hostname;
    this.#enqueue(request);
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
    this.#reserveCounter(request);
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

  // #reserveCounter asks the bridge to reserve the counter value of a software-key sign-in while its prompt is
  // shown (bridge/PROTOCOL.md /v1/counter/reserve), so the durable write is done before the click instead of
  // after it. Not awaited: the signing route waits for it in the bridge if the click comes first, and reserves
  // itself if it failed. Nothing is signed; a value left unused is used by the next sign-in (or skipped).
  #reserveCounter(request) {
    const signsWithCounter = request.op === Op.WEBAUTHN_GET || request.op === Op.U2F_SIGN;
    if (!signsWithCounter || request.usb || request.locked || request.prepared?.handler !== 'twinkey'
        || request.siteSettings?.counterPolicy === CounterPolicy.ZERO) {
      return;
    }
    this.#call('/v1/counter/reserve', {});
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
    if (request.usb?.hostId) {
      this.#native.cancel(request.usb.hostId); // page abort, timeout, closed prompt: the key stops waiting
      request.usb.hostId = null;
    }
    this.#requests.delete(request.id);
    if (this.#byTab.get(request.caller.tabId) === request.id) this.#byTab.delete(request.caller.tabId);
    const i = this.#queue.indexOf(request);
    if (i >= 0) this.#queue.splice(i, 1);
    if (this.#prompting === request) {
      this.#prompting = null;
      if (request.windowId !== undefined) {
        const windowId = request.windowId;
        if (request.closeDelayMs > 0) setTimeout(() => closeWindow(windowId), request.closeDelayMs);
        else closeWindow(windowId);
        rememberPromptWindow(windowId, false);
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
    const usbWaiting = request?.usb && request.state === State.SIGNING; // closing the prompt cancels the key
    if (request && request.windowId === windowId && (request.state === State.PROMPTING || usbWaiting)) {
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
    const p = request.prepared ?? {};
    const details = {
      op: request.op,
      origin: request.caller.origin,
      crossOrigin: request.caller.crossOrigin,
      locked: request.locked,
      userVerification: isU2F(request.op) ? 'discouraged' : (p.userVerification ?? 'preferred'),
      expiresAt: request.expiresAt,
    };
    if (request.caller.crossOrigin) details.topOrigin = request.caller.topOrigin;
    if (request.usb) {
      details.hardware = { status: request.usb.status, simulated: this.#native.lastHello?.simulated === true };
      if (request.usb.progress) details.hardware.progress = request.usb.progress;
    }
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
    const usbWaiting = request?.usb && request.state === State.SIGNING && approve !== true; // Cancel while waiting
    if (!request || (request.state !== State.PROMPTING && !usbWaiting)) return notPending();
    if (approve !== true) {
      if (request.usb?.status === 'not-installed') {
        this.#finish(request, { ok: false, error: refusalError(Refusal.NO_HOST, request.op) }, 'no-host');
      } else {
        this.#finish(request, { ok: false, error: refusalError(Refusal.DENIED, request.op) }, 'denied');
      }
      return { ok: true };
    }
    if (request.usb) return this.#runUsb(request);
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
          // Not Twinkey's credential after all: the USB key, in this same prompt, when the host is there.
          if (this.#namesForeignKey(request, false) && await this.#native.available()) {
            if (request.state === State.DONE) return notPending();
            request.usb = { status: 'ready', hostId: null, progress: null };
            return this.#runUsb(request);
          }
          this.#fallback(request);
          return { ok: true };
        }
      }
    }
    if (request.prepared.excluded === true) {
      this.#finish(request, { ok: false, error: refusalError(Refusal.EXCLUDED, request.op) }, 'excluded');
      return { ok: true };
    }
    if (!userVerified && request.prepared.userVerification === 'preferred') {
      // "preferred": UV when the passphrase was entered within the configured window (ARCHITECTURE.md), as of now.
      userVerified = verifiedWithin(request.uvWindowMinutes, request.uvAt);
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

  // #runUsb runs an approved request on the USB key. It answers the prompt once the request is settled:
  // {ok: true}, or {ok: false, error: {name: 'SecurityKeyError', message}} to show for a moment.
  async #runUsb(request) {
    if (request.usb.status !== 'ready') {
      this.#finish(request, { ok: false, error: refusalError(Refusal.NO_HOST, request.op) }, 'no-host');
      return { ok: false, error: { name: USB_FAILED, message: refusalError(Refusal.NO_HOST, request.op).message } };
    }
    request.state = State.SIGNING;
    const family = isU2F(request.op) ? '/v1/u2f' : '/v1/webauthn';
    const body = { ...request.body, op: routes[request.op].bridgeOp };
    const built = await this.#call(`${family}/host-request`, body);
    if (request.state === State.DONE) return notPending();
    if (!built.ok) {
      this.#finish(request, { ok: false, error: bridgeError(built.error) }, 'error');
      return { ok: true };
    }
    // The host's own timer runs for what is left of the request's (its timer still ends the request).
    const params = { ...built.result.params, timeoutMs: clamp(request.expiresAt - Date.now(), 1_000, MAX_TIMEOUT_MS) };
    const call = this.#native.request(built.result.type, params, (progress) => this.#hostProgress(request, progress));
    request.usb.hostId = call.id;
    let result;
    try {
      result = await call.done;
    } catch (e) {
      request.usb.hostId = null;
      if (request.state === State.DONE) return notPending();
      const code = e instanceof HostError ? e.code : 'internal';
      const error = hostError(code, e?.message);
      request.closeDelayMs = USB_CLOSE_DELAY_MS;
      this.#finish(request, { ok: false, error }, code === 'excluded' ? 'excluded' : `usb:${code}`);
      return { ok: false, error: { name: USB_FAILED, message: error.message } };
    }
    request.usb.hostId = null;
    if (request.state === State.DONE) return notPending();
    const answered = await this.#call(`${family}/host-response`, { ...body, result });
    if (request.state === State.DONE) return notPending();
    if (answered.ok) {
      this.#finish(request, { ok: true, result: answered.result }, 'ok');
      return { ok: true };
    }
    const error = bridgeError(answered.error);
    this.#finish(request, { ok: false, error }, error.name);
    return { ok: true };
  }

  // #hostProgress keeps the latest host event for the prompt (consent.get) and tells an open prompt at once.
  #hostProgress(request, untrusted) {
    const progress = { event: String(untrusted.event) };
    if (Number.isInteger(untrusted.retries)) progress.retries = untrusted.retries;
    if (progress.event === HostEvent.CHOOSE_ACCOUNT && Array.isArray(untrusted.accounts)) {
      const text = (v) => (typeof v === 'string' ? v.slice(0, 128) : '');
      progress.accounts = untrusted.accounts.slice(0, 32).map((a) => ({
        userId: text(a?.userId), name: text(a?.name), displayName: text(a?.displayName),
      }));
    }
    request.usb.progress = progress;
    chrome.runtime.sendMessage({ kind: 'consent.progress', requestId: request.id, progress }).catch(() => {});
  }

  /** consentPin handles consent.pin: the prompt's PIN goes to the host for the waiting request, and nowhere else. */
  consentPin(requestId, pin, sender) {
    return this.#answerHostQuestion(requestId, sender, 'The PIN was not delivered.',
      () => (typeof pin !== 'string' || pin.length < 4 || pin.length > 63 ? 'A PIN has 4 to 63 characters.' : ''),
      (hostId) => this.#native.pin(hostId, pin));
  }

  /** consentChoose handles consent.choose: the account the person picked goes to the host's choose-account question. */
  consentChoose(requestId, index, sender) {
    return this.#answerHostQuestion(requestId, sender, 'The choice was not delivered.', (request) => {
      const offered = request.usb.progress?.event === HostEvent.CHOOSE_ACCOUNT ? request.usb.progress.accounts.length : 0;
      return Number.isInteger(index) && index >= 0 && index < offered ? '' : 'No such account.';
    }, (hostId) => this.#native.choose(hostId, index));
  }

  // #answerHostQuestion delivers the prompt's answer to a question the host asked about the prompt's request (a
  // USB ceremony in progress): invalid(request) names what is wrong with the answer ('' if nothing), deliver(hostId)
  // sends it; undelivered is the message when the host did not take it.
  async #answerHostQuestion(requestId, sender, undelivered, invalid, deliver) {
    const request = this.#promptRequest(requestId, sender);
    if (!request?.usb?.hostId || request.state !== State.SIGNING) return notPending();
    const problem = invalid(request);
    if (problem) return { ok: false, error: { name: 'TypeError', message: problem } };
    try {
      await deliver(request.usb.hostId);
      return { ok: true };
    } catch (e) {
      return { ok: false, error: { name: USB_FAILED, message: e?.message ?? undelivered } };
    }
  }

  /** hostStatus answers host.status (MESSAGES.md §3): whether the USB helper is installed, and its keys. */
  hostStatus() {
    return this.#native.status();
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
