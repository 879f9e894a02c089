// Timing of the consent path in real Chromium (figures are printed and attached as annotations):
//   page call -> consent prompt shown, warm and with the service worker stopped first (targets 50 / 300 ms);
//   approve click -> page promise settled, against Chromium's own virtual authenticator (target: within 3x).
// The machine is shared and noisy (load averages of 10-17 on 2 cores were seen): the assertions only catch gross
// regressions; the printed medians are the numbers to read.
'use strict';

const { test, expect, waitForConsent, stopServiceWorkers, addVirtualAuthenticator } = require('../../fixtures');
const { SITE, openSite, serveSite, createOptions, realVault, consentReady, press } = require('./helpers');


const ROUNDS = 5;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// timedRequest posts a request from page and records, in the page, the wall-clock time of the post and of the
// answer (performance.timeOrigin + now(): comparable across Chromium processes to well under a millisecond).
function timedRequest(page, op, payload) {
  return page.evaluate(([op, payload]) => new Promise((resolve) => {
    const id = `s${Math.random().toString(36).slice(2, 12)}`;
    const now = () => performance.timeOrigin + performance.now();
    addEventListener('message', function onAnswer(e) {
      const d = e.data;
      if (e.source !== window || !d || d.__twinkey !== 1 || d.dir !== 'to-page' || d.id !== id) return;
      removeEventListener('message', onAnswer);
      resolve({ sentAt, answeredAt: now(), ok: d.ok });
    });
    const sentAt = now();
    postMessage({ __twinkey: 1, dir: 'to-relay', id, op, payload }, '*');
  }), [op, payload]);
}

// markTime answers the wall-clock time of a performance mark in the consent page.
async function markTime(consent, name) {
  return consent.evaluate((n) => performance.timeOrigin + performance.getEntriesByName(n)[0].startTime, name);
}

// oneRound: one request from page, shown, approved inside the prompt; answers the two intervals in ms.
async function oneRound(context, page) {
  const answer = timedRequest(page, 'webauthn.create', { options: createOptions });
  const consent = await consentReady(await waitForConsent(context));
  const shownAt = await markTime(consent, 'twinkey-consent-shown');
  // Click in the page itself and answer the click's time before the service worker closes the window.
  const clickedAt = await consent.evaluate(() => {
    const t = performance.timeOrigin + performance.now();
    document.getElementById('approve').click();
    return t;
  }).catch(() => null);
  const result = await answer;
  await expect.poll(() => consent.isClosed()).toBe(true);
  return { toPrompt: shownAt - result.sentAt, approveToPage: clickedAt && result.answeredAt - clickedAt, ok: result.ok };
}

test('page call -> prompt shown (warm), approve -> page answer', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  const page = await openSite(context);
  await realVault(sw);
  const rounds = [];
  for (let i = 0; i < ROUNDS + 1; i++) rounds.push(await oneRound(context, page));
  rounds.shift(); // the first round warms the consent page's resources
  const toPrompt = median(rounds.map((r) => r.toPrompt));
  const approve = rounds.map((r) => r.approveToPage).filter((x) => x !== null);
  const approveMedian = approve.length ? median(approve) : NaN;
  console.log(`warm: page call -> prompt shown median ${toPrompt.toFixed(1)} ms [${rounds.map((r) => r.toPrompt.toFixed(1))}]; ` +
    `approve -> page answer median ${approveMedian.toFixed(1)} ms [${approve.map((x) => x.toFixed(1))}]`);
  test.info().annotations.push({ type: 'warm page->prompt (ms)', description: toPrompt.toFixed(1) });
  test.info().annotations.push({ type: 'approve->page (ms)', description: approveMedian.toFixed(1) });
  expect(rounds.every((r) => r.ok)).toBe(true);
  // Reported, not asserted (a timed assertion fails on a slow machine): BENCHMARKS.md has the figures.
  expect(Number.isFinite(toPrompt) && toPrompt > 0).toBe(true);
});

test('page call -> prompt shown with the service worker stopped first', async ({ twinkey }) => {
  test.setTimeout(120_000);
  const { context, sw } = twinkey;
  const page = await openSite(context);
  await realVault(sw);
  const rounds = [];
  for (let i = 0; i < 3; i++) {
    await stopServiceWorkers(context, { page });
    const answer = timedRequest(page, 'webauthn.create', { options: createOptions });
    const consent = await consentReady(await waitForConsent(context, { timeout: 20_000 }));
    const shownAt = await markTime(consent, 'twinkey-consent-shown');
    await press(consent, '#deny');
    const { sentAt, ok } = await answer;
    expect(ok).toBe(false);
    rounds.push(shownAt - sentAt);
    await expect.poll(() => consent.isClosed()).toBe(true);
  }
  console.log(`cold: page call -> prompt shown [${rounds.map((x) => x.toFixed(1))}] ms`);
  test.info().annotations.push({ type: 'cold page->prompt (ms)', description: median(rounds).toFixed(1) });
  expect(Number.isFinite(median(rounds)) && median(rounds) > 0).toBe(true); // reported, not asserted
});

test('reference: Chromium\'s virtual authenticator, navigator.credentials.get round trip', async ({ plain }) => {
  const page = await plain.newPage();
  await serveSite(plain.context, SITE);
  await page.goto(`${SITE}/`);
  const va = await addVirtualAuthenticator(page);
  const times = await page.evaluate(async () => {
    const b = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    const cred = await navigator.credentials.create({ publicKey: {
      rp: { name: 'ref' }, user: { id: b('ann'), name: 'ann', displayName: 'Ann' }, challenge: b('0123456789abcdef'),
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }], timeout: 10000,
    } });
    const out = [];
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      await navigator.credentials.get({ publicKey: { challenge: b('0123456789abcdef'), allowCredentials: [{ type: 'public-key', id: cred.rawId }], timeout: 10000 } });
      out.push(performance.now() - t0);
    }
    return out.slice(1);
  });
  const m = median(times);
  console.log(`virtual authenticator get(): median ${m.toFixed(1)} ms [${times.map((x) => x.toFixed(1))}]`);
  test.info().annotations.push({ type: 'virtual authenticator get (ms)', description: m.toFixed(1) });
  expect(times).toHaveLength(5);
  await va.remove();
});
