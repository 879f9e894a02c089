// Helpers of the service-worker tests: test sites served by Playwright's request interception (no network, no
// relying party needed), requests sent the way the page script sends them (extension/MESSAGES.md §1), answered by
// the real bridge (Go in the service worker) with a vault the test creates.
'use strict';

const { markAnswered } = require('../../fixtures');

const SITE = 'https://app.sw-test.example';
const OTHER_SITE = 'https://widget.sw-other.example';

/**
 * serveSite answers every request under origin with html (default: an empty page), in this browser context.
 * @param {import('@playwright/test').BrowserContext} context
 */
async function serveSite(context, origin, html = '<!doctype html><title>sw test</title><p>test site</p>') {
  await context.route(`${origin}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: html }));
}

/** openSite serves origin and opens its front page in a new tab. */
async function openSite(context, origin = SITE, html) {
  await serveSite(context, origin, html);
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  // To the front, as a page a person uses: create() from a background tab is refused (the onboarding tab the
  // extension opens on install can otherwise come up over it).
  await page.bringToFront();
  return page;
}

// send posts one request to the relay from frame (a Page or Frame) and resolves with the relay's answer. quiet:
// first wait until the frame's transient user activation has expired (Chromium: 5 s after the activation):
// Playwright's evaluate itself runs with a user gesture, so the wait and the request are one evaluate.
function send(frame, op, payload, id, quiet) {
  return frame.evaluate(([op, payload, id, quiet]) => new Promise((resolve) => {
    const go = () => {
      addEventListener('message', function onAnswer(e) {
        const d = e.data;
        if (e.source !== window || !d || d.__twinkey !== 1 || d.dir !== 'to-page' || d.id !== id) return;
        removeEventListener('message', onAnswer);
        resolve({ ok: d.ok, result: d.result, error: d.error });
      });
      postMessage({ __twinkey: 1, dir: 'to-relay', id, op, payload }, '*');
    };
    if (!quiet) return go();
    const t = setInterval(() => {
      if (navigator.userActivation.isActive) return;
      clearInterval(t);
      go();
    }, 100);
    return undefined;
  }), [op, payload, id, quiet]);
}

const newId = () => `t${Math.random().toString(36).slice(2, 12)}`;

/** sendRequest: one request as the page script sends it ({ok, result} or {ok, error}); id for aborting. */
const sendRequest = (frame, op, payload, id = newId()) => send(frame, op, payload, id, false);

/** sendRequestQuietly: sendRequest without the transient activation Playwright's evaluate gives the frame. */
const sendRequestQuietly = (frame, op, payload, id = newId()) => send(frame, op, payload, id, true);

/** abortRequest sends the page script's abort for request id. */
async function abortRequest(frame, id) {
  await frame.evaluate((id) => postMessage({ __twinkey: 1, dir: 'to-relay', id, op: 'abort', payload: {} }, '*'), id);
}

const createOptions = {
  rp: { name: 'SW test' },
  user: { id: 'AQID', name: 'ann@example', displayName: 'Ann' },
  challenge: 'AAECAwQFBgcICQoLDA0ODw',
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
};
const getOptions = { challenge: 'AAECAwQFBgcICQoLDA0ODw', allowCredentials: [{ type: 'public-key', id: 'AAAA' }] };

const PASSPHRASE = 'correct horse battery staple';

/** realVault creates a vault in the profile's real bridge (Go in the service worker); answers the phrase. */
async function realVault(sw, passphrase = PASSPHRASE) {
  const { phrase } = await sw.evaluate((p) => self.twinkey.bridge('/v1/vault/create', { passphrase: p }), passphrase);
  return phrase;
}

/** activity answers the results of the activity log, oldest first. */
async function activity(sw) {
  const { activity: list } = await sw.evaluate(() => chrome.storage.local.get('activity'));
  return (list ?? []).map((a) => a.result);
}

/** consentReady waits for the consent page to have loaded its request (Approve enabled). */
async function consentReady(consent) {
  await consent.locator('#approve:enabled').waitFor({ timeout: 10_000 });
  return consent;
}

/**
 * press clicks selector (or presses key on the page, with {key}) in the consent page. The service worker closes
 * the prompt as soon as it has an answer, which can end the page before Playwright's action returns: that is
 * success, not a failure.
 */
async function press(consent, selector, { key } = {}) {
  if (key === 'Enter' || key === 'Escape' || /#(approve|deny)\b/.test(selector ?? '')) markAnswered(consent);
  const action = key ? consent.keyboard.press(key) : consent.locator(selector).click();
  await action.catch((e) => {
    if (!consent.isClosed() && !/closed/.test(e.message)) throw e;
  });
}

module.exports = {
  press,
  SITE, OTHER_SITE, serveSite, openSite, sendRequest, sendRequestQuietly, abortRequest, createOptions, getOptions, realVault, activity,
  consentReady, PASSPHRASE,
};
