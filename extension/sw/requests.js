// The request router: one port per page request (MESSAGES.md §2), carried to Go and back. It decides nothing:
// every answer a page can observe — refusals, error names and U2F codes, timeouts, user verification, who answers —
// comes from the bridge (bridge/PROTOCOL.md "Ceremonies"). This file keeps ports, the prompt window, timers, the
// native host port and the activity log.
//
// Lifecycle of a request:
//   port message -> /v1/ceremony/decide (what the browser reported about the frame + the page's request)
//     refuse  -> answer the page
//     browser -> answer {fallback: true}: the page script hands its converted options to the browser
//     prompt | usb -> queue (one prompt at a time, across tabs) -> prompt window (Go's prompt object)
//       -> approve  -> /v1/ceremony/approve -> answer | retry (prompt stays) | usb | browser
//       -> deny, close, timeout -> /v1/ceremony/end -> the page's error
//     usb: the host must be installed, else /v1/ceremony/no-host gives the replacement decision; after approval
//       the host runs Go's request (progress, PIN, account choice in the prompt) -> /v1/ceremony/host-result.
// A port disconnect (page abort, navigation) drops the request at any point and closes its prompt.
//
// Service-worker restarts: requests live in this object's memory. While any request is pending the router calls a
// cheap extension API every 20 s, which keeps Chrome from stopping the worker for idleness (Chrome 110+). If the
// worker is stopped anyway, its ports close (the relay answers the page) and at the next start-up
// cleanUpStalePrompts() closes the prompt windows recorded in chrome.storage.session.

import { HostError, HostEvent } from './native.js';
import { UNREACHABLE } from './unreachable.js';

export const REQUEST_PORT = 'twinkey.request';
export const CONSENT_PAGE = 'consent/consent.html';
const PROMPT_WINDOW = { width: 460, height: 580 };
const KEEPALIVE_INTERVAL_MS = 20_000;
const PROMPT_WINDOWS_KEY = 'consentWindows'; // chrome.storage.session: ids of open prompt windows


const State = Object.freeze({
  DECIDING: 'deciding', WAITING_TAB: 'waiting-tab', QUEUED: 'queued', PROMPTING: 'prompting', SIGNING: 'signing',
  DONE: 'done',
});

// How long a prompt stays open after a USB key's error, so the person can read it.
const USB_CLOSE_DELAY_MS = 2_000;

function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}

// frameFacts is what the browser reported about the calling frame (MessageSender) plus what the relay observed
// in the isolated world (MESSAGES.md §2), passed to Go as data (core/rules.Frame).
function frameFacts(sender, untrustedFrame) {
  const f = untrustedFrame && typeof untrustedFrame === 'object' ? untrustedFrame : {};
  const ancestors = Array.isArray(f.ancestorOrigins) ? f.ancestorOrigins.filter((a) => typeof a === 'string') : [];
  return {
    origin: typeof sender.origin === 'string' ? sender.origin : originOf(sender.url ?? ''),
    tabOrigin: typeof sender.tab?.url === 'string' ? originOf(sender.tab.url) : '',
    frameId: Number.isInteger(sender.frameId) ? sender.frameId : -1,
    tabActive: sender.tab?.active === true,
    ancestorOrigins: ancestors.slice(0, 65),
    allowsCreate: f.permissions?.create === true,
    allowsGet: f.permissions?.get === true,
    userActivation: f.userActivation === true,
    visible: f.visible === true,
  };
}

class PendingRequest {
  constructor(port, op, untrustedPayload, frame, tabId) {
    this.id = `q-${crypto.randomUUID()}`;
    this.port = port;
    this.op = op;
    this.payload = untrustedPayload;
    this.frame = frame;
    this.tabId = tabId;
    this.state = State.DECIDING;
    this.ceremony = '';  // the bridge's ceremony id
    this.prompt = null;  // Go's prompt object
    this.site = '';
    this.usb = null;     // {hostId, progress} once the USB key runs
    this.expiresAt = 0;
    this.timer = undefined;
    this.windowId = undefined;
    this.closeDelayMs = 0;
  }
}

/**
 * RequestRouter owns every pending request. bridge.call(route, body) answers {status, body} (bridge-host.js);
 * activity is an ActivityLog; autoLock an AutoLock; native a NativeHost.
 */
export class RequestRouter {
  #bridge;
  #activity;
  #autoLock;
  #native;
  #requests = new Map(); // request id -> PendingRequest
  #byTab = new Map();    // tab id -> request id: the tab's pending request
  #queue = [];           // requests waiting for the prompt
  #waitingForTab = new Set(); // requests whose prompt opens once their tab is in front (Go's prompt.waitForTab)
  #prompting = null;     // the request whose prompt is open
  #keepAlive = undefined;

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
      received = true;
      if (request) this.#drop(request);
    });
    port.onMessage.addListener((msg) => {
      if (received) return; // one message per port (MESSAGES.md §2)
      received = true;
      request = this.#accept(port, msg);
    });
  }

  #accept(port, untrusted) {
    const payload = untrusted?.payload && typeof untrusted.payload === 'object' ? untrusted.payload : {};
    const tabId = port.sender.tab?.id ?? -1;
    const request = new PendingRequest(port, untrusted?.op, payload, frameFacts(port.sender, untrusted?.frame), tabId);
    const tabBusy = this.#byTab.has(tabId);
    this.#requests.set(request.id, request);
    if (!tabBusy) this.#byTab.set(tabId, request.id);
    this.#updateKeepAlive();
    this.#decide(request, tabBusy).catch((e) => {
      console.error('twinkey: request failed:', e?.message);
      this.#finish(request, { ok: false, error: UNREACHABLE }, 'error');
    });
    return request;
  }

  async #decide(request, tabBusy) {
    const d = await this.#call('/v1/ceremony/decide',
      { op: request.op, frame: request.frame, tabBusy, request: request.payload });
    if (request.state === State.DONE) return this.#endQuietly(d);
    this.#apply(request, d);
  }

  // #apply carries out a decision of the bridge (decide, no-host).
  async #apply(request, d) {
    request.site = d.site || request.site;
    switch (d.decision) {
      case 'browser':
        return this.#finish(request, { ok: true, result: { fallback: true } });
      case 'prompt':
      case 'usb':
        request.ceremony = d.ceremony;
        request.prompt = d.prompt;
        if (d.decision === 'usb') {
          if (!(await this.#native.available())) {
            if (request.state === State.DONE) return undefined;
            return this.#apply(request, await this.#call('/v1/ceremony/no-host', { ceremony: request.ceremony }));
          }
          if (request.state === State.DONE) return undefined;
          request.usb = { hostId: null, progress: null };
        }
        if (request.state !== State.DECIDING) return undefined; // a no-host replacement of a shown prompt
        return this.#enqueue(request, d.timeoutMs);
      default:
        return this.#finish(request, { ok: false, error: d.error ?? UNREACHABLE }, d.error?.name ?? 'error');
    }
  }

  // #enqueue starts the request's timer (Go's timeoutMs) and queues it for the prompt; a prompt Go says must wait
  // for its tab waits until the tab is in front (onTabActivated).
  async #enqueue(request, timeoutMs) {
    request.expiresAt = Date.now() + timeoutMs;
    request.timer = setTimeout(() => this.#end(request, 'timeout', 'timeout'), timeoutMs);
    if (request.prompt?.waitForTab) {
      request.state = State.WAITING_TAB;
      this.#waitingForTab.add(request);
      const tab = await chrome.tabs.get(request.tabId).catch(() => null);
      if (tab?.active && request.state === State.WAITING_TAB) this.onTabActivated({ tabId: request.tabId });
      return;
    }
    request.state = State.QUEUED;
    this.#queue.push(request);
    this.#openNextPrompt();
  }

  /** onTabActivated is the chrome.tabs.onActivated listener: the tab's waiting prompt may open now. */
  onTabActivated({ tabId }) {
    for (const request of [...this.#waitingForTab]) {
      if (request.tabId !== tabId || request.state !== State.WAITING_TAB) continue;
      this.#waitingForTab.delete(request);
      request.state = State.QUEUED;
      this.#queue.push(request);
    }
    this.#openNextPrompt();
  }

  // #end ends a ceremony without approval (denied, timeout) with the page's error from the bridge.
  async #end(request, reason, activity) {
    if (request.state === State.DONE) return;
    const ceremony = request.ceremony;
    request.ceremony = '';
    const ended = await this.#call('/v1/ceremony/end', { ceremony, reason });
    this.#finish(request, { ok: false, error: ended.error ?? UNREACHABLE }, activity);
  }

  // #endQuietly tells the bridge that an opened ceremony has no one to answer (the page left while Go decided).
  #endQuietly(d) {
    if (d?.ceremony) this.#call('/v1/ceremony/end', { ceremony: d.ceremony, reason: 'aborted' });
  }

  // #call calls the bridge and answers its answer object; a bridge failure answers {decision: 'refuse'} /
  // {outcome: 'answer'} with the bridge's error, so every caller handles one shape.
  async #call(route, body) {
    try {
      const { status, body: answer } = await this.#bridge.call(route, body);
      if (status === 200) return answer ?? {};
      const error = answer?.error ?? UNREACHABLE;
      return { decision: 'refuse', outcome: 'answer', error };
    } catch (e) {
      console.error('twinkey: bridge unavailable:', e?.message);
      return { decision: 'refuse', outcome: 'answer', error: UNREACHABLE };
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
      this.#finish(request, { ok: false, error: UNREACHABLE }, 'error');
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
    if (request.ceremony) this.#call('/v1/ceremony/end', { ceremony: request.ceremony, reason: 'aborted' });
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
    if (this.#byTab.get(request.tabId) === request.id) this.#byTab.delete(request.tabId);
    const i = this.#queue.indexOf(request);
    if (i >= 0) this.#queue.splice(i, 1);
    this.#waitingForTab.delete(request);
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

  /** onWindowRemoved: closing the prompt window denies its request (and cancels a waiting USB key). */
  onWindowRemoved(windowId) {
    const request = this.#prompting;
    const waiting = request?.state === State.PROMPTING || (request?.usb && request.state === State.SIGNING);
    if (request && request.windowId === windowId && waiting) {
      request.windowId = undefined;
      this.#end(request, 'denied', 'denied');
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

  /** consentDetails answers consent.get (MESSAGES.md §3): Go's prompt object, the timer and the USB key's state. */
  consentDetails(requestId, sender) {
    const request = this.#promptRequest(requestId, sender);
    if (!request || request.state !== State.PROMPTING) return notPending();
    const details = { ...request.prompt, expiresAt: request.expiresAt };
    if (details.hardware) {
      details.hardware = { ...details.hardware, simulated: this.#native.lastHello?.simulated === true };
      if (request.usb?.progress) details.hardware.progress = request.usb.progress;
    }
    return { ok: true, result: details };
  }

  /**
   * consentAnswer handles consent.answer: deny, or approve (with the passphrase when Go asked for it). It answers
   * {ok: true} once the request is settled, or {ok: false, error} with the prompt left open (Go's retry: wrong or
   * missing passphrase), or {ok: false, error: {name: 'SecurityKeyError'}} for the prompt to show a USB key error.
   */
  async consentAnswer(requestId, approve, passphrase, sender) {
    const request = this.#promptRequest(requestId, sender);
    const usbWaiting = request?.usb && request.state === State.SIGNING && approve !== true; // Cancel while waiting
    if (!request || (request.state !== State.PROMPTING && !usbWaiting)) return notPending();
    if (approve !== true) {
      await this.#end(request, 'denied', 'denied');
      return { ok: true };
    }
    request.state = State.SIGNING;
    const out = await this.#call('/v1/ceremony/approve',
      { ceremony: request.ceremony, passphrase: typeof passphrase === 'string' ? passphrase : '' });
    if (request.state === State.DONE) return notPending();
    if (typeof passphrase === 'string' && passphrase && out.outcome !== 'retry') this.#autoLock.touch();
    return this.#outcome(request, out);
  }

  // #outcome carries out the bridge's outcome of an approval or of a USB key's result.
  async #outcome(request, out) {
    switch (out.outcome) {
      case 'retry':
        request.state = State.PROMPTING;
        return { ok: false, error: out.error };
      case 'usb':
        return this.#runUsb(request, out.host);
      case 'browser':
        this.#finish(request, { ok: true, result: { fallback: true } });
        return { ok: true };
      default:
        if (out.error) {
          this.#finish(request, { ok: false, error: out.error }, out.activity || out.error.name);
          return request.usb ? { ok: false, error: { name: 'SecurityKeyError', message: out.error.message } } : { ok: true };
        }
        this.#finish(request, { ok: true, result: out.result }, out.activity || 'ok');
        if (!request.usb) this.#autoLock.touch();
        return { ok: true };
    }
  }

  // #runUsb sends Go's host request to the USB key and hands the key's result (or error) back to Go.
  async #runUsb(request, host) {
    request.state = State.SIGNING;
    if (!request.usb) {
      // A locked vault's credentials turned out not to be Twinkey's: the USB key, in this same prompt.
      if (!(await this.#native.available())) {
        const d = await this.#call('/v1/ceremony/no-host', { ceremony: request.ceremony });
        if (request.state === State.DONE) return notPending();
        if (d.decision === 'browser') return this.#outcome(request, { outcome: 'browser' });
        this.#finish(request, { ok: false, error: d.error ?? UNREACHABLE }, 'no-host');
        return { ok: true };
      }
      request.usb = { hostId: null, progress: null };
    }
    // The host's own timer runs for what is left of the request's (the request's timer still ends it).
    const params = { ...host.params, timeoutMs: Math.max(1_000, request.expiresAt - Date.now()) };
    const call = this.#native.request(host.type, params, (progress) => this.#hostProgress(request, progress));
    request.usb.hostId = call.id;
    let body;
    try {
      body = { ceremony: request.ceremony, result: await call.done };
    } catch (e) {
      const code = e instanceof HostError ? e.code : 'internal';
      body = { ceremony: request.ceremony, error: { code, message: e?.message ?? '' } };
      request.closeDelayMs = USB_CLOSE_DELAY_MS;
    }
    request.usb.hostId = null;
    if (request.state === State.DONE) return notPending();
    return this.#outcome(request, await this.#call('/v1/ceremony/host-result', body));
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

  // #answerHostQuestion delivers the prompt's answer to a question the host asked about the prompt's request.
  async #answerHostQuestion(requestId, sender, undelivered, invalid, deliver) {
    const request = this.#promptRequest(requestId, sender);
    if (!request?.usb?.hostId || request.state !== State.SIGNING) return notPending();
    const problem = invalid(request);
    if (problem) return { ok: false, error: { name: 'TypeError', message: problem } };
    try {
      await deliver(request.usb.hostId);
      return { ok: true };
    } catch (e) {
      return { ok: false, error: { name: 'SecurityKeyError', message: e?.message ?? undelivered } };
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

// Prompt windows open in this run, kept in chrome.storage.session so the next run can close them.
async function rememberPromptWindow(windowId, open) {
  const items = await chrome.storage.session.get(PROMPT_WINDOWS_KEY);
  const ids = new Set(Array.isArray(items[PROMPT_WINDOWS_KEY]) ? items[PROMPT_WINDOWS_KEY] : []);
  if (open) ids.add(windowId);
  else if (!ids.delete(windowId)) return;
  await chrome.storage.session.set({ [PROMPT_WINDOWS_KEY]: [...ids] });
}
