// Chromium's client rules, held by Twinkey as Chromium holds them (issue "One decision, made in Go", rules 1-6):
// each test runs the same page call in a profile with Twinkey and, where Chromium has the rule, in a plain
// Chromium profile, and compares what the page sees. The pages are served by request interception
// (helpers.serveSite); Twinkey answers through the real bridge.
'use strict';

const { test, expect, waitForConsent, addVirtualAuthenticator } = require('../../fixtures');
const { SITE, OTHER_SITE, serveSite, openSite, realVault, consentReady, press, createOptions } = require('./helpers');

const prompts = (context) => context.pages().filter((p) => p.url().includes('/consent/consent.html') && !p.isClosed());

// In the page: create() or get() with options built from JSON, answering {ok} or {name, message}.
const pageCall = ([kind, json]) => {
  const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const publicKey = kind === 'create'
    ? { ...json, challenge: b64(json.challenge), user: { ...json.user, id: b64(json.user.id) } }
    : { ...json, challenge: b64(json.challenge), allowCredentials: (json.allowCredentials ?? []).map((c) => ({ ...c, id: b64(c.id) })) };
  return navigator.credentials[kind]({ publicKey }).then(
    (c) => ({ ok: true, id: c.id }), (e) => ({ ok: false, name: e.name, message: e.message }));
};

const IFRAME_PAGE = `<!doctype html><iframe id="child" src="${OTHER_SITE}/child" allow="publickey-credentials-create; publickey-credentials-get"></iframe>`;
const CHILD_PAGE = `<!doctype html><button id="go">register</button><script>
  const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  // runQuiet waits until the frame's transient activation has expired (Playwright's evaluate gives one).
  window.runQuiet = (json) => new Promise((resolve) => {
    const t = setInterval(() => { if (!navigator.userActivation.isActive) { clearInterval(t); resolve(window.run(json)); } }, 100);
  });
  window.run = (json) => navigator.credentials.create({ publicKey: { ...json, challenge: b64(json.challenge),
    user: { ...json.user, id: b64(json.user.id) } } }).then((c) => ({ ok: true, id: c.id }), (e) => ({ ok: false, name: e.name, message: e.message }));
  document.getElementById('go').onclick = () => { window.clicked = window.run(window.options); };
</script>`;

async function iframePage(context) {
  await serveSite(context, OTHER_SITE, CHILD_PAGE);
  const page = await openSite(context, SITE, IFRAME_PAGE);
  await page.waitForLoadState('load');
  const child = page.frames().find((f) => f.url().startsWith(OTHER_SITE));
  const options = { ...createOptions, rp: { name: 'widget' } };
  await child.evaluate((o) => { window.options = o; }, options); // (an activation that runQuiet waits out)
  return { page, child, options };
}

test('rule 1: a cross-origin create() without user activation is refused; with a real click in the iframe it registers', async ({ twinkey, plain }) => {
  const activation = 'A user activation is required to create a credential in a cross-origin iframe.';
  // Chromium alone.
  const bare = await iframePage(plain.context);
  expect(await bare.child.evaluate((o) => window.runQuiet(o), bare.options)).toEqual({ ok: false, name: 'NotAllowedError', message: activation });
  // Twinkey.
  await realVault(twinkey.sw);
  const { child, options } = await iframePage(twinkey.context);
  expect(await child.evaluate((o) => window.runQuiet(o), options)).toEqual({ ok: false, name: 'NotAllowedError', message: activation });
  expect(prompts(twinkey.context)).toHaveLength(0);
  await child.click('#go');
  await press(await consentReady(await waitForConsent(twinkey.context)), '#approve');
  expect(await child.evaluate(() => window.clicked)).toMatchObject({ ok: true });
});

test('rule 2: create() from a background tab is refused, as Chromium refuses it', async ({ twinkey, plain }) => {
  const focus = 'The operation is not allowed at this time because the page does not have focus.';
  for (const profile of [plain, twinkey]) {
    if (profile.sw) await realVault(profile.sw);
    const background = await openSite(profile.context);
    if (!profile.sw) await addVirtualAuthenticator(background);
    await openSite(profile.context, OTHER_SITE); // a newer tab comes to the front
    expect(await background.evaluate(pageCall, ['create', createOptions]), profile.sw ? 'Twinkey' : 'Chromium')
      .toEqual({ ok: false, name: 'NotAllowedError', message: focus });
  }
  expect(prompts(twinkey.context)).toHaveLength(0);
});

test('rule 2, get(): a background tab\'s sign-in is not refused (Chromium checks create() only); its prompt opens when the tab comes to the front', async ({ twinkey }) => {
  await realVault(twinkey.sw);
  const page = await openSite(twinkey.context);
  const made = page.evaluate(pageCall, ['create', createOptions]);
  await press(await consentReady(await waitForConsent(twinkey.context)), '#approve');
  const { id } = await made;
  await openSite(twinkey.context, OTHER_SITE); // another tab comes to the front
  const signIn = page.evaluate(pageCall, ['get', { challenge: 'AAECAwQFBgcICQoLDA0ODw', allowCredentials: [{ type: 'public-key', id }] }]);
  await page.waitForTimeout(1_500);
  expect(prompts(twinkey.context), 'no prompt over the tab in front').toHaveLength(0);
  await page.bringToFront();
  await press(await consentReady(await waitForConsent(twinkey.context)), '#approve');
  expect(await signIn).toMatchObject({ ok: true, id });
});

test('rule 3: an instant click and Tab-Tab-Enter right after the prompt opens approve nothing; a click after the delay does', async ({ twinkey }) => {
  await realVault(twinkey.sw);
  const page = await openSite(twinkey.context);
  const answer = page.evaluate(pageCall, ['create', createOptions]);
  let settled = false;
  answer.then(() => { settled = true; });
  const consent = await waitForConsent(twinkey.context);
  // At once, as a click or key press already on its way when the window appeared.
  const box = await consent.locator('#approve').boundingBox();
  await consent.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await consent.keyboard.press('Tab');
  await consent.keyboard.press('Tab');
  await consent.keyboard.press('Enter');
  await consent.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await consent.waitForTimeout(100);
  expect(settled).toBe(false);
  expect(consent.isClosed()).toBe(false);
  // After the delay (prompt.inputDelayMs, 500 ms) a deliberate click approves.
  await consentReady(consent);
  await press(consent, '#approve');
  expect(await answer).toMatchObject({ ok: true });
});

test('rule 4: a page that asks again after each denial opens at most one prompt in its back-off window', async ({ twinkey }) => {
  await realVault(twinkey.sw);
  const page = await openSite(twinkey.context);
  const first = page.evaluate(pageCall, ['create', createOptions]);
  const consent = await consentReady(await waitForConsent(twinkey.context));
  let opened = 0;
  twinkey.context.on('page', (p) => { if (p.url().includes('/consent/') || p.url() === 'about:blank') opened++; });
  await press(consent, '#deny');
  expect(await first).toMatchObject({ ok: false, name: 'NotAllowedError' });
  // The page re-asks at once, in a loop, for 2.5 s (within the 3 s window).
  const loop = await page.evaluate(async ([json]) => {
    const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    const names = [];
    const end = Date.now() + 2_500;
    while (Date.now() < end) {
      try {
        await navigator.credentials.create({ publicKey: { ...json, challenge: b64(json.challenge), user: { ...json.user, id: b64(json.user.id) } } });
        names.push('ok');
      } catch (e) { names.push(e.name); }
      await new Promise((r) => setTimeout(r, 50));
    }
    return names;
  }, [createOptions]);
  expect(loop.length).toBeGreaterThan(5);
  expect(new Set(loop)).toEqual(new Set(['NotAllowedError']));
  expect(opened).toBe(0);
  expect(prompts(twinkey.context)).toHaveLength(0);
  // After the window the next request gets a prompt again.
  await page.waitForTimeout(600);
  const again = page.evaluate(pageCall, ['create', createOptions]);
  await press(await consentReady(await waitForConsent(twinkey.context)), '#approve');
  expect(await again).toMatchObject({ ok: true });
});

// countingGet calls get() with options whose every member is a counting getter, aborts after ms, and answers
// {reads, settledBeforeAbort}.
const countingGet = async ([id, ms]) => {
  const reads = {};
  const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const counted = (obj) => {
    const out = {};
    for (const [k, v] of Object.entries(obj)) {
      Object.defineProperty(out, k, { enumerable: true, get: () => { reads[k] = (reads[k] ?? 0) + 1; return v; } });
    }
    return out;
  };
  const publicKey = counted({ challenge: b64('AAECAwQFBgcICQoLDA0ODw'), timeout: 60_000, userVerification: 'discouraged',
    allowCredentials: [counted({ type: 'public-key', id: b64(id) })] });
  const abort = new AbortController();
  let settled = false;
  const call = navigator.credentials.get({ publicKey, signal: abort.signal }).then(() => { settled = true; }, () => { settled = true; });
  await new Promise((r) => setTimeout(r, ms));
  const before = settled;
  abort.abort();
  await call;
  return { reads, settledBeforeAbort: before };
};

test('rule 5: own and random credential IDs and U2F handles give the same getter reads and no answer before a person acts', async ({ twinkey }) => {
  await realVault(twinkey.sw);
  const page = await openSite(twinkey.context);
  const made = page.evaluate(pageCall, ['create', createOptions]);
  await press(await consentReady(await waitForConsent(twinkey.context)), '#approve');
  const own = (await made).id;
  const random = Buffer.from(Array.from({ length: 65 }, (_, i) => (i * 37 + 11) & 0xff)).toString('base64url');
  const ownRun = await page.evaluate(countingGet, [own, 1_500]);
  await expect.poll(() => prompts(twinkey.context).length).toBe(0);
  const foreignRun = await page.evaluate(countingGet, [random, 1_500]);
  expect(ownRun.settledBeforeAbort).toBe(false);
  expect(foreignRun.settledBeforeAbort).toBe(false);
  expect(Object.keys(ownRun.reads).sort()).toEqual(['allowCredentials', 'challenge', 'id', 'timeout', 'type', 'userVerification']);
  expect(foreignRun.reads).toEqual(ownRun.reads);
  expect(Object.values(ownRun.reads).every((n) => n === 1)).toBe(true);

  // window.u2f.sign: Twinkey's own handle and a random one both wait for a person (the random one in a prompt
  // saying no key here is registered); the random one answers DEVICE_INELIGIBLE only after Close.
  const u2fSign = (handle) => page.evaluate(([appId, keyHandle]) => new Promise((resolve) => {
    const started = performance.now();
    window.u2f.sign(appId, 'AAAA', [{ version: 'U2F_V2', keyHandle }], (r) => resolve({ r, ms: performance.now() - started }), 30);
  }), [SITE, handle]);
  const registerU2F = page.evaluate((appId) => new Promise((resolve) => {
    window.u2f.register(appId, [{ version: 'U2F_V2', challenge: 'AAAA' }], [], resolve, 30);
  }), SITE);
  await press(await consentReady(await waitForConsent(twinkey.context)), '#approve');
  const data = Buffer.from((await registerU2F).registrationData, 'base64url');
  const ownHandle = data.subarray(67, 67 + data[66]).toString('base64url');
  for (const [handle, expectPrompt] of [[ownHandle, 'Sign in to (legacy U2F)'], [random, 'No security key here is registered with this site.']]) {
    await twinkey.sw.evaluate(() => new Promise((r) => setTimeout(r, 3_100))); // the back-off of the denial before
    const answer = u2fSign(handle);
    let settled = false;
    answer.then(() => { settled = true; });
    const consent = await waitForConsent(twinkey.context);
    await expect(consent.locator('body')).toContainText(expectPrompt);
    await consent.waitForTimeout(1_000);
    expect(settled, handle === random ? 'random handle' : 'own handle').toBe(false);
    await press(consent, '#deny');
    const { r } = await answer;
    expect(r.errorCode).toBe(4); // denied sign (CryptoToken's DEVICE_INELIGIBLE), and not registered
  }
});

test('the U2F refusal codes a page receives: denied register is TIMEOUT (5), denied sign DEVICE_INELIGIBLE (4)', async ({ twinkey }) => {
  await realVault(twinkey.sw);
  const page = await openSite(twinkey.context);
  const register = page.evaluate((appId) => new Promise((resolve) => {
    window.u2f.register(appId, [{ version: 'U2F_V2', challenge: 'AAAA' }], [], resolve, 30);
  }), SITE);
  await press(await consentReady(await waitForConsent(twinkey.context)), '#deny');
  expect(await register).toMatchObject({ errorCode: 5 });
});

test('rule 6: Twinkey not set up, or off for the site, leaves an RS256-only and a related-origin request to the browser', async ({ twinkey, plain }) => {
  const rs256 = { ...createOptions, pubKeyCredParams: [{ type: 'public-key', alg: -257 }] };
  const related = { ...createOptions, rp: { name: 'x', id: 'sw-other.example' } };
  const outcomes = async (profile) => {
    const page = await openSite(profile.context);
    await addVirtualAuthenticator(page);
    const a = await page.evaluate(pageCall, ['create', rs256]);
    const b = await page.evaluate(pageCall, ['create', related]);
    await page.close();
    return [a.ok, b.ok ? 'ok' : b.name];
  };
  const chromium = await outcomes(plain);
  expect(chromium[0]).toBe(true); // Chromium's virtual authenticator makes RS256 credentials
  expect(await outcomes(twinkey), 'not set up').toEqual(chromium);
  await realVault(twinkey.sw);
  await twinkey.sw.evaluate(() => self.twinkey.bridge('/v1/settings/set', { settings: { sites: { 'app.sw-test.example': { off: true } } } }));
  expect(await outcomes(twinkey), 'off for the site').toEqual(chromium);
  expect(prompts(twinkey.context)).toHaveLength(0);
});
