// The fixtures' extension helpers, proved on a test double before the real extension exists:
// e2e/testdata/fake-extension puts a consent popup (button#approve, button#deny, #site, #operation) in front of
// Chromium's own WebAuthn and answers self.twinkey.bridge('/v1/vault/create'). Nothing here tests Twinkey.
'use strict';
const path = require('node:path');
const {
  test, expect, launchProfile, waitForConsent, answerConsent, consentPages, createVault, addVirtualAuthenticator,
  stopServiceWorkers,
} = require('../fixtures');

const fakeExtension = path.join(__dirname, '..', 'testdata', 'fake-extension');

test.describe('fixtures self-test on the fake extension', () => {
  let profile;
  test.beforeEach(async () => { profile = await launchProfile({ extensionDir: fakeExtension }); });
  test.afterEach(async () => { await profile.close(); });

  test('launchProfile finds the service worker; createVault reaches self.twinkey.bridge', async () => {
    expect(profile.extensionId).toMatch(/^[a-p]{32}$/);
    expect(await createVault(profile.sw, 'pass phrase')).toEqual({ role: 'primary', phrase: 'fake phrase of the test double' });
  });

  test('waitForConsent returns the prompt; approve and deny reach the page', async ({ rp }) => {
    const page = await profile.newPage();
    await addVirtualAuthenticator(page, { protocol: 'ctap2' });
    await page.goto(rp.url('/webauthn.html?username=selftest'));
    await page.click('#register');
    const consent = await waitForConsent(profile.context);
    await expect(consent.locator('#site')).toHaveText(new URL(rp.http[0]).host);
    await expect(consent.locator('#operation')).toHaveText('create');
    await consent.click('button#approve');
    await expect(page.locator('#result')).toHaveAttribute('data-status', 'ok');

    await page.click('#login');
    expect(await answerConsent(profile.context, { approve: false })).toEqual({ site: new URL(rp.http[0]).host, operation: 'get' });
    await expect(page.locator('#result')).toHaveAttribute('data-error-name', 'NotAllowedError');
    await expect.poll(() => consentPages(profile.context).length).toBe(0);

    await page.click('#login');
    await answerConsent(profile.context, { passphrase: 'unused' });
    await expect(page.locator('#result')).toHaveAttribute('data-status', 'ok');
  });

  test('stopServiceWorkers stops the extension worker; the next request starts it again', async ({ rp }) => {
    const page = await profile.newPage();
    await page.goto(rp.url('/webauthn.html'));
    await profile.sw.evaluate(() => { self.marker = 'before stop'; });
    await stopServiceWorkers(profile.context, { page });
    await page.click('#register');
    const consent = await waitForConsent(profile.context);
    expect(await profile.sw.evaluate(() => self.marker)).toBeUndefined(); // a fresh worker global
    await consent.click('button#deny');
    await expect(page.locator('#result')).toHaveAttribute('data-error-name', 'NotAllowedError');
  });
});
