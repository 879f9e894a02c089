// The service worker's request router in real Chromium: page -> relay -> SW -> Go (the real bridge) -> consent
// window -> answer. The service worker only carries: what a page gets is Go's (bridge/PROTOCOL.md "Ceremonies").
'use strict';

const { test, expect, waitForConsent, stopServiceWorkers } = require('../../fixtures');
const {
  SITE, OTHER_SITE, openSite, serveSite, sendRequest, sendRequestQuietly, abortRequest, createOptions, realVault, activity,
  consentReady, press, PASSPHRASE,
} = require('./helpers');

const clientData = (answer) => JSON.parse(Buffer.from(answer.result.response.clientDataJSON, 'base64url').toString());
const prompts = (context) => context.pages().filter((p) => p.url().includes('/consent/consent.html') && !p.isClosed());

// register makes a credential on page through the prompt and answers it.
async function register(page, context) {
  const answer = sendRequest(page, 'webauthn.create', { options: createOptions });
  const consent = await consentReady(await waitForConsent(context));
  await press(consent, '#approve');
  await expect.poll(() => consent.isClosed()).toBe(true); // the next waitForConsent must not find this prompt
  const registered = await answer;
  expect(registered.ok, JSON.stringify(registered)).toBe(true);
  return registered.result;
}

const getFor = (credential) => ({ challenge: 'AAECAwQFBgcICQoLDA0ODw', allowCredentials: [{ type: 'public-key', id: credential.id }] });

test('approve: the credential is bound to the sender\'s origin, whatever the page claims', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await realVault(sw);
  const page = await openSite(context);
  // The page claims another origin in its payload: only the browser's sender origin reaches Go.
  const answer = sendRequest(page, 'webauthn.create', { options: createOptions, origin: 'https://bank.example' });
  const consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#operation')).toHaveText('Register with');
  await expect(consent.locator('#site')).toHaveText(SITE);
  await expect(consent.locator('#details')).toContainText('app.sw-test.example');
  await expect(consent.locator('#details')).toContainText('Ann (ann@example)');
  await expect(consent.locator('#passphrase')).toBeHidden();
  await press(consent, '#approve');
  const registered = await answer;
  expect(registered.ok).toBe(true);
  expect(clientData(registered)).toMatchObject({ type: 'webauthn.create', origin: SITE, crossOrigin: false });
  await expect.poll(() => consent.isClosed()).toBe(true);
  await expect.poll(() => activity(sw)).toEqual(['ok']);
});

test('deny, Escape and closing the prompt answer NotAllowedError; nothing is signed', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await realVault(sw);
  const page = await openSite(context);
  const credential = await register(page, context);
  for (const how of ['deny', 'escape', 'close']) {
    await page.waitForTimeout(how === 'deny' ? 0 : (how === 'escape' ? 3_100 : 6_100)); // the back-off after a denial
    const answer = sendRequest(page, 'webauthn.get', { options: getFor(credential) });
    const consent = await consentReady(await waitForConsent(context));
    await expect(consent.locator('#operation')).toHaveText('Sign in to');
    if (how === 'deny') await press(consent, '#deny');
    else if (how === 'escape') await press(consent, null, { key: 'Escape' });
    else await consent.close();
    expect((await answer).error, how).toMatchObject({ name: 'NotAllowedError' });
    await expect.poll(() => consent.isClosed()).toBe(true);
  }
  await expect.poll(() => activity(sw)).toEqual(['ok', 'denied', 'denied', 'denied']);
});

test('Enter does not approve unless Approve has focus', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await realVault(sw);
  const page = await openSite(context);
  const answer = sendRequest(page, 'webauthn.create', { options: createOptions });
  const consent = await consentReady(await waitForConsent(context));
  await consent.keyboard.press('Enter');
  await consent.waitForTimeout(200);
  expect(consent.isClosed()).toBe(false);
  await consent.locator('#approve').focus();
  await press(consent, null, { key: 'Enter' });
  expect((await answer).ok).toBe(true);
});

test('U2F timeout closes the prompt and answers code 5', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await realVault(sw);
  const page = await openSite(context);
  const started = Date.now();
  // timeoutSeconds 1 is clamped up to the 10 s minimum (Go: core/client u2fTimeoutMs).
  const answer = sendRequest(page, 'u2f.register', { type: 'register', appId: SITE, registerRequests: [{ version: 'U2F_V2', challenge: 'AAAA' }], registeredKeys: [], timeoutSeconds: 1 });
  const consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#operation')).toHaveText('Register with (legacy U2F)');
  await expect(consent.locator('#details')).toContainText(`AppID${SITE}`);
  await expect(consent.locator('#countdown')).toHaveText(/Time left: 0:(0\d|10)/);
  expect((await answer).error).toMatchObject({ name: 'NotAllowedError', u2fCode: 5 });
  expect(Date.now() - started).toBeGreaterThanOrEqual(9_500);
  await expect.poll(() => consent.isClosed()).toBe(true);
});

test('aborting the request closes its prompt', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await realVault(sw);
  const page = await openSite(context);
  sendRequest(page, 'webauthn.create', { options: createOptions }, 'abortme').catch(() => {});
  const consent = await consentReady(await waitForConsent(context));
  await abortRequest(page, 'abortme');
  await expect.poll(() => consent.isClosed()).toBe(true);
});

test('navigating away drops the request and closes its prompt', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await realVault(sw);
  const page = await openSite(context);
  sendRequest(page, 'webauthn.create', { options: createOptions }).catch(() => {});
  const consent = await consentReady(await waitForConsent(context));
  await page.goto(`${SITE}/elsewhere`);
  await expect.poll(() => consent.isClosed()).toBe(true);
});

test('one pending request per tab (OperationError); one prompt at a time across tabs', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await realVault(sw);
  const first = await openSite(context);
  const firstAnswer = sendRequest(first, 'webauthn.create', { options: createOptions });
  const consent1 = await consentReady(await waitForConsent(context));
  expect((await sendRequest(first, 'webauthn.create', { options: createOptions })).error)
    .toMatchObject({ name: 'OperationError', message: 'A request is already pending.' });

  const second = await openSite(context, OTHER_SITE);
  const secondAnswer = sendRequest(second, 'webauthn.create', { options: createOptions });
  await second.waitForTimeout(300);
  expect(prompts(context)).toHaveLength(1); // the second waits for the first prompt
  await press(consent1, '#approve');
  expect((await firstAnswer).ok).toBe(true);

  await expect.poll(() => prompts(context).length).toBe(1);
  const consent2 = await consentReady(prompts(context)[0]);
  await expect(consent2.locator('#site')).toHaveText(OTHER_SITE);
  await press(consent2, '#deny');
  expect((await secondAnswer).error).toMatchObject({ name: 'NotAllowedError' });
});

test('locked vault: the prompt asks for the passphrase, a wrong one keeps it open, then unlock and sign with UV', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await realVault(sw);
  const page = await openSite(context);
  const credential = await register(page, context);
  await sw.evaluate(() => self.twinkey.bridge('/v1/vault/lock', {}));
  const answer = sendRequest(page, 'webauthn.get', { options: getFor(credential) });
  const consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#passphrase')).toBeVisible();
  await expect(consent.getByLabel('Passphrase')).toBeVisible(); // labelled for screen readers
  await consent.locator('#passphrase').fill('wrong');
  await press(consent, '#approve');
  await expect(consent.locator('#error')).toHaveText(/Wrong passphrase/);
  expect(consent.isClosed()).toBe(false);
  await consent.locator('#passphrase').fill(PASSPHRASE);
  await consent.locator('#passphrase').press('Enter'); // moves focus to Approve
  await expect(consent.locator('#approve')).toBeFocused();
  await press(consent, null, { key: 'Enter' });
  const signed = await answer;
  expect(signed.ok, JSON.stringify(signed)).toBe(true);
  const flags = Buffer.from(signed.result.response.authenticatorData, 'base64url')[32];
  expect(flags & 0x04, 'UV: the passphrase was typed in this prompt').toBe(0x04);
  expect(await sw.evaluate(() => chrome.alarms.get('twinkey.autolock').then((a) => !!a))).toBe(true);
});

test('userVerification required asks for the passphrase even when unlocked', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await realVault(sw);
  const page = await openSite(context);
  const answer = sendRequest(page, 'webauthn.create', {
    options: { ...createOptions, authenticatorSelection: { userVerification: 'required' } },
  });
  const consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#passphrase')).toBeVisible();
  await press(consent, '#approve'); // empty passphrase: stays open
  await expect(consent.locator('#error')).toHaveText(/Enter your passphrase/);
  await consent.locator('#passphrase').fill(PASSPHRASE);
  await press(consent, '#approve');
  const made = await answer;
  expect(made.ok).toBe(true);
  expect(Buffer.from(made.result.response.authenticatorData, 'base64url')[32] & 0x04).toBe(0x04);
});

test('not Twinkey\'s: foreign credentials, switched-off sites and no vault go to the browser without a prompt; hardware-only without the host is refused after Close', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  const page = await openSite(context);
  const foreign = { challenge: 'AAAA', allowCredentials: [{ type: 'public-key', id: 'AAAAAAAA' }] };
  // No vault yet: the browser's.
  expect(await sendRequest(page, 'webauthn.create', { options: createOptions })).toEqual({ ok: true, result: { fallback: true } });
  await realVault(sw);
  // Foreign credential, no native host in this profile: the browser's.
  expect(await sendRequest(page, 'webauthn.get', { options: foreign })).toEqual({ ok: true, result: { fallback: true } });
  // Switched off (a parent domain's entry covers the site).
  await sw.evaluate(() => self.twinkey.bridge('/v1/settings/set', { settings: { sites: { 'sw-test.example': { off: true } } } }));
  expect(await sendRequest(page, 'webauthn.create', { options: createOptions })).toEqual({ ok: true, result: { fallback: true } });
  expect((await sendRequest(page, 'u2f.register', { type: 'register', appId: SITE, registerRequests: [{ version: 'U2F_V2', challenge: 'AAAA' }], registeredKeys: [] })).error)
    .toMatchObject({ u2fCode: 4 });
  // Hardware-only without the native host: the prompt explains and Close refuses.
  await sw.evaluate(() => self.twinkey.bridge('/v1/settings/set', { settings: { sites: { 'app.sw-test.example': { hardwareOnly: true } } } }));
  const hardwareOnly = sendRequest(page, 'webauthn.create', { options: createOptions });
  const prompt = await waitForConsent(context);
  await expect(prompt.locator('#key-status')).toContainText('run twinkey-host install');
  await expect(prompt.locator('#approve')).toBeHidden();
  await press(prompt, '#deny');
  expect((await hardwareOnly).error).toMatchObject({ name: 'NotAllowedError', message: expect.stringContaining('twinkey-host install') });
  expect(prompts(context)).toHaveLength(0);
});

test('a refusal of Go is answered at once, with no prompt', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await realVault(sw);
  const page = await openSite(context);
  expect((await sendRequest(page, 'webauthn.create', { options: { ...createOptions, challenge: '%%%' } })).error)
    .toMatchObject({ name: 'EncodingError', u2fCode: 2 });
  expect((await sendRequest(page, 'u2f.register', { type: 'register', appId: 'https://evil.example', registerRequests: [{ version: 'U2F_V2', challenge: 'AAAA' }], registeredKeys: [] })).error)
    .toMatchObject({ name: 'SecurityError', u2fCode: 2 });
  expect(prompts(context)).toHaveLength(0);
});

test('cross-origin frames: Permissions Policy, user activation for create, crossOrigin and topOrigin in client data', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await realVault(sw);
  await serveSite(context, OTHER_SITE);
  const page = await openSite(context, SITE, `<!doctype html>
    <iframe id="plain" src="${OTHER_SITE}/plain"></iframe>
    <iframe id="allowed" src="${OTHER_SITE}/allowed" allow="publickey-credentials-create; publickey-credentials-get"></iframe>
    <iframe id="same" src="${SITE}/same"></iframe>`);
  await page.waitForLoadState('load');
  const frame = (name) => page.frames().find((f) => f.url().endsWith(`/${name}`));

  expect((await sendRequest(frame('plain'), 'webauthn.create', { options: createOptions })).error)
    .toMatchObject({ name: 'NotAllowedError', message: expect.stringContaining('publickey-credentials-create') });
  expect((await sendRequestQuietly(frame('allowed'), 'webauthn.create', { options: createOptions })).error)
    .toMatchObject({ name: 'NotAllowedError', message: 'A user activation is required to create a credential in a cross-origin iframe.' });
  expect(prompts(context)).toHaveLength(0);

  // A real click in the frame gives it transient activation; the click handler sends the same request.
  await frame('allowed').evaluate((options) => {
    const b = document.createElement('button');
    b.id = 'go';
    b.textContent = 'register';
    b.onclick = () => {
      addEventListener('message', (e) => { if (e.data?.dir === 'to-page' && e.data.id === 'clicked') window.answer = e.data; });
      postMessage({ __twinkey: 1, dir: 'to-relay', id: 'clicked', op: 'webauthn.create', payload: { options } }, '*');
    };
    document.body.append(b);
  }, createOptions);
  await frame('allowed').click('#go');
  const consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#details')).toContainText(`Embedded in${SITE}`);
  await press(consent, '#approve');
  await expect.poll(() => frame('allowed').evaluate(() => window.answer?.ok ?? null)).toBe(true);
  const answer = await frame('allowed').evaluate(() => window.answer);
  expect(clientData(answer)).toMatchObject({ origin: OTHER_SITE, crossOrigin: true, topOrigin: SITE });

  const same = sendRequest(frame('same'), 'webauthn.create', { options: createOptions });
  await press(await consentReady(await waitForConsent(context)), '#approve');
  expect(clientData(await same)).toMatchObject({ origin: SITE, crossOrigin: false });
});

test('a stopped service worker: the page gets an error, the orphaned prompt is closed at the next start', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await realVault(sw);
  const page = await openSite(context);
  const answer = sendRequest(page, 'webauthn.create', { options: createOptions });
  const consent = await consentReady(await waitForConsent(context));
  await stopServiceWorkers(context, { page });
  expect((await answer).error).toMatchObject({ name: 'NotAllowedError' }); // the relay saw its port close
  // Approving now wakes the new worker, which no longer knows the request: the prompt goes away.
  await press(consent, '#approve');
  await expect.poll(() => consent.isClosed(), { timeout: 10_000 }).toBe(true);
});

test('U2F register and the excluded key: InvalidStateError / 4 after consent', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await realVault(sw);
  const page = await openSite(context);
  const request = { type: 'register', appId: SITE, registerRequests: [{ version: 'U2F_V2', challenge: 'AAAA' }], registeredKeys: [], timeoutSeconds: 30 };
  let answer = sendRequest(page, 'u2f.register', request);
  let consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#operation')).toHaveText('Register with (legacy U2F)');
  await press(consent, '#approve');
  const registered = await answer;
  expect(registered.result).toMatchObject({ version: 'U2F_V2', appId: SITE, challenge: 'AAAA' });
  // registrationData: 0x05, the 65-byte public key, the key handle length and the handle (U2F raw messages §4.3).
  const data = Buffer.from(registered.result.registrationData, 'base64url');
  const handle = data.subarray(67, 67 + data[66]).toString('base64url');
  await expect.poll(() => consent.isClosed()).toBe(true);

  answer = sendRequest(page, 'u2f.register', { ...request, registeredKeys: [{ version: 'U2F_V2', keyHandle: handle }] });
  consent = await consentReady(await waitForConsent(context));
  await press(consent, '#approve');
  expect((await answer).error).toMatchObject({ name: 'InvalidStateError', u2fCode: 4 });
});
