// Messages from extension pages to the service worker (extension/MESSAGES.md §3).
'use strict';

const { test, expect, waitForConsent } = require('../../fixtures');
const { openSite, sendRequest, createOptions, realVault, consentReady, press } = require('./helpers');

// extensionPage opens an extension page: the consent page without a request, which stays open and idle.
async function extensionPage(twinkey) {
  const page = await twinkey.context.newPage();
  await page.goto(`chrome-extension://${twinkey.extensionId}/consent/consent.html`);
  return page;
}

const send = (page, msg) => page.evaluate((m) => chrome.runtime.sendMessage(m), msg);

test('settings: defaults, merge, normalisation (Go: core/settings)', async ({ twinkey }) => {
  const page = await extensionPage(twinkey);
  expect(await send(page, { kind: 'settings.get' })).toEqual({ ok: true, result: { autoLockMinutes: 15, uvWindowMinutes: 0, sites: {} } });
  const set = await send(page, { kind: 'settings.set', settings: {
    autoLockMinutes: 5,
    sites: { 'example.com': { hardwareOnly: true, counterPolicy: 'zero', extra: 1 }, 'Bad Key!': { off: true } },
  } });
  expect(set).toEqual({ ok: true, result: { autoLockMinutes: 5, uvWindowMinutes: 0, sites: {
    'example.com': { hardwareOnly: true, off: false, counterPolicy: 'zero' },
  } } });
  // A partial update keeps the other fields.
  expect((await send(page, { kind: 'settings.set', settings: { autoLockMinutes: 0 } })).result)
    .toEqual({ autoLockMinutes: 0, uvWindowMinutes: 0, sites: set.result.sites });
  expect((await send(page, { kind: 'settings.set', settings: { uvWindowMinutes: 7 } })).result.uvWindowMinutes).toBe(7);
  expect((await send(page, { kind: 'settings.set', settings: { uvWindowMinutes: 61 } })).result.uvWindowMinutes).toBe(0);
  expect((await send(page, { kind: 'settings.set', settings: { autoLockMinutes: -3 } })).result.autoLockMinutes).toBe(15);
});

test('activity: newest first, capped at 200, clearable', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await sw.evaluate(() => chrome.storage.local.set({ activity: Array.from({ length: 200 }, (_, i) => ({ site: `s${i}.example`, op: 'webauthn.get', time: i, result: 'ok' })) }));
  // One more event, through the router: a denial.
  await realVault(sw);
  const site = await openSite(context);
  const answer = sendRequest(site, 'webauthn.create', { options: createOptions });
  await press(await consentReady(await waitForConsent(context)), '#deny');
  await answer;
  const page = await extensionPage(twinkey);
  let listed;
  await expect.poll(async () => (listed = await send(page, { kind: 'activity.list' })).result[0].site).toBe('app.sw-test.example');
  expect(listed.result).toHaveLength(200);
  expect(listed.result[0]).toEqual({ site: 'app.sw-test.example', op: 'webauthn.create', time: expect.any(Number), result: 'denied' });
  expect(listed.result[1].site).toBe('s199.example');
  expect(listed.result[199].site).toBe('s1.example'); // s0 dropped
  expect(await send(page, { kind: 'activity.clear' })).toEqual({ ok: true, result: [] });
  expect((await send(page, { kind: 'activity.list' })).result).toEqual([]);
});

test('only vault routes are proxied; consent messages only from a prompt', async ({ twinkey }) => {
  const page = await extensionPage(twinkey);
  for (const route of ['/v1/ceremony/approve', '/v1/ceremony/decide', '/v1/settings/set']) {
    expect(await send(page, { kind: 'bridge', route, body: {} })).toMatchObject({ ok: false, error: { name: 'TypeError' } });
  }
  expect(await send(page, { kind: 'bridge', route: '/v1/vault/status', body: {} })).toEqual({ ok: true, result: { exists: false, unlocked: false } });
  // Consent messages are accepted only from a prompt page (consent.html?req=…) showing that request.
  expect(await send(page, { kind: 'consent.get', requestId: 'q-nope' })).toMatchObject({ ok: false, error: { name: 'NotAllowedError' } });
  expect(await send(page, { kind: 'consent.answer', requestId: 'q-nope', approve: true })).toMatchObject({ ok: false, error: { name: 'NotAllowedError' } });
  expect(await send(page, { kind: 'nonsense' })).toMatchObject({ ok: false, error: { name: 'TypeError' } });
});
