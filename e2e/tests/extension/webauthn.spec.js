// Issue 3 scenarios: WebAuthn through the real extension, every ceremony approved or denied in the real consent
// window, every credential verified by the Go RP (go-webauthn).
'use strict';
const { test, expect, waitForConsent } = require('../../fixtures');
const { newUser, ready, result, consent, ceremony } = require('./helpers');

for (const attestation of ['none', 'direct']) {
  test(`register and sign in with plain fetch + navigator.credentials (attestation ${attestation})`, async ({ twinkey, rp }) => {
    const { context } = await ready(twinkey);
    const page = await twinkey.newPage();
    const user = newUser('plain');
    await page.goto(rp.url(`/webauthn.html?username=${user}&attestation=${attestation}`));
    const reg = await ceremony(page, context, '#register', { site: 'localhost' });
    expect(reg, JSON.stringify(reg)).toMatchObject({ op: 'register', status: 'ok' });
    for (let i = 0; i < 2; i++) {
      const login = await ceremony(page, context, '#login');
      expect(login, JSON.stringify(login)).toMatchObject({ op: 'login', status: 'ok' });
    }
    const [cred] = await rp.credentials(user);
    expect(cred.format).toBe(attestation === 'none' ? 'none' : 'packed');
    expect(cred.logins).toBe(2);
    expect(cred.signCount).toBeGreaterThan(0);
  });
}

test('register and sign in with @simplewebauthn/browser', async ({ twinkey, rp }) => {
  const { context } = await ready(twinkey);
  const page = await twinkey.newPage();
  const user = newUser('swa');
  await page.goto(rp.url(`/simplewebauthn.html?username=${user}`));
  expect(await ceremony(page, context, '#register')).toMatchObject({ status: 'ok' });
  expect(await ceremony(page, context, '#login')).toMatchObject({ status: 'ok' });
});

test('deny, closing the prompt, and a timeout answer NotAllowedError', async ({ twinkey, rp }) => {
  const { context } = await ready(twinkey);
  const page = await twinkey.newPage();
  const user = newUser('deny');
  await page.goto(rp.url(`/webauthn.html?username=${user}`));
  expect(await ceremony(page, context, '#register', { click: '#deny' })).toMatchObject({ status: 'error', errorName: 'NotAllowedError' });

  await page.click('#register');
  const prompt = await waitForConsent(context);
  await prompt.close();
  expect(await result(page)).toMatchObject({ status: 'error', errorName: 'NotAllowedError' });
  expect(await rp.credentials(user)).toHaveLength(0);

  // The shortest timeout a page can ask for is clamped to 10 s (PROTOCOLS §3.6): nobody answers the prompt.
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

for (const allow of [true, false]) {
  test(`cross-origin iframe ${allow ? 'with' : 'without'} allow= publickey-credentials`, async ({ twinkey, rp }) => {
    const { context } = await ready(twinkey);
    const page = await twinkey.newPage();
    const user = newUser('iframe');
    const child = rp.url(`/webauthn.html?username=${user}`, { origin: 1 });
    await page.goto(rp.url(`/iframe.html?allow=${allow ? 1 : 0}&child=${encodeURIComponent(child)}`));
    const frame = page.frameLocator('#child');
    await frame.locator('#register').click();
    if (allow) {
      const prompt = await waitForConsent(context);
      // The prompt names the frame's own origin, which the browser reported.
      await expect(prompt.locator('#site')).toContainText(new URL(rp.origin(1)).host);
      await prompt.click('#approve');
      expect(await result(page)).toMatchObject({ status: 'ok' });
      const [cred] = await rp.credentials(user);
      expect(cred.origin).toBe(rp.origin(1));
    } else {
      expect(await result(page)).toMatchObject({ status: 'error', errorName: 'NotAllowedError' });
      expect(context.pages().some((p) => p.url().includes('/consent/'))).toBe(false);
    }
  });
}

for (const c of [
  { name: 'another site\'s domain', origin: 'https', rpId: 'evil.example.test' },
  { name: 'a public suffix', origin: 'foo.co.uk', rpId: 'co.uk' },
]) {
  test(`an RP ID that is ${c.name} is refused with SecurityError before any prompt`, async ({ twinkey, rp }) => {
    await ready(twinkey);
    const page = await twinkey.newPage();
    await page.goto(rp.url(`/webauthn.html?username=${newUser('rpid')}&rpId=${c.rpId}`, { origin: c.origin }));
    await page.click('#register');
    expect(await result(page)).toMatchObject({ status: 'error', errorName: 'SecurityError' });
    expect(twinkey.context.pages().some((p) => p.url().includes('/consent/'))).toBe(false);
  });
}

test('http on a host other than localhost gets no WebAuthn and no window.u2f', async ({ twinkey, rp }) => {
  await ready(twinkey);
  const page = await twinkey.newPage();
  await page.goto(rp.url('/webauthn.html', { origin: 'http:rp.example.test' }));
  expect(await page.evaluate(() => [window.isSecureContext, typeof navigator.credentials, typeof window.u2f]))
    .toEqual([false, 'undefined', 'undefined']);
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
  const answer = await forged;
  expect(answer.ok).toBe(false);
  expect(answer.error.name).toBe('SecurityError');
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
