// Issue 3 scenarios beyond tests/extension-journeys.spec.js: every way a prompt ends without approval, the exclude
// list, and a page forging the relay's messages. Every ceremony is answered in the real consent window; every
// credential is verified by the Go RP (go-webauthn).
'use strict';
const { test, expect, waitForConsent } = require('../../fixtures');
const { newUser, ready, result, consent, ceremony } = require('./helpers');

test('deny, closing the prompt, and a timeout answer NotAllowedError', async ({ twinkey, rp }) => {
  const { context } = await ready(twinkey);
  const page = await twinkey.newPage();
  const user = newUser('deny');
  await page.goto(rp.url(`/webauthn.html?username=${user}`));
  expect(await ceremony(page, context, '#register', { click: '#deny' })).toMatchObject({ status: 'error', errorName: 'NotAllowedError' });

  // After a denial the origin is held back for 3 s (bridge/PROTOCOL.md "end"), then 6 s after a second one.
  await page.waitForTimeout(3_100);
  await page.click('#register');
  const prompt = await waitForConsent(context);
  await prompt.close();
  expect(await result(page)).toMatchObject({ status: 'error', errorName: 'NotAllowedError' });
  expect(await rp.credentials(user)).toHaveLength(0);

  // The shortest timeout a page can ask for is clamped to 10 s (Chromium's former minimum): nobody answers.
  await page.waitForTimeout(6_100);
  const outcome = page.evaluate(async () => {
    try {
      await navigator.credentials.create({ publicKey: {
        rp: { name: 'x' }, user: { id: new Uint8Array([1]), name: 'a', displayName: 'a' },
        challenge: new Uint8Array(16), pubKeyCredParams: [{ type: 'public-key', alg: -7 }], timeout: 1000,
      } });
      return 'resolved';
    } catch (e) { return e.name; }
  });
  await waitForConsent(context);
  expect(await outcome).toBe('NotAllowedError');
});

test('excludeCredentials: registering Twinkey twice gives InvalidStateError after consent', async ({ twinkey, rp }) => {
  const { context } = await ready(twinkey);
  const page = await twinkey.newPage();
  const user = newUser('exclude');
  await page.goto(rp.url(`/simplewebauthn.html?username=${user}`));
  expect(await ceremony(page, context, '#register')).toMatchObject({ status: 'ok' });
  expect(await ceremony(page, context, '#register')).toMatchObject({ status: 'error', errorName: 'InvalidStateError' });
  expect(await rp.credentials(user)).toHaveLength(1);
});

test('a page that forges relay messages with another origin cannot use it', async ({ twinkey, rp }) => {
  const { context } = await ready(twinkey);
  const page = await twinkey.newPage();
  await page.goto(rp.url('/webauthn.html', { origin: 'https' }));
  const real = new URL(rp.origin('https')).origin;
  // The page talks to the relay directly and claims to be evil.example.test, in every field it can reach.
  const forged = page.evaluate(() => new Promise((resolve) => {
    const id = 'forged-1';
    window.addEventListener('message', (e) => {
      if (e.data && e.data.__twinkey === 1 && e.data.dir === 'to-page' && e.data.id === id) resolve(e.data);
    });
    const options = { rp: { name: 'x', id: 'evil.example.test' }, user: { id: 'AQ', name: 'a', displayName: 'a' },
      challenge: 'AAAAAAAAAAAAAAAAAAAAAA', pubKeyCredParams: [{ type: 'public-key', alg: -7 }] };
    window.postMessage({ __twinkey: 1, dir: 'to-relay', id, op: 'webauthn.create', origin: 'https://evil.example.test',
      payload: { origin: 'https://evil.example.test', options } }, '*');
  }));
  // The RP ID is not a suffix of the real origin: Twinkey leaves the request to the browser (which checks related
  // origins itself, with the real origin), and signs nothing.
  const answer = await forged;
  expect(answer).toMatchObject({ ok: true, result: { fallback: true } });
  // Without an RP ID the credential is bound to the real origin, whatever the page claims.
  const second = page.evaluate(() => new Promise((resolve) => {
    const id = 'forged-2';
    window.addEventListener('message', (e) => {
      if (e.data && e.data.__twinkey === 1 && e.data.dir === 'to-page' && e.data.id === id) resolve(e.data);
    });
    const options = { rp: { name: 'x' }, user: { id: 'AQ', name: 'a', displayName: 'a' },
      challenge: 'AAAAAAAAAAAAAAAAAAAAAA', pubKeyCredParams: [{ type: 'public-key', alg: -7 }] };
    window.postMessage({ __twinkey: 1, dir: 'to-relay', id, op: 'webauthn.create',
      payload: { origin: 'https://evil.example.test', topOrigin: 'https://evil.example.test', options } }, '*');
  }));
  const prompt = await consent(context, { site: new URL(real).hostname });
  expect(prompt).toBeTruthy();
  const ok = await second;
  expect(ok.ok).toBe(true);
  const clientData = JSON.parse(Buffer.from(ok.result.response.clientDataJSON, 'base64url').toString());
  expect(clientData.origin).toBe(real);
  expect(clientData.crossOrigin).toBe(false);
});
