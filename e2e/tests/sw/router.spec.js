// The service worker's request router in real Chromium: page -> relay -> SW -> consent window -> answer.
// Prepare and signing answers come from fake bridge routes (helpers.fakeBridge) so that these tests exercise the
// router's decisions whatever the Go bridge can do yet; bridge.spec.js covers the Go path itself.
'use strict';

const { test, expect, waitForConsent, stopServiceWorkers } = require('../../fixtures');
const {
  SITE, OTHER_SITE, openSite, serveSite, sendRequest, abortRequest, createOptions, getOptions, fakeBridge,
  bridgeCalls, consentReady, press,
} = require('./helpers');

const registration = { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' } };

test('approve: the signing route gets the sender\'s origin and the approval, the page gets its answer', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await fakeBridge(sw, { '/v1/webauthn/prepare': 'webauthn-prepare', '/v1/webauthn/create': { status: 200, body: registration } });
  const page = await openSite(context);
  // The page claims another origin in its payload: only the browser's sender origin may reach the bridge.
  const answer = sendRequest(page, 'webauthn.create', { options: createOptions, origin: 'https://bank.example' });
  const consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#operation')).toHaveText('Register with');
  await expect(consent.locator('#site')).toHaveText(SITE);
  await expect(consent.locator('#details')).toContainText('app.sw-test.example');
  await expect(consent.locator('#details')).toContainText('Ann (ann@example)');
  await expect(consent.locator('#passphrase')).toBeHidden();
  await press(consent, '#approve');
  expect(await answer).toEqual({ ok: true, result: registration });

  const calls = await bridgeCalls(sw);
  expect(calls['/v1/webauthn/prepare']).toEqual([{ op: 'create', origin: SITE, crossOrigin: false, options: createOptions }]);
  expect(calls['/v1/webauthn/create']).toEqual([{
    origin: SITE, crossOrigin: false, options: createOptions,
    approval: { userPresent: true, userVerified: false }, counterPolicy: 'twin',
  }]);
  await expect.poll(() => consent.isClosed()).toBe(true);
  const activity = await sw.evaluate(() => chrome.storage.local.get('activity'));
  expect(activity.activity).toEqual([{ site: 'app.sw-test.example', op: 'webauthn.create', time: expect.any(Number), result: 'ok' }]);
});

test('deny, Escape and closing the prompt answer NotAllowedError', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await fakeBridge(sw, { '/v1/webauthn/prepare': 'webauthn-prepare', '/v1/webauthn/get': { status: 500, body: {} } });
  const page = await openSite(context);

  let answer = sendRequest(page, 'webauthn.get', { options: getOptions });
  let consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#operation')).toHaveText('Sign in to');
  await press(consent, '#deny');
  expect((await answer).error).toMatchObject({ name: 'NotAllowedError' });
  await expect.poll(() => consent.isClosed()).toBe(true);

  answer = sendRequest(page, 'webauthn.get', { options: getOptions });
  consent = await consentReady(await waitForConsent(context));
  await press(consent, null, { key: 'Escape' });
  expect((await answer).error).toMatchObject({ name: 'NotAllowedError' });
  await expect.poll(() => consent.isClosed()).toBe(true);

  answer = sendRequest(page, 'webauthn.get', { options: getOptions });
  consent = await consentReady(await waitForConsent(context));
  await consent.close();
  expect((await answer).error).toMatchObject({ name: 'NotAllowedError' });
  await expect.poll(() => consent.isClosed()).toBe(true);

  expect((await bridgeCalls(sw))['/v1/webauthn/get']).toBeUndefined(); // nothing was signed
  const { activity } = await sw.evaluate(() => chrome.storage.local.get('activity'));
  expect(activity.map((a) => a.result)).toEqual(['denied', 'denied', 'denied']);
});

test('Enter does not approve unless Approve has focus', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await fakeBridge(sw, { '/v1/webauthn/prepare': 'webauthn-prepare', '/v1/webauthn/get': { status: 200, body: registration } });
  const page = await openSite(context);
  const answer = sendRequest(page, 'webauthn.get', { options: getOptions });
  const consent = await consentReady(await waitForConsent(context));
  await consent.keyboard.press('Enter');
  await consent.waitForTimeout(200);
  expect((await bridgeCalls(sw))['/v1/webauthn/get']).toBeUndefined();
  await consent.locator('#approve').focus();
  await press(consent, null, { key: 'Enter' });
  expect((await answer).ok).toBe(true);
});

test('U2F timeout closes the prompt and answers code 5', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await fakeBridge(sw, { '/v1/u2f/prepare': 'u2f-prepare', '/v1/vault/status': 'status' });
  const page = await openSite(context);
  const started = Date.now();
  // timeoutSeconds 1 is clamped up to the 10 s minimum.
  const answer = sendRequest(page, 'u2f.sign', { type: 'sign', appId: SITE, challenge: 'AAAA', registeredKeys: [{ version: 'U2F_V2', keyHandle: 'AAAA' }], timeoutSeconds: 1 });
  const consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#operation')).toHaveText('Sign in to (legacy U2F)');
  await expect(consent.locator('#details')).toContainText(`AppID${SITE}`);
  await expect(consent.locator('#countdown')).toHaveText(/Time left: 0:(0\d|10)/);
  expect((await answer).error).toMatchObject({ name: 'NotAllowedError', u2fCode: 5 });
  expect(Date.now() - started).toBeGreaterThanOrEqual(9_500);
  await expect.poll(() => consent.isClosed()).toBe(true);
});

test('aborting the request closes its prompt', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await fakeBridge(sw, { '/v1/webauthn/prepare': 'webauthn-prepare' });
  const page = await openSite(context);
  sendRequest(page, 'webauthn.get', { options: getOptions }, 'abortme').catch(() => {});
  const consent = await consentReady(await waitForConsent(context));
  await abortRequest(page, 'abortme');
  await expect.poll(() => consent.isClosed()).toBe(true);
});

test('navigating away drops the request and closes its prompt', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await fakeBridge(sw, { '/v1/webauthn/prepare': 'webauthn-prepare' });
  const page = await openSite(context);
  sendRequest(page, 'webauthn.get', { options: getOptions }).catch(() => {});
  const consent = await consentReady(await waitForConsent(context));
  await page.goto(`${SITE}/elsewhere`);
  await expect.poll(() => consent.isClosed()).toBe(true);
});

test('one pending request per tab (OperationError); one prompt at a time across tabs', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await fakeBridge(sw, { '/v1/webauthn/prepare': 'webauthn-prepare', '/v1/webauthn/get': { status: 200, body: registration } });
  const first = await openSite(context);
  const firstAnswer = sendRequest(first, 'webauthn.get', { options: getOptions });
  const consent1 = await consentReady(await waitForConsent(context));
  expect((await sendRequest(first, 'webauthn.get', { options: getOptions })).error).toMatchObject({ name: 'OperationError' });

  const second = await openSite(context, OTHER_SITE);
  const secondAnswer = sendRequest(second, 'webauthn.get', { options: getOptions });
  await second.waitForTimeout(300);
  const prompts = () => context.pages().filter((p) => p.url().includes('/consent/consent.html'));
  expect(prompts()).toHaveLength(1); // the second waits for the first prompt
  await press(consent1, '#approve');
  expect((await firstAnswer).ok).toBe(true);

  await expect.poll(() => prompts().filter((p) => !p.isClosed()).length).toBe(1);
  const consent2 = await consentReady(prompts().find((p) => !p.isClosed()));
  await expect(consent2.locator('#site')).toHaveText(OTHER_SITE);
  await press(consent2, '#deny');
  expect((await secondAnswer).error).toMatchObject({ name: 'NotAllowedError' });
});

test('locked vault: the prompt asks for the passphrase, a wrong one keeps it open, then unlock and sign', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await fakeBridge(sw, {
    '/v1/webauthn/prepare': 'webauthn-prepare', '/v1/vault/unlock': 'unlock', '/v1/vault/status': 'status',
    '/v1/webauthn/get': { status: 200, body: registration },
  }, { locked: true });
  const page = await openSite(context);
  const answer = sendRequest(page, 'webauthn.get', { options: getOptions });
  const consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#passphrase')).toBeVisible();
  await expect(consent.locator('#passphrase')).toBeFocused();
  await expect(consent.getByLabel('Passphrase')).toBeVisible(); // labelled for screen readers
  await consent.locator('#passphrase').fill('wrong');
  await press(consent, '#approve');
  await expect(consent.locator('#error')).toHaveText(/Wrong passphrase/);
  expect(consent.isClosed()).toBe(false);
  await consent.locator('#passphrase').fill('correct horse');
  await consent.locator('#passphrase').press('Enter'); // moves focus to Approve
  await expect(consent.locator('#approve')).toBeFocused();
  await press(consent, null, { key: 'Enter' });
  expect((await answer).ok).toBe(true);
  const calls = await bridgeCalls(sw);
  expect(calls['/v1/vault/unlock']).toEqual([{ passphrase: 'wrong' }, { passphrase: 'correct horse' }]);
  expect(calls['/v1/webauthn/prepare']).toHaveLength(2); // routing decided again after unlock
  expect(calls['/v1/webauthn/get'][0].approval).toEqual({ userPresent: true, userVerified: true });
  expect(await sw.evaluate(() => chrome.alarms.get('twinkey.autolock').then((a) => !!a))).toBe(true);
});

test('userVerification required asks for the passphrase even when unlocked', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await fakeBridge(sw, {
    '/v1/webauthn/prepare': 'webauthn-prepare', '/v1/vault/unlock': 'unlock',
    '/v1/webauthn/create': { status: 200, body: registration },
  }, { userVerification: 'required' });
  const page = await openSite(context);
  const answer = sendRequest(page, 'webauthn.create', { options: createOptions });
  const consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#passphrase')).toBeVisible();
  await press(consent, '#approve'); // empty passphrase: stays open
  await expect(consent.locator('#error')).toHaveText(/Enter your passphrase/);
  await consent.locator('#passphrase').fill('correct horse');
  await press(consent, '#approve');
  expect((await answer).ok).toBe(true);
  expect((await bridgeCalls(sw))['/v1/webauthn/create'][0].approval).toEqual({ userPresent: true, userVerified: true });
});

test('not Twinkey\'s: platform handler and site settings fall back without a prompt; U2F sign gets code 4; hardware-only without the host is refused', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await fakeBridge(sw, { '/v1/webauthn/prepare': 'webauthn-prepare', '/v1/u2f/prepare': 'u2f-prepare' }, { handler: 'platform' });
  const page = await openSite(context);
  expect(await sendRequest(page, 'webauthn.get', { options: getOptions })).toEqual({ ok: true, result: { fallback: true } });
  expect((await sendRequest(page, 'u2f.sign', { type: 'sign', appId: SITE, challenge: 'AAAA', registeredKeys: [] })).error)
    .toMatchObject({ u2fCode: 4 });

  await fakeBridge(sw, { '/v1/webauthn/prepare': 'webauthn-prepare' });
  await sw.evaluate(() => chrome.storage.local.set({ settings: { autoLockMinutes: 15, sites: { 'sw-test.example': { off: true } } } }));
  expect(await sendRequest(page, 'webauthn.get', { options: getOptions })).toEqual({ ok: true, result: { fallback: true } });
  // Hardware-only without the native host (none is installed in this profile): the prompt explains and Close
  // refuses (the USB route itself: tests/native/).
  await sw.evaluate(() => chrome.storage.local.set({ settings: { sites: { 'app.sw-test.example': { hardwareOnly: true } } } }));
  const hardwareOnly = sendRequest(page, 'webauthn.create', { options: createOptions });
  const prompt = await waitForConsent(context);
  await expect(prompt.locator('#key-status')).toContainText('run twinkey-host install');
  await press(prompt, '#deny');
  expect((await hardwareOnly).error).toMatchObject({ name: 'NotAllowedError', u2fCode: 1 });
  await expect.poll(() => context.pages().filter((p) => p.url().includes('/consent/')).length).toBe(0);
  // No vault yet (prepare says locked, status says it does not exist): Twinkey is not set up, fall back.
  await fakeBridge(sw, { '/v1/webauthn/prepare': 'webauthn-prepare', '/v1/vault/status': 'status' }, { locked: true, exists: false });
  await sw.evaluate(() => chrome.storage.local.remove('settings'));
  expect(await sendRequest(page, 'webauthn.get', { options: getOptions })).toEqual({ ok: true, result: { fallback: true } });
  expect(context.pages().filter((p) => p.url().includes('/consent/'))).toHaveLength(0);
});

test('a bridge refusal at prepare is answered at once, mapped to a page-facing name', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await fakeBridge(sw, {
    '/v1/webauthn/prepare': { status: 400, body: { error: { name: 'SecurityError', u2fCode: 2, message: 'rp id' } } },
    '/v1/u2f/prepare': { status: 400, body: { error: { name: 'VaultLocked', u2fCode: 1, message: 'x' } } },
  });
  const page = await openSite(context);
  expect((await sendRequest(page, 'webauthn.create', { options: createOptions })).error).toEqual({ name: 'SecurityError', u2fCode: 2, message: 'rp id' });
  expect((await sendRequest(page, 'u2f.register', { type: 'register', appId: SITE, registerRequests: [], registeredKeys: [] })).error)
    .toMatchObject({ name: 'NotAllowedError', u2fCode: 1 });
});

test('cross-origin frames need the Permissions Policy; same-origin frames report crossOrigin false', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await fakeBridge(sw, { '/v1/webauthn/prepare': 'webauthn-prepare' });
  await serveSite(context, OTHER_SITE);
  const page = await openSite(context, SITE, `<!doctype html>
    <iframe id="plain" src="${OTHER_SITE}/plain"></iframe>
    <iframe id="allowed" src="${OTHER_SITE}/allowed" allow="publickey-credentials-get"></iframe>
    <iframe id="same" src="${SITE}/same"></iframe>`);
  await page.waitForLoadState('load');
  const frame = (name) => page.frames().find((f) => f.url().endsWith(`/${name}`));

  expect((await sendRequest(frame('plain'), 'webauthn.get', { options: getOptions })).error).toMatchObject({ name: 'NotAllowedError' });
  expect((await bridgeCalls(sw))['/v1/webauthn/prepare']).toBeUndefined(); // refused before the bridge

  const allowed = sendRequest(frame('allowed'), 'webauthn.get', { options: getOptions });
  let consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#details')).toContainText(`Embedded in${SITE}`);
  await press(consent, '#deny');
  await allowed;
  await expect.poll(() => consent.isClosed()).toBe(true);
  const same = sendRequest(frame('same'), 'webauthn.get', { options: getOptions });
  consent = await consentReady(await waitForConsent(context));
  await press(consent, '#deny');
  await same;
  const prepares = (await bridgeCalls(sw))['/v1/webauthn/prepare'];
  expect(prepares.map(({ origin, crossOrigin, topOrigin }) => ({ origin, crossOrigin, topOrigin }))).toEqual([
    { origin: OTHER_SITE, crossOrigin: true, topOrigin: SITE },
    { origin: SITE, crossOrigin: false, topOrigin: undefined },
  ]);
});

test('a stopped service worker: the page gets an error, the orphaned prompt is closed at the next start', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await fakeBridge(sw, { '/v1/webauthn/prepare': 'webauthn-prepare' });
  const page = await openSite(context);
  const answer = sendRequest(page, 'webauthn.get', { options: getOptions });
  const consent = await consentReady(await waitForConsent(context));
  await stopServiceWorkers(context, { page });
  expect((await answer).error).toMatchObject({ name: 'NotAllowedError' }); // the relay saw its port close
  // Approving now wakes the new worker, which no longer knows the request: the prompt goes away.
  await press(consent, '#approve');
  await expect.poll(() => consent.isClosed(), { timeout: 10_000 }).toBe(true);
});

test('U2F register: approve sends the prepare body with op and approval; excluded answers InvalidStateError / 4', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  const registerResponse = { version: 'U2F_V2', registrationData: 'BQQ', clientData: 'e30', challenge: 'AAAA', appId: SITE };
  await fakeBridge(sw, { '/v1/u2f/prepare': 'u2f-prepare', '/v1/vault/status': 'status', '/v1/u2f/register': { status: 200, body: registerResponse } });
  const page = await openSite(context);
  const request = { type: 'register', appId: SITE, registerRequests: [{ version: 'U2F_V2', challenge: 'AAAA' }], registeredKeys: [], timeoutSeconds: 30 };
  let answer = sendRequest(page, 'u2f.register', request);
  let consent = await consentReady(await waitForConsent(context));
  await expect(consent.locator('#operation')).toHaveText('Register with (legacy U2F)');
  await press(consent, '#approve');
  expect(await answer).toEqual({ ok: true, result: registerResponse });
  const calls = await bridgeCalls(sw);
  const body = { origin: SITE, appId: SITE, registerRequests: request.registerRequests, registeredKeys: [] };
  expect(calls['/v1/u2f/prepare']).toEqual([{ op: 'register', ...body }]);
  expect(calls['/v1/u2f/register']).toEqual([{ ...body, op: 'register', approval: { userPresent: true, userVerified: false }, counterPolicy: 'twin' }]);
  await expect.poll(() => consent.isClosed()).toBe(true);

  await fakeBridge(sw, { '/v1/webauthn/prepare': 'webauthn-prepare', '/v1/webauthn/create': { status: 200, body: registration } }, { excluded: true });
  answer = sendRequest(page, 'webauthn.create', { options: createOptions });
  consent = await consentReady(await waitForConsent(context));
  await press(consent, '#approve');
  expect((await answer).error).toMatchObject({ name: 'InvalidStateError', u2fCode: 4 });
  expect((await bridgeCalls(sw))['/v1/webauthn/create']).toBeUndefined();
});
