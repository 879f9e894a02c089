// The product journeys through the real extension (BRIEF.md "Journeys that must work" 2 and 4, and the origin
// rules of "Design rules"), checked by the test RP's independent verifiers. Skipped until dist/extension exists.
// Contracts used: fixtures.js (consent DOM, self.twinkey.bridge), extension/MESSAGES.md, bridge/PROTOCOL.md.
'use strict';
const {
  test, expect, createVault, restoreVault, answerConsent, consentPages,
} = require('../fixtures');

const PASSPHRASE = 'correct horse battery staple';
let seq = 0;
const newUser = (prefix) => `${prefix}-${Date.now()}-${++seq}`;

async function result(page) {
  const el = page.locator('#result');
  await expect(el).toHaveAttribute('data-status', /^(ok|error)$/, { timeout: 20_000 });
  return JSON.parse(await el.textContent());
}

// ceremony clicks button on page, approves (or denies) the prompt, and returns the page's result record.
async function ceremony(profile, page, button, { approve = true } = {}) {
  await page.bringToFront(); // a person clicks in the tab in front (create() from a background tab is refused)
  await page.click(button);
  const shown = await answerConsent(profile.context, { approve, passphrase: PASSPHRASE });
  return { shown, rec: await result(page) };
}

// refusedWithoutPrompt clicks button and expects an error result with no consent prompt shown.
async function refusedWithoutPrompt(profile, page, button) {
  await page.click(button);
  const rec = await result(page);
  expect(rec.status, JSON.stringify(rec)).toBe('error');
  expect(consentPages(profile.context)).toHaveLength(0);
  return rec;
}

async function vaultProfile(launchTwinkey) {
  const profile = await launchTwinkey();
  const vault = await createVault(profile.sw, PASSPHRASE);
  expect(vault.role).toBe('primary');
  expect(vault.phrase.split(' ')).toHaveLength(24);
  return { profile, phrase: vault.phrase };
}

test.describe('Twinkey journeys', () => {
  for (const c of [
    { page: '/webauthn.html', attestation: 'none' },
    { page: '/webauthn.html', attestation: 'direct' },
    { page: '/simplewebauthn.html', attestation: 'none' },
  ]) {
    test(`WebAuthn ${c.page} (${c.attestation}): consent names the site; go-webauthn verifies; counter rises`, async ({ rp, launchTwinkey }) => {
      const { profile } = await vaultProfile(launchTwinkey);
      const page = await profile.newPage();
      const user = newUser('wa');
      await page.goto(rp.url(`${c.page}?username=${user}&attestation=${c.attestation}`, { origin: 'https' }));
      const reg = await ceremony(profile, page, '#register');
      expect(reg.shown.site).toContain('rp.example.test');
      expect(reg.rec, JSON.stringify(reg.rec)).toMatchObject({ status: 'ok' });
      const login = await ceremony(profile, page, '#login');
      expect(login.rec, JSON.stringify(login.rec)).toMatchObject({ status: 'ok' });
      const [cred] = await rp.credentials(user);
      expect(cred).toMatchObject({ source: 'webauthn', rpId: 'rp.example.test', logins: 1 });
      expect(cred.signCount).toBeGreaterThan(reg.rec.detail.rp.credential.signCount);
    });
  }

  test('deny: the page gets NotAllowedError and the RP gets nothing', async ({ rp, launchTwinkey }) => {
    const { profile } = await vaultProfile(launchTwinkey);
    const page = await profile.newPage();
    const user = newUser('deny');
    await page.goto(rp.url(`/webauthn.html?username=${user}`, { origin: 'https' }));
    const { rec } = await ceremony(profile, page, '#register', { approve: false });
    expect(rec).toMatchObject({ status: 'error', errorName: 'NotAllowedError' });
    expect(await rp.credentials(user)).toHaveLength(0);
  });

  test('legacy U2F through Google\'s u2f-api.js, then WebAuthn with appid, one counter', async ({ rp, launchTwinkey }) => {
    const { profile } = await vaultProfile(launchTwinkey);
    const page = await profile.newPage();
    const user = newUser('u2f');
    await page.goto(rp.url(`/u2f.html?username=${user}`, { origin: 'https' }));
    expect((await ceremony(profile, page, '#register')).rec).toMatchObject({ status: 'ok' });
    expect((await ceremony(profile, page, '#sign')).rec).toMatchObject({ status: 'ok' });
    const [afterSign] = await rp.credentials(user);
    expect(afterSign).toMatchObject({ source: 'u2f', format: 'fido-u2f', appId: rp.https, logins: 1 });

    await page.goto(rp.url(`/u2f-then-webauthn.html?username=${user}`, { origin: 'https' }));
    const { rec } = await ceremony(profile, page, '#login');
    expect(rec, JSON.stringify(rec)).toMatchObject({ status: 'ok', detail: { rp: { appidUsed: true } } });
    const [afterAppID] = await rp.credentials(user);
    expect(afterAppID.logins).toBe(2);
    expect(afterAppID.signCount).toBeGreaterThan(afterSign.signCount);
  });

  test('U2F API 1.0 call shape on a page without the shim', async ({ rp, launchTwinkey }) => {
    const { profile } = await vaultProfile(launchTwinkey);
    const page = await profile.newPage();
    const user = newUser('u2f10');
    await page.goto(rp.url(`/u2f.html?username=${user}&shim=0&api=1.0`, { origin: 'https' }));
    expect((await ceremony(profile, page, '#register')).rec).toMatchObject({ status: 'ok' });
    expect((await ceremony(profile, page, '#sign')).rec).toMatchObject({ status: 'ok' });
  });

  for (const c of [
    { name: 'another site\'s domain', origin: 'https', rpId: 'evil.example.test', error: 'SecurityError' },
    { name: 'a public suffix', origin: 'foo.co.uk', rpId: 'co.uk', error: 'SecurityError' },
  ]) {
    test(`an RP ID that is ${c.name} is refused with ${c.error}, without a prompt`, async ({ rp, launchTwinkey }) => {
      const { profile } = await vaultProfile(launchTwinkey);
      const page = await profile.newPage();
      await page.goto(rp.url(`/webauthn.html?username=${newUser('rpid')}&rpId=${c.rpId}`, { origin: c.origin }));
      expect(await refusedWithoutPrompt(profile, page, '#register')).toMatchObject({ errorName: c.error });
    });
  }

  test('http on a host other than localhost gets no credential and no prompt', async ({ rp, launchTwinkey }) => {
    const { profile } = await vaultProfile(launchTwinkey);
    const page = await profile.newPage();
    await page.goto(rp.url(`/webauthn.html?username=${newUser('http')}`, { origin: 'http:rp.example.test' }));
    await refusedWithoutPrompt(profile, page, '#register');
    await page.goto(rp.url(`/u2f.html?username=${newUser('http')}&timeoutSeconds=2`, { origin: 'http:rp.example.test' }));
    await refusedWithoutPrompt(profile, page, '#register');
  });

  for (const allow of [true, false]) {
    test(`cross-origin iframe ${allow ? 'with' : 'without'} the publickey-credentials permissions`, async ({ rp, launchTwinkey }) => {
      const { profile } = await vaultProfile(launchTwinkey);
      const page = await profile.newPage();
      const child = rp.url(`/webauthn.html?username=${newUser('iframe')}`, { origin: 1 });
      await page.goto(rp.url(`/iframe.html?allow=${allow ? 1 : 0}&child=${encodeURIComponent(child)}`, { origin: 0 }));
      await page.frameLocator('#child').locator('#register').click();
      const top = page.locator('#result');
      if (allow) {
        await answerConsent(profile.context, { passphrase: PASSPHRASE });
        await expect(top).toHaveAttribute('data-status', 'ok', { timeout: 20_000 });
        const rec = JSON.parse(await top.textContent());
        expect(rec.detail.client.clientData).toMatchObject({ crossOrigin: true, origin: rp.origin(1), topOrigin: rp.origin(0) });
      } else {
        await expect(top).toHaveAttribute('data-status', 'error', { timeout: 20_000 });
        await expect(top).toHaveAttribute('data-error-name', 'NotAllowedError');
        expect(consentPages(profile.context)).toHaveLength(0);
      }
    });
  }

  test('the twin: restored from the phrase it signs in without re-registration; the primary is then refused', async ({ rp, launchTwinkey }) => {
    const { profile: primary, phrase } = await vaultProfile(launchTwinkey);
    const user = newUser('twin');
    const p1 = await primary.newPage();
    await p1.goto(rp.url(`/webauthn.html?username=${user}`, { origin: 'https' }));
    expect((await ceremony(primary, p1, '#register')).rec).toMatchObject({ status: 'ok' });
    expect((await ceremony(primary, p1, '#login')).rec).toMatchObject({ status: 'ok' });
    const [beforeTwin] = await rp.credentials(user);

    const backup = await launchTwinkey();
    expect(await restoreVault(backup.sw, phrase, PASSPHRASE, 'backup')).toMatchObject({ role: 'backup' });
    const p2 = await backup.newPage();
    await p2.goto(rp.url(`/webauthn.html?username=${user}`, { origin: 'https' }));
    const twin = await ceremony(backup, p2, '#login');
    expect(twin.rec, JSON.stringify(twin.rec)).toMatchObject({ status: 'ok' });
    const [afterTwin] = await rp.credentials(user);
    expect(afterTwin.id).toBe(beforeTwin.id); // the same credential: no re-registration
    expect(afterTwin.signCount).toBeGreaterThan(beforeTwin.signCount);

    // The lost primary, found again, is now a possible clone at this counter-checking RP.
    const lost = await ceremony(primary, p1, '#login');
    expect(lost.rec).toMatchObject({ status: 'error', errorName: 'RPError', code: 'possible-clone' });
    expect((await rp.credentials(user))[0].signCount).toBe(afterTwin.signCount);
  });
});
