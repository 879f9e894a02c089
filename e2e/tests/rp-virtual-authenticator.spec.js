// The test RP and its pages, proved against Chromium's own virtual authenticator (no extension): the pages call
// the browser APIs correctly, go-webauthn verifies what a native authenticator returns, the RP refuses a counter
// that did not increase, and the host-resolver/certificate flags give the origins the extension tests rely on.
'use strict';
const { test, expect, addVirtualAuthenticator } = require('../fixtures');

let userSeq = 0;
const newUser = (prefix) => `${prefix}-${Date.now()}-${++userSeq}`;

// result waits for the page's #result to settle and returns its record (see e2e/rp/pages/rp.js).
async function result(page) {
  const el = page.locator('#result');
  await expect(el).toHaveAttribute('data-status', /^(ok|error)$/);
  return JSON.parse(await el.textContent());
}

async function registerAndLogin(page, rp, { path, origin, protocol, attestation, user }) {
  await addVirtualAuthenticator(page, { protocol });
  await page.goto(rp.url(`${path}?username=${user}&attestation=${attestation}`, { origin }));
  await page.click('#register');
  const reg = await result(page);
  expect(reg, JSON.stringify(reg)).toMatchObject({ op: 'register', status: 'ok' });
  await page.click('#login');
  const login = await result(page);
  expect(login, JSON.stringify(login)).toMatchObject({ op: 'login', status: 'ok' });
  return { reg, login };
}

test.describe('test RP with Chromium\'s virtual authenticator', () => {
  for (const c of [
    { name: 'webauthn.html, attestation none, ctap2', path: '/webauthn.html', origin: 0, protocol: 'ctap2', attestation: 'none', format: 'none' },
    { name: 'webauthn.html, attestation direct, ctap2 (packed)', path: '/webauthn.html', origin: 0, protocol: 'ctap2', attestation: 'direct', format: 'packed' },
    { name: 'webauthn.html, attestation direct, u2f (fido-u2f)', path: '/webauthn.html', origin: 'https', protocol: 'u2f', attestation: 'direct', format: 'fido-u2f' },
    { name: 'simplewebauthn.html, attestation none, https', path: '/simplewebauthn.html', origin: 'https', protocol: 'ctap2', attestation: 'none', format: 'none' },
    { name: 'simplewebauthn.html, attestation direct, u2f', path: '/simplewebauthn.html', origin: 1, protocol: 'u2f', attestation: 'direct', format: 'fido-u2f' },
  ]) {
    test(`${c.name}: register and log in, verified by go-webauthn`, async ({ rp, plain }) => {
      const page = await plain.newPage();
      const user = newUser('va');
      const { reg, login } = await registerAndLogin(page, rp, { ...c, user });

      const rpID = new URL(rp.origin(c.origin)).hostname;
      expect(reg.detail.rp.credential).toMatchObject({ source: 'webauthn', rpId: rpID, format: c.format, origin: rp.origin(c.origin) });
      const [cred] = await rp.credentials(user);
      expect(cred.id).toBe(reg.detail.rp.credential.id);
      expect(cred.format).toBe(c.format);
      expect(cred.logins).toBe(1);
      // Chromium's authenticator counts per credential from 0 (registration) upward.
      expect(cred.signCount).toBeGreaterThan(reg.detail.rp.credential.signCount);
      expect(login.detail.rp.credential.signCount).toBe(cred.signCount);
      const st = await rp.state(user);
      expect(st.lastResult).toMatchObject({ op: 'webauthn.login', ok: true, rpId: rpID, credentialId: cred.id });
    });
  }

  test('a login whose counter did not increase is refused as a possible clone; the stored counter stays', async ({ rp, plain }) => {
    const page = await plain.newPage();
    const user = newUser('clone');
    const va = await addVirtualAuthenticator(page, { protocol: 'ctap2' });
    await page.goto(rp.url(`/webauthn.html?username=${user}`));
    await page.click('#register');
    expect(await result(page)).toMatchObject({ status: 'ok' });
    for (let i = 0; i < 2; i++) {
      await page.click('#login');
      expect(await result(page)).toMatchObject({ status: 'ok' });
    }
    const [before] = await rp.credentials(user);
    expect(before.logins).toBe(2);

    // Play the clone: the same key with a counter at the stored value, then below it.
    const [vcred] = await va.credentials();
    for (const count of [before.signCount - 1, before.signCount - 2]) {
      await va.setSignCount(vcred.credentialId, count); // the authenticator adds one before signing
      await page.click('#login');
      const refused = await result(page);
      expect(refused).toMatchObject({ status: 'error', errorName: 'RPError', code: 'possible-clone' });
      expect(refused.message).toContain('possible cloned authenticator');
    }
    const [after] = await rp.credentials(user);
    expect(after.signCount).toBe(before.signCount);
    expect(after.refusals).toBe(2);
    expect(after.logins).toBe(2);

    // A counter above the stored one is accepted again and stored.
    await va.setSignCount(vcred.credentialId, before.signCount + 10);
    await page.click('#login');
    expect(await result(page)).toMatchObject({ status: 'ok' });
    expect((await rp.credentials(user))[0].signCount).toBe(before.signCount + 11);
  });

  test('excludeCredentials: registering the same authenticator twice gives InvalidStateError', async ({ rp, plain }) => {
    const page = await plain.newPage();
    const user = newUser('exclude');
    await addVirtualAuthenticator(page, { protocol: 'ctap2' });
    await page.goto(rp.url(`/simplewebauthn.html?username=${user}`));
    await page.click('#register');
    expect(await result(page)).toMatchObject({ status: 'ok' });
    await page.click('#register');
    expect(await result(page)).toMatchObject({ status: 'error', errorName: 'InvalidStateError' });
  });

  test('origins: https hosts via the resolver rules; http on a non-localhost host is not a secure context', async ({ rp, plain }) => {
    const page = await plain.newPage();
    await page.goto(rp.url('/webauthn.html', { origin: 'https' }));
    expect(await page.evaluate(() => [window.isSecureContext, location.origin])).toEqual([true, rp.https]);
    await page.goto(rp.url('/webauthn.html', { origin: 'foo.co.uk' }));
    expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
    await page.goto(rp.url('/webauthn.html', { origin: 'http:rp.example.test' }));
    expect(await page.evaluate(() => [window.isSecureContext, typeof navigator.credentials])).toEqual([false, 'undefined']);
    await page.goto(rp.url('/webauthn.html', { origin: 1 }));
    expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
  });

  for (const c of [
    { name: 'another site\'s domain', origin: 'https', rpId: 'evil.example.test' },
    { name: 'a public suffix', origin: 'foo.co.uk', rpId: 'co.uk' },
  ]) {
    test(`Chromium refuses an RP ID that is ${c.name} with SecurityError`, async ({ rp, plain }) => {
      const page = await plain.newPage();
      await addVirtualAuthenticator(page, { protocol: 'ctap2' });
      await page.goto(rp.url(`/webauthn.html?username=${newUser('rpid')}&rpId=${c.rpId}`, { origin: c.origin }));
      await page.click('#register');
      expect(await result(page)).toMatchObject({ status: 'error', errorName: 'SecurityError' });
    });
  }

  test('a registrable suffix of the host is a valid RP ID', async ({ rp, plain }) => {
    const page = await plain.newPage();
    const user = newUser('suffix');
    await addVirtualAuthenticator(page, { protocol: 'ctap2' });
    await page.goto(rp.url(`/webauthn.html?username=${user}&rpId=example.test`, { origin: 'https' }));
    await page.click('#register');
    expect(await result(page)).toMatchObject({ status: 'ok' });
    await page.click('#login');
    expect(await result(page)).toMatchObject({ status: 'ok' });
    expect((await rp.credentials(user))[0].rpId).toBe('example.test');
  });

  for (const allow of [true, false]) {
    test(`cross-origin iframe ${allow ? 'with' : 'without'} the publickey-credentials permissions`, async ({ rp, plain }) => {
      const page = await plain.newPage();
      const user = newUser('iframe');
      await addVirtualAuthenticator(page, { protocol: 'ctap2' });
      const child = rp.url(`/webauthn.html?username=${user}`, { origin: 1 });
      await page.goto(rp.url(`/iframe.html?allow=${allow ? 1 : 0}&child=${encodeURIComponent(child)}`, { origin: 0 }));
      const frame = page.frameLocator('#child');
      await frame.locator('#register').click();
      const top = page.locator('#result');
      await expect(top).toHaveAttribute('data-status', /^(ok|error)$/);
      await expect(top).toHaveAttribute('data-origin', rp.origin(1));
      const rec = JSON.parse(await top.textContent());
      if (allow) {
        expect(rec, JSON.stringify(rec)).toMatchObject({ op: 'register', status: 'ok' });
        expect(rec.detail.client.clientData).toMatchObject({ crossOrigin: true, origin: rp.origin(1), topOrigin: rp.origin(0) });
        await frame.locator('#login').click();
        await expect(top).toHaveAttribute('data-op', 'login');
        await expect(top).toHaveAttribute('data-status', 'ok');
      } else {
        expect(rec).toMatchObject({ op: 'register', status: 'error', errorName: 'NotAllowedError' });
      }
    });
  }
});
