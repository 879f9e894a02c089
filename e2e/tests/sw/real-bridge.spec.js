// The whole service-worker path with the real Go bridge (skipped while bridge.NewHandler is the 501 stub):
// page -> relay -> router -> prepare (Go) -> consent -> create/get (Go) -> page, then the same after locking.
'use strict';

const { test, expect, waitForConsent } = require('../../fixtures');
const { SITE, openSite, sendRequest, createOptions, consentReady, press } = require('./helpers');

const PASSPHRASE = 'correct horse battery';

// approveTimed clicks Approve inside the prompt and answers the click's wall-clock time.
async function approveTimed(consent) {
  return consent.evaluate(() => {
    const t = performance.timeOrigin + performance.now();
    document.getElementById('approve').click();
    return t;
  });
}

async function sendTimed(page, op, payload) {
  return page.evaluate(([op, payload]) => new Promise((resolve) => {
    const id = `r${Math.random().toString(36).slice(2, 12)}`;
    addEventListener('message', function onAnswer(e) {
      const d = e.data;
      if (e.source !== window || !d || d.__twinkey !== 1 || d.dir !== 'to-page' || d.id !== id) return;
      removeEventListener('message', onAnswer);
      resolve({ ok: d.ok, result: d.result, error: d.error, at: performance.timeOrigin + performance.now() });
    });
    postMessage({ __twinkey: 1, dir: 'to-relay', id, op, payload }, '*');
  }), [op, payload]);
}

test('register and sign in through the real bridge; locked vault asks for the passphrase', async ({ twinkey }) => {
  test.setTimeout(120_000);
  const { context, sw } = twinkey;
  const status = await sw.evaluate(() => self.twinkey.bridge('/v1/vault/status', {}).then((s) => s, () => null));
  test.skip(!status, 'the bridge is still the 501 stub');
  await sw.evaluate((p) => self.twinkey.bridge('/v1/vault/create', { passphrase: p }), PASSPHRASE);
  const page = await openSite(context);

  let answer = sendTimed(page, 'webauthn.create', { options: createOptions });
  let consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#passphrase')).toBeHidden();
  let clicked = await approveTimed(consent);
  const created = await answer;
  expect(created.ok).toBe(true);
  expect(created.result).toMatchObject({ type: 'public-key', response: { attestationObject: expect.any(String) } });
  const clientData = JSON.parse(Buffer.from(created.result.response.clientDataJSON, 'base64url').toString());
  expect(clientData).toMatchObject({ type: 'webauthn.create', origin: SITE, challenge: createOptions.challenge, crossOrigin: false });
  const createMs = created.at - clicked;

  const getOptions = { challenge: 'AQIDBAUGBwgJCgsMDQ4PEA', allowCredentials: [{ type: 'public-key', id: created.result.id }] };
  await expect.poll(() => consent.isClosed()).toBe(true);
  answer = sendTimed(page, 'webauthn.get', { options: getOptions });
  consent = await consentReady(await waitForConsent(context));
  clicked = await approveTimed(consent);
  const got = await answer;
  expect(got.ok).toBe(true);
  expect(got.result.id).toBe(created.result.id);
  expect(got.result.response.signature).toEqual(expect.any(String));
  const getMs = got.at - clicked;
  console.log(`real bridge: approve -> page answer, create ${createMs.toFixed(1)} ms, get ${getMs.toFixed(1)} ms`);
  test.info().annotations.push({ type: 'approve->page, real create/get (ms)', description: `${createMs.toFixed(1)} / ${getMs.toFixed(1)}` });

  // Locked: the prompt asks for the passphrase; a wrong one keeps it open; the right one unlocks and signs.
  await expect.poll(() => consent.isClosed()).toBe(true);
  await sw.evaluate(() => self.twinkey.bridge('/v1/vault/lock', {}));
  answer = sendRequest(page, 'webauthn.get', { options: getOptions });
  consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#passphrase')).toBeVisible();
  await consent.locator('#passphrase').fill('not it');
  await consent.locator('#approve').click();
  await expect(consent.locator('#error')).toHaveText(/Wrong passphrase/, { timeout: 20_000 });
  await consent.locator('#passphrase').fill(PASSPHRASE);
  await press(consent, '#approve');
  const unlocked = await answer;
  expect(unlocked.ok).toBe(true);
  expect(unlocked.result.id).toBe(created.result.id);
  expect(await sw.evaluate(() => self.twinkey.bridge('/v1/vault/status', {}))).toMatchObject({ unlocked: true });
  const { activity } = await sw.evaluate(() => chrome.storage.local.get('activity'));
  expect(activity.map((a) => [a.site, a.op, a.result])).toEqual([
    ['app.sw-test.example', 'webauthn.create', 'ok'],
    ['app.sw-test.example', 'webauthn.get', 'ok'],
    ['app.sw-test.example', 'webauthn.get', 'ok'],
  ]);
});
