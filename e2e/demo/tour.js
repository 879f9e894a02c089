// The demo: the test RP and a Chromium with Twinkey loaded. Headed (where a display exists) it leaves the browser
// open on the RP for a person to try; with --headless it runs a scripted tour and saves a screenshot of each step
// into dist/demo/.
//
//   node e2e/demo/tour.js [--headless]      (./build.sh demo [--headless] builds first and runs this)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { launchProfile, startRelyingParty, extensionBuilt, waitForConsent, press } = require('../fixtures');
const { onboardCreate, openPage } = require('../tests/journeys/ui');

const outDir = path.resolve(__dirname, '../../dist/demo');

async function main() {
  const headless = process.argv.includes('--headless') || !process.env.DISPLAY;
  const extensionDir = extensionBuilt();
  if (!extensionDir) throw new Error('dist/extension is missing: run ./build.sh first');
  const rp = await startRelyingParty();
  const profile = await launchProfile({ extensionDir, headless });
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
    console.log('Tour complete.');
  } finally {
    await profile.close();
    rp.stop();
  }
}

main().catch((e) => { console.error('demo failed:', e.message); process.exit(1); });
