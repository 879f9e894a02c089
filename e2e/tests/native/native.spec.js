// Issue 5: the extension routes USB security keys through the native host (nativehost/PROTOCOL.md). The host is
// the real twinkey-host binary, registered in the profile's NativeMessagingHosts/ by `twinkey-host install`
// before Chromium starts; its key is the test-only simulated key (virtual-fido), switched on through Chromium's
// environment, which the host inherits. The test RP verifies every registration and assertion (go-webauthn,
// tstranex/u2f). Every ceremony goes through the real consent prompt.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { test, expect, launchProfile, waitForConsent, press, createVault, consentPages } = require('../../fixtures');
const { axeSource, expectNoViolations } = require('../../a11y');

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const hostBin = path.join(repoRoot, 'e2e', '.bin', 'twinkey-host');
const SITE = 'rp.example.test';
const PASSPHRASE = 'correct horse battery staple';

let seq = 0;
const newUser = (tag) => `${tag}-${Date.now().toString(36)}-${++seq}`;

test.beforeAll(() => {
  execFileSync('go', ['build', '-tags', 'twinkeytest', '-o', hostBin, './cmd/twinkey-host'], { cwd: repoRoot, stdio: 'inherit' });
});

const opened = [];
test.afterEach(async () => {
  for (const p of opened.splice(0)) await p.close();
});

// hostProfile launches Twinkey in a fresh profile; install registers twinkey-host in it first; key is the
// TWINKEY_SIMULATED_KEY mode (PROTOCOL.md "The simulated key").
async function hostProfile(extensionDir, { install = true, key = '1' } = {}) {
  test.skip(!extensionDir, 'dist/extension is not built');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinkey-native-profile-'));
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinkey-native-key-'));
  if (install) {
    execFileSync(hostBin, ['install', '--browser', 'chromium', '--user-data-dir', userDataDir], { stdio: 'pipe' });
    expect(fs.readdirSync(path.join(userDataDir, 'NativeMessagingHosts'))).toContain('com.twinkey.host.json');
  }
  const profile = await launchProfile({
    extensionDir, userDataDir, env: { TWINKEY_SIMULATED_KEY: key, TWINKEY_SIMULATED_KEY_DIR: keyDir },
  });
  const close = profile.close;
  profile.close = async () => {
    await close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
    fs.rmSync(keyDir, { recursive: true, force: true });
  };
  opened.push(profile);
  return profile;
}

async function setHardwareOnly(profile, on) {
  await profile.sw.evaluate(async ([site, hw]) => {
    await chrome.storage.local.set({ settings: { sites: hw ? { [site]: { hardwareOnly: true } } : {} } });
  }, [SITE, on]);
}

async function result(page) {
  const el = page.locator('#result');
  await expect(el).toHaveAttribute('data-status', /^(ok|error)$/, { timeout: 30_000 });
  return JSON.parse(await el.textContent());
}

// usbCeremony clicks button, checks the prompt names the site and the simulated USB key, approves, and returns
// the RP's record.
async function usbCeremony(profile, page, button) {
  await page.click(button);
  const prompt = await waitForConsent(profile.context);
  await expect(prompt.locator('#site')).toContainText(SITE);
  await expect(prompt.locator('#details')).toContainText('SIMULATED security key');
  await expect(prompt.locator('#passphrase')).toBeHidden(); // the vault plays no part
  await press(prompt, '#approve');
  return result(page);
}

test('hardware-only site: WebAuthn registers and signs in on the USB key, verified by go-webauthn', async ({ rp, extensionDir }) => {
  const profile = await hostProfile(extensionDir);
  await setHardwareOnly(profile, true); // no vault at all: the software key cannot answer
  const page = await profile.newPage();
  const user = newUser('hw');
  await page.goto(rp.url(`/webauthn.html?username=${user}&attestation=direct`, { origin: 'https' }));
  const reg = await usbCeremony(profile, page, '#register');
  expect(reg, JSON.stringify(reg)).toMatchObject({ status: 'ok' });
  const login = await usbCeremony(profile, page, '#login');
  expect(login, JSON.stringify(login)).toMatchObject({ status: 'ok' });
  const [cred] = await rp.credentials(user);
  expect(cred).toMatchObject({ source: 'webauthn', rpId: SITE, logins: 1 });
  // The software key never answered: nothing was signed by the bridge.
  const activity = await profile.sw.evaluate(async () => (await chrome.storage.local.get('activity')).activity);
  expect(activity.map((e) => e.result)).toEqual(['ok', 'ok']);
});

test('a credential registered on the USB key is used through Twinkey: foreign allowCredentials go to the key', async ({ rp, extensionDir }) => {
  const profile = await hostProfile(extensionDir);
  await setHardwareOnly(profile, true);
  const page = await profile.newPage();
  const user = newUser('foreign');
  await page.goto(rp.url(`/webauthn.html?username=${user}`, { origin: 'https' }));
  expect(await usbCeremony(profile, page, '#register')).toMatchObject({ status: 'ok' });
  // Now an ordinary site with an unlocked Twinkey: the allowed credential is not Twinkey's.
  await setHardwareOnly(profile, false);
  await createVault(profile.sw, PASSPHRASE);
  const login = await usbCeremony(profile, page, '#login');
  expect(login, JSON.stringify(login)).toMatchObject({ status: 'ok' });
  expect((await rp.credentials(user))[0]).toMatchObject({ logins: 1 });
});

test('legacy U2F: register on a hardware-only site and sign a foreign key handle with the USB key', async ({ rp, extensionDir }) => {
  const profile = await hostProfile(extensionDir);
  await setHardwareOnly(profile, true);
  const page = await profile.newPage();
  const user = newUser('u2f');
  await page.goto(rp.url(`/u2f.html?username=${user}`, { origin: 'https' }));
  const reg = await usbCeremony(profile, page, '#register');
  expect(reg, JSON.stringify(reg)).toMatchObject({ status: 'ok' });
  await setHardwareOnly(profile, false);
  await createVault(profile.sw, PASSPHRASE);
  const sign = await usbCeremony(profile, page, '#sign');
  expect(sign, JSON.stringify(sign)).toMatchObject({ status: 'ok' });
});

test('hardware-only site without the native host: the prompt explains, the page gets NotAllowedError', async ({ rp, extensionDir }) => {
  const profile = await hostProfile(extensionDir, { install: false });
  await setHardwareOnly(profile, true);
  const page = await profile.newPage();
  await page.goto(rp.url(`/webauthn.html?username=${newUser('nohost')}`, { origin: 'https' }));
  await page.click('#register');
  const prompt = await waitForConsent(profile.context);
  await expect(prompt.locator('#key-status')).toContainText("USB helper is not installed: run twinkey-host install");
  await expect(prompt.locator('#approve')).toBeHidden();
  await press(prompt, '#deny');
  const rec = await result(page);
  expect(rec).toMatchObject({ status: 'error', errorName: 'NotAllowedError' });
  expect(rec.message).toContain('twinkey-host install');
  // Without the host a foreign credential still falls back to the browser's own WebAuthn (no prompt), once the
  // back-off after the Close above has passed (3 s; it holds for every credential alike, so it reveals nothing).
  await page.waitForTimeout(3_100);
  await setHardwareOnly(profile, false);
  await createVault(profile.sw, PASSPHRASE);
  // The page aborts after 3 s: a request with Chromium's own WebAuthn (no authenticator here) ends AbortError,
  // and no Twinkey prompt was shown.
  const fallback = await page.evaluate(() => rp.run('probe', () => navigator.credentials.get({ publicKey: {
    challenge: new Uint8Array(32), allowCredentials: [{ type: 'public-key', id: new Uint8Array(16) }],
  }, signal: AbortSignal.timeout(3_000) })));
  expect(fallback).toMatchObject({ status: 'error', errorName: 'TimeoutError' }); // not a Twinkey refusal
  expect(consentPages(profile.context)).toHaveLength(0);
});

test('the key unplugged mid-ceremony: the prompt says so and the page gets a clear error', async ({ rp, extensionDir }) => {
  const profile = await hostProfile(extensionDir, { key: 'unplug-after-keepalive' });
  await setHardwareOnly(profile, true);
  const page = await profile.newPage();
  await page.goto(rp.url(`/webauthn.html?username=${newUser('unplug')}`, { origin: 'https' }));
  await page.click('#register');
  const prompt = await waitForConsent(profile.context);
  await press(prompt, '#approve');
  await expect(prompt.locator('#prompt')).toContainText(/removed/i);
  const rec = await result(page);
  expect(rec).toMatchObject({ status: 'error', errorName: 'NotAllowedError' });
  expect(rec.message).toMatch(/removed/i);
});

// answerPIN waits for the prompt to ask for the key's PIN with text, types pin and sends it.
async function answerPIN(prompt, text, pin) {
  await expect(prompt.locator('#key-status')).toContainText(text);
  await expect(prompt.locator('#pin')).toBeFocused();
  await prompt.locator('#pin').fill(pin);
  await prompt.click('#pin-submit');
}

test('a key with a PIN: the prompt asks for it, says a wrong PIN left 7 tries, and UV reaches the RP', async ({ rp, extensionDir }) => {
  // simkey's CTAP 2.1 key (PIN protocol 2, no U2F) with PIN 4321 (nativehost/PROTOCOL.md "The simulated key").
  const profile = await hostProfile(extensionDir, { key: 'pin:4321' });
  await setHardwareOnly(profile, true);
  const page = await profile.newPage();
  const user = newUser('pin');
  await page.goto(rp.url(`/webauthn.html?username=${user}&userVerification=required`, { origin: 'https' }));

  await page.click('#register');
  let prompt = await waitForConsent(profile.context);
  await expect(prompt.locator('#details')).toContainText('SIMULATED security key');
  await expect(prompt.locator('#pin-box')).toBeHidden();
  await prompt.click('#approve');
  await expect(prompt.locator('#pin')).toBeFocused();
  if (axeSource) await expectNoViolations(prompt, 'consent prompt asking for the key PIN');
  await answerPIN(prompt, "Enter your security key's PIN (8 tries left)", '0000');
  await expect(prompt.locator('#pin')).toHaveValue(''); // the field is cleared as soon as the PIN is sent
  await answerPIN(prompt, 'Wrong PIN, 7 retries left', '4321');
  const reg = await result(page);
  expect(reg, JSON.stringify(reg)).toMatchObject({ status: 'ok' });
  expect((await rp.credentials(user))[0]).toMatchObject({ source: 'webauthn', rpId: SITE, userVerified: true });

  // Deny while the prompt waits for the PIN: the page gets NotAllowedError and the host's wait is cancelled,
  // so the next sign-in finds the key free.
  await page.click('#login');
  prompt = await waitForConsent(profile.context);
  await prompt.click('#approve');
  await expect(prompt.locator('#pin-box')).toBeVisible();
  await press(prompt, '#deny');
  expect(await result(page)).toMatchObject({ status: 'error', errorName: 'NotAllowedError' });

  await page.waitForTimeout(3_100); // the back-off after a denial (bridge/PROTOCOL.md "end")
  await page.click('#login');
  prompt = await waitForConsent(profile.context);
  await prompt.click('#approve');
  await answerPIN(prompt, '8 tries left', '4321'); // the right PIN reset the counter
  const login = await result(page);
  expect(login, JSON.stringify(login)).toMatchObject({ status: 'ok' });
  expect((await rp.credentials(user))[0]).toMatchObject({ logins: 1, userVerified: true });
});

test('several accounts on the key: a username-less sign-in lets the user choose one in the prompt', async ({ rp, extensionDir }) => {
  const profile = await hostProfile(extensionDir, { key: 'pin:4321' });
  await setHardwareOnly(profile, true);
  const page = await profile.newPage();
  const users = [newUser('ann'), newUser('bob')];
  for (const user of users) { // two discoverable credentials (passkeys on the key), each after the PIN
    await page.goto(rp.url(`/webauthn.html?username=${user}&residentKey=required&userVerification=required`, { origin: 'https' }));
    await page.click('#register');
    const prompt = await waitForConsent(profile.context);
    await prompt.click('#approve');
    await answerPIN(prompt, '8 tries left', '4321');
    expect(await result(page)).toMatchObject({ status: 'ok' });
  }

  await page.click('#login-discoverable'); // no username, no allowCredentials
  const prompt = await waitForConsent(profile.context);
  await prompt.click('#approve');
  await answerPIN(prompt, '8 tries left', '4321');
  const accounts = prompt.locator('#accounts button');
  await expect(accounts).toHaveCount(2);
  await expect(prompt.locator('#key-status')).toContainText('Choose the account');
  await expect(accounts.first()).toBeFocused();
  if (axeSource) await expectNoViolations(prompt, 'consent prompt listing the key accounts');
  // The key lists its most recent credential first; pick the first user's account by its name.
  await expect(accounts.nth(0)).toContainText(users[1]);
  await press(prompt, `#accounts button:has-text("${users[0]}")`);
  const login = await result(page);
  expect(login, JSON.stringify(login)).toMatchObject({ status: 'ok', detail: { rp: { user: users[0] } } });
  expect((await rp.credentials(users[0]))[0]).toMatchObject({ logins: 1, userVerified: true });
  expect((await rp.credentials(users[1]))[0]).toMatchObject({ logins: 0 });
});

test('settings page: the native helper status names the simulated key, or says it is not installed', async ({ extensionDir }) => {
  const withHost = await hostProfile(extensionDir);
  await createVault(withHost.sw, PASSPHRASE);
  let page = await withHost.newPage();
  await page.goto(`chrome-extension://${withHost.extensionId}/ui/settings.html`);
  await expect(page.locator('#native-host-status')).toContainText('installed (version', { timeout: 20_000 });
  await expect(page.locator('#native-host-status')).toContainText('SIMULATED');
  await expect(page.locator('#native-host-keys li')).toHaveCount(1);
  await expect(page.locator('#native-host-keys li')).toContainText('virtual-fido');

  const without = await hostProfile(extensionDir, { install: false });
  await createVault(without.sw, PASSPHRASE);
  page = await without.newPage();
  await page.goto(`chrome-extension://${without.extensionId}/ui/settings.html`);
  await expect(page.locator('#native-host-status')).toContainText('not installed', { timeout: 20_000 });
  await expect(page.locator('#native-host-keys li')).toHaveCount(0);
});
