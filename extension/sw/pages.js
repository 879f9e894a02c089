// Messages from extension pages (MESSAGES.md §3): settings, activity, vault routes and the consent prompt.
//
// Only the extension's own pages are answered: sender.id must be this extension and sender.url one of its pages.
// Content scripts share the extension id but run at web pages' URLs, so they are not answered.
//
// The consent prompt also opens a port (CONSENT_PORT, MESSAGES.md §3) when it loads and sends consent.answer on
// it: a message on an open port costs about 0.3 ms here, chrome.runtime.sendMessage about 2 ms (it opens a
// channel per call), and the answer is on the path between the approve click and the page's answer.

import { CONSENT_PAGE } from './requests.js';

// Vault routes extension pages may call (bridge/PROTOCOL.md "Vault").
const VAULT_ROUTES = new Set([
  '/v1/vault/status', '/v1/vault/create', '/v1/vault/restore', '/v1/vault/unlock', '/v1/vault/lock',
  '/v1/vault/phrase', '/v1/vault/passphrase', '/v1/vault/erase',
]);
const OPENS_VAULT = new Set(['/v1/vault/create', '/v1/vault/restore', '/v1/vault/unlock']);
const CLOSES_VAULT = new Set(['/v1/vault/lock', '/v1/vault/erase']);

/** isExtensionPage says whether sender is one of this extension's own pages. */
export function isExtensionPage(sender) {
  const base = chrome.runtime.getURL('');
  return sender?.id === chrome.runtime.id && typeof sender.url === 'string' && sender.url.startsWith(base)
    && (sender.origin === undefined || sender.origin === base.replace(/\/$/, ''));
}

/** CONSENT_PORT is the name of the consent prompt's port. */
export const CONSENT_PORT = 'twinkey.consent';

function isConsentPage(sender) {
  return sender.url.startsWith(chrome.runtime.getURL(CONSENT_PAGE) + '?');
}

/** PageMessages answers MESSAGES.md §3. */
export class PageMessages {
  #bridge;
  #router;
  #activity;
  #autoLock;

  constructor({ bridge, router, activity, autoLock }) {
    this.#bridge = bridge;
    this.#router = router;
    this.#activity = activity;
    this.#autoLock = autoLock;
  }

  /** onMessage is the chrome.runtime.onMessage listener. */
  onMessage(msg, sender, sendResponse) {
    if (!isExtensionPage(sender) || !msg || typeof msg !== 'object') return false;
    this.#answer(msg, sender).then(sendResponse);
    return true; // the answer is sent asynchronously
  }

  // #answer is #handle with its failures turned into the one error answer pages get.
  #answer(msg, sender) {
    return this.#handle(msg, sender).catch((e) => {
      console.error('twinkey: page message failed:', e?.message);
      return { ok: false, error: { name: 'NotReadableError', message: 'Twinkey could not process the message.' } };
    });
  }

  /**
   * onConnect is the chrome.runtime.onConnect listener for the consent prompt's port: each message
   * {kind: 'consent.answer', seq, requestId, approve, passphrase?} is answered on the port with the same answer as
   * over sendMessage (the same handler), plus the message's seq.
   */
  onConnect(port) {
    if (port.name !== CONSENT_PORT) return;
    if (!isExtensionPage(port.sender) || !isConsentPage(port.sender)) {
      port.disconnect();
      return;
    }
    port.onMessage.addListener((msg) => {
      if (!msg || typeof msg !== 'object' || msg.kind !== 'consent.answer') return;
      const { seq } = msg;
      this.#answer(msg, port.sender).then((answer) => {
        try {
          port.postMessage({ seq, ...answer });
        } catch {
          // The prompt closed first.
        }
      });
    });
  }

  async #handle(msg, sender) {
    switch (msg.kind) {
      case 'bridge':
        return this.#vault(msg.route, msg.body);
      case 'consent.get':
        if (!isConsentPage(sender)) return refused();
        return this.#router.consentDetails(msg.requestId, sender);
      case 'consent.answer':
        if (!isConsentPage(sender)) return refused();
        return this.#router.consentAnswer(msg.requestId, msg.approve, msg.passphrase, sender);
      case 'consent.pin':
        if (!isConsentPage(sender)) return refused();
        return this.#router.consentPin(msg.requestId, msg.pin, sender);
      case 'consent.choose':
        if (!isConsentPage(sender)) return refused();
        return this.#router.consentChoose(msg.requestId, msg.index, sender);
      case 'host.status':
        return { ok: true, result: await this.#router.hostStatus() };
      case 'settings.get':
        return this.#route('/v1/settings/get', {});
      case 'settings.set':
        return this.#route('/v1/settings/set', { settings: msg.settings ?? {} });
      case 'activity.list':
        return { ok: true, result: await this.#activity.list() };
      case 'activity.clear':
        await this.#activity.clear();
        return { ok: true, result: [] };
      default:
        return { ok: false, error: { name: 'TypeError', message: 'Unknown message kind.' } };
    }
  }

  async #vault(route, body) {
    if (!VAULT_ROUTES.has(route)) return { ok: false, error: { name: 'TypeError', message: 'Not a vault route.' } };
    const answer = await this.#route(route, body && typeof body === 'object' ? body : {});
    if (!answer.ok) return answer;
    if (OPENS_VAULT.has(route)) this.#autoLock.touch();
    if (CLOSES_VAULT.has(route)) this.#autoLock.cancel();
    return answer;
  }

  async #route(route, body) {
    const answer = await this.#bridge.call(route, body);
    if (answer.status !== 200) {
      return { ok: false, error: answer.body?.error ?? { name: 'NotReadableError', message: 'Bridge error.' } };
    }
    return { ok: true, result: answer.body };
  }
}

function refused() {
  return { ok: false, error: { name: 'NotAllowedError', message: 'Only the consent prompt may send this.' } };
}
