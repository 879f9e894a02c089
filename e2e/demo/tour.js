// The demo: the test RP and a Chromium with Twinkey loaded. Headed (where a display exists) it leaves the browser
// open on the RP for a person to try; with --headless it runs a scripted tour and saves a screenshot of each step
// into dist/demo/.
//
//   node e2e/demo/tour.js [--headless]      (./build.sh demo [--headless] builds first and runs this)
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { launchProfile, startRelyingParty, extensionBuilt, waitForConsent, press } = require('../fixtures');
const { onboardCreate, openPage } = require('../tests/journeys/ui');

const outDir = path.resolve(__dirname, '../../dist/demo');
const hostBin = path.resolve(__dirname, '../.bin/twinkey-host');
const DEMO_PIN = '1234';

// usbProfile is the headless tour's browser: twinkey-host registered in a fresh profile, with the host's
// test-only simulated key (a CTAP 2.1 key with PIN 1234; nativehost/PROTOCOL.md "The simulated key") switched on
// in the browser's environment, which the host inherits. The prompt says SIMULATED wherever it is used.
function usbProfile() {
  if (!fs.existsSync(hostBin)) return { env: undefined, userDataDir: undefined, keyDir: undefined };
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinkey-demo-profile-'));
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinkey-demo-key-'));
  execFileSync(hostBin, ['install', '--browser', 'chromium', '--user-data-dir', userDataDir], { stdio: 'pipe' });
  return { userDataDir, keyDir, env: { TWINKEY_SIMULATED_KEY: `pin:${DEMO_PIN}`, TWINKEY_SIMULATED_KEY_DIR: keyDir } };
}

async function main() {
  const headless = process.argv.includes('--headless') || !process.env.DISPLAY;
  const extensionDir = extensionBuilt();
  if (!extensionDir) throw new Error('dist/extension is missing: run ./build.sh first');
  const rp = await startRelyingParty();
  const usb = headless ? usbProfile() : {};
  const profile = await launchProfile({ extensionDir, headless, userDataDir: usb.userDataDir, env: usb.env });
  console.log(`Twinkey ${profile.extensionId} loaded; relying party at ${rp.url('/')} and ${rp.url('/', { origin: 'https' })}`);
  if (!headless) {
    const page = await profile.newPage();
    await page.goto(`chrome-extension://${profile.extensionId}/ui/onboarding.html`);
    const site = await profile.context.newPage();
    await site.goto(rp.url('/'));
    console.log('Set up a vault in the onboarding tab, then register and sign in on the RP. Close the browser to end.');
    await new Promise((resolve) => profile.context.on('close', resolve));
    rp.stop();
    return;
  }
  fs.mkdirSync(outDir, { recursive: true });
  const snap = async (page, name) => {
    const file = path.join(outDir, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`  saved ${path.relative(process.cwd(), file)}`);
  };
  try {
    console.log('1. onboarding: create a vault, see and confirm the 24 words');
    await onboardCreate(profile, 'demo passphrase 123');
    const user = `demo-${Date.now().toString(36)}`;
    const site = await profile.newPage();
    await site.goto(rp.url(`/webauthn.html?username=${user}`));
    for (const [step, button] of [['2. register at the RP', '#register'], ['3. sign in', '#login'], ['4. sign in again', '#login']]) {
      console.log(step);
      await site.click(button);
      const prompt = await waitForConsent(profile.context);
      await snap(prompt, `${button.slice(1)}-consent`);
      await press(prompt, '#approve');
      await site.locator('#result[data-status="ok"], #result[data-status="error"]').waitFor();
      const record = JSON.parse(await site.locator('#result').textContent());
      console.log(`   RP says: ${record.status}${record.errorName ? ' ' + record.errorName : ''}`);
      if (record.status !== 'ok') throw new Error(`${step} failed: ${JSON.stringify(record)}`);
      await snap(site, `${button.slice(1)}-result`);
    }
    const [cred] = await rp.credentials(user);
    console.log(`5. the RP holds the credential with counter ${cred.signCount}, verified by go-webauthn`);
    for (const name of ['popup', 'settings']) await snap(await openPage(profile, name), name);
    if (usb.env) await usbKeyTour(profile, rp, snap);
    console.log('Tour complete.');
  } finally {
    await profile.close();
    for (const dir of [usb.userDataDir, usb.keyDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    rp.stop();
  }
}

// usbKeyTour: a site marked hardware-only goes to the USB key (here the simulated one); the prompt asks for the
// key's PIN, then a username-less sign-in lets the person pick one of the key's two accounts.
async function usbKeyTour(profile, rp, snap) {
  const host = new URL(rp.url('/', { origin: 'https' })).hostname;
  console.log(`6. ${host} is marked hardware-only: the USB key answers it, never the software key`);
  await profile.sw.evaluate(async (site) => {
    const { settings = {} } = await chrome.storage.local.get('settings');
    await chrome.storage.local.set({ settings: { ...settings, sites: { ...settings.sites, [site]: { hardwareOnly: true } } } });
  }, host);
  const site = await profile.newPage();
  const users = [`demo-ann-${Date.now().toString(36)}`, `demo-bob-${Date.now().toString(36)}`];
  for (const [i, user] of users.entries()) {
    console.log(`${7 + i}. register ${user} on the USB key with a PIN (a passkey on the key)`);
    await site.goto(rp.url(`/webauthn.html?username=${user}&userVerification=required&residentKey=required`, { origin: 'https' }));
    await site.click('#register');
    const prompt = await waitForConsent(profile.context);
    await prompt.click('#approve');
    await prompt.locator('#pin-box').waitFor({ state: 'visible' });
    if (i === 0) await snap(prompt, 'usb-pin');
    await prompt.fill('#pin', DEMO_PIN);
    await prompt.click('#pin-submit');
    await site.locator('#result[data-status="ok"]').waitFor();
  }
  console.log('9. sign in without a username: the prompt lists the key\'s accounts');
  await site.click('#login-discoverable');
  const prompt = await waitForConsent(profile.context);
  await prompt.click('#approve');
  await prompt.locator('#pin-box').waitFor({ state: 'visible' });
  await prompt.fill('#pin', DEMO_PIN);
  await prompt.click('#pin-submit');
  await prompt.locator('#accounts button').first().waitFor();
  await snap(prompt, 'usb-accounts');
  await press(prompt, `#accounts button:has-text("${users[0]}")`);
  await site.locator('#result[data-status="ok"], #result[data-status="error"]').waitFor();
  const record = JSON.parse(await site.locator('#result').textContent());
  if (record.status !== 'ok') throw new Error(`USB sign-in failed: ${JSON.stringify(record)}`);
  console.log(`   RP says: ok, signed in as ${record.detail.rp.user} (user verified by the key's PIN)`);
  await snap(site, 'usb-login-result');
}

main().catch((e) => { console.error('demo failed:', e.message); process.exit(1); });
