// Playwright fixtures for Twinkey's end-to-end tests.
//
// Worker-scoped (one per run, workers: 1):
//   rp            the test relying party (e2e/rp, Go), started once: see RelyingParty below.
//   extensionDir  absolute path of dist/extension, or null when it has not been built.
// Test-scoped:
//   twinkey       a Chromium profile with the extension loaded: {context, sw, extensionId, userDataDir, newPage()}.
//                 The test is skipped (with a reason) when dist/extension/manifest.json is absent.
//   launchTwinkey a factory for more such profiles (the twin journey: primary and backup in two profiles);
//                 every profile it opens is closed after the test.
//   plain         a Chromium profile WITHOUT the extension: {context, newPage()}; combine with
//                 addVirtualAuthenticator(page) for Chromium's own authenticator.
//
// Helpers (exported): waitForConsent, answerConsent, consentPages, createVault, restoreVault, bridge,
// addVirtualAuthenticator, stopServiceWorkers, chromiumArgs, launchProfile, startRelyingParty.
'use strict';

const base = require('@playwright/test');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const e2eDir = __dirname;
const repoRoot = path.resolve(e2eDir, '..');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const defaultExtensionDir = path.join(repoRoot, 'dist', 'extension');

// Every test host name resolves to the loopback RP: *.test (rp.example.test, evil.example.test) and *.co.uk
// (foo.co.uk, for an RP ID that is a public suffix). The RP's https certificate is self-signed.
const resolverArgs = [
  '--host-resolver-rules=MAP *.test 127.0.0.1, MAP *.co.uk 127.0.0.1',
  '--ignore-certificate-errors',
];

// chromiumArgs returns the command-line flags of a test profile, loading extensionDir when it is set.
function chromiumArgs(extensionDir) {
  const args = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', ...resolverArgs,
  ];
  if (extensionDir) args.unshift(`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`);
  return args;
}

// extensionBuilt returns dist/extension (or $TWINKEY_EXTENSION_DIR) when it holds a manifest, else null.
function extensionBuilt() {
  const dir = path.resolve(process.env.TWINKEY_EXTENSION_DIR || defaultExtensionDir);
  return fs.existsSync(path.join(dir, 'manifest.json')) ? dir : null;
}

const NO_EXTENSION_REASON = 'dist/extension/manifest.json is absent: build the extension (scripts/build-extension.sh)';

/**
 * launchProfile starts Chromium with a fresh temporary profile.
 * @param {{extensionDir?: string|null, headless?: boolean, userDataDir?: string, env?: Object<string, string>}} opts
 *   env: extra environment variables for Chromium and what it starts (the native host: TWINKEY_SIMULATED_KEY).
 * @returns {Promise<{context, sw, extensionId, userDataDir, newPage: () => Promise<import('@playwright/test').Page>, close}>}
 *   sw and extensionId are null without an extension.
 */
async function launchProfile(opts = {}) {
  const userDataDir = opts.userDataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'twinkey-profile-'));
  const fresh = !fs.existsSync(path.join(userDataDir, 'Default')); // no browser has used this profile yet
  const context = await base.chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    // TWINKEY_HEADED=1 shows the windows (run under xvfb-run on a machine without a display).
    headless: opts.headless ?? process.env.TWINKEY_HEADED !== '1',
    args: chromiumArgs(opts.extensionDir || null),
    ignoreHTTPSErrors: true,
    viewport: { width: 1000, height: 800 },
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
  });
  let sw = null;
  let extensionId = null;
  if (opts.extensionDir) {
    sw = context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://')) ||
      await context.waitForEvent('serviceworker', { timeout: 15_000 });
    extensionId = new URL(sw.url()).host;
    // A fresh profile: the extension opens its onboarding tab on install (no vault yet). Wait for it, so that it
    // does not come up later over a page a test uses (create() from a background tab is refused).
    if (fresh) {
      const onboarding = () => context.pages().some((p) => p.url().includes('/ui/onboarding.html'));
      const deadline = Date.now() + 5_000;
      while (!onboarding() && Date.now() < deadline) {
        await context.waitForEvent('page', { timeout: deadline - Date.now() }).catch(() => null);
      }
    }
  }
  const close = async () => {
    await context.close().catch(() => {});
    if (!opts.userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  // A persistent context opens with one blank page; reuse it first.
  let blank = context.pages().find((p) => p.url() === 'about:blank');
  // The page comes to the front, as a page a person uses does: Chromium refuses create() from a tab that is not
  // the active one ("the page does not have focus"), and so does Twinkey.
  const newPage = async () => {
    let p = blank;
    blank = null;
    if (!p) p = await context.newPage();
    await p.bringToFront();
    return p;
  };
  return { context, sw, extensionId, userDataDir, newPage, close };
}

/**
 * RelyingParty is a running e2e/rp process.
 *   http[i]      'http://localhost:PORT' origins (two of them: cross-origin iframes)
 *   https        'https://rp.example.test:PORT'
 *   url(path, {origin})  path on an origin: origin is 0/1 (index into http), 'https' (rp.example.test), or any
 *                host name on the https listener ('evil.example.test', 'foo.co.uk'), or 'http:NAME' for
 *                http://NAME:PORT of the first http listener (a non-localhost http origin)
 *   state(user?) GET /api/state; reset() POST /api/reset
 */
class RelyingParty {
  constructor(proc, ready) {
    this.proc = proc;
    this.httpPorts = ready.http.map((a) => Number(a.split(':').pop()));
    this.httpsPort = ready.https ? Number(ready.https.split(':').pop()) : null;
    this.http = this.httpPorts.map((p) => `http://localhost:${p}`);
    this.https = this.httpsPort ? `https://rp.example.test:${this.httpsPort}` : null;
  }

  origin(which = 0) {
    if (typeof which === 'number') return this.http[which];
    if (which === 'https') return this.https;
    if (which.startsWith('http:')) return `http://${which.slice(5)}:${this.httpPorts[0]}`;
    return `https://${which}:${this.httpsPort}`;
  }

  url(p, { origin = 0 } = {}) { return this.origin(origin) + p; }

  async state(user) {
    const res = await fetch(`${this.http[0]}/api/state${user ? `?user=${encodeURIComponent(user)}` : ''}`);
    return res.json();
  }

  // credentials returns the credentials of user (see credentialJSON in e2e/rp/store.go).
  async credentials(user) {
    const st = await this.state(user);
    return st.users.length ? st.users[0].credentials : [];
  }

  async reset() { await fetch(`${this.http[0]}/api/reset`, { method: 'POST' }); }

  async stop() {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await exited;
  }
}

// rpBinary builds e2e/rp into e2e/.bin/rp unless $TWINKEY_RP_BIN names a built one (scripts/e2e.sh builds it).
function rpBinary() {
  if (process.env.TWINKEY_RP_BIN && fs.existsSync(process.env.TWINKEY_RP_BIN)) return process.env.TWINKEY_RP_BIN;
  const bin = path.join(e2eDir, '.bin', 'rp');
  execFileSync('go', ['build', '-o', bin, './e2e/rp'], { cwd: repoRoot, stdio: 'inherit' });
  return bin;
}

/**
 * startRelyingParty starts the RP on two http listeners and one https listener, all on free loopback ports.
 * @returns {Promise<RelyingParty>}
 */
async function startRelyingParty() {
  const proc = spawn(rpBinary(), [
    '-listen', '127.0.0.1:0', '-listen', '127.0.0.1:0', '-listen-tls', '127.0.0.1:0',
    '-node-modules', path.join(e2eDir, 'node_modules'),
  ], { cwd: e2eDir, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout });
    rl.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`e2e/rp exited with ${code} before it was ready`)));
    setTimeout(() => reject(new Error('e2e/rp did not print its ready line in 20 s')), 20_000).unref();
  });
  return new RelyingParty(proc, JSON.parse(line));
}

/**
 * waitForConsent returns the extension's consent page once it is showing: a popup whose URL is
 * chrome-extension://<id>/consent/consent.html… with a visible button#approve or button#deny.
 * DOM contract: button#approve, button#deny, #site, #operation, input#passphrase (when the vault is locked or
 * user verification is required).
 * @param {import('@playwright/test').BrowserContext} context
 * @param {{timeout?: number}} opts
 */
// Prompts a test has already clicked Approve or Deny in (press, markAnswered): the service worker closes them as it
// answers, a moment later, and waitForConsent must not hand such a closing prompt out as the next one.
const answeredPrompts = new WeakSet();

/** markAnswered records that a test answered prompt (see answeredPrompts). */
function markAnswered(prompt) {
  answeredPrompts.add(prompt);
}

async function waitForConsent(context, { timeout = 10_000 } = {}) {
  const isConsent = (p) => /^chrome-extension:\/\/[a-p]{32}\/consent\/consent\.html/.test(p.url()) &&
    !answeredPrompts.has(p) && !p.isClosed();
  const deadline = Date.now() + timeout;
  let page = context.pages().find(isConsent);
  while (!page) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no consent window within ${timeout} ms`);
    const next = await context.waitForEvent('page', { timeout: left }).catch(() => null);
    if (next) {
      // A new window may start at about:blank and navigate.
      if (!isConsent(next)) await next.waitForURL(/\/consent\/consent\.html/, { timeout: Math.min(2000, Math.max(1, deadline - Date.now())) }).catch(() => {});
      if (isConsent(next)) page = next;
    }
    page = page || context.pages().find(isConsent);
  }
  await page.locator('button#approve, button#deny').first().waitFor({ state: 'visible', timeout: Math.max(1, deadline - Date.now()) });
  return page;
}

/**
 * bridge calls the extension's bridge from the service worker: self.twinkey.bridge(route, body), reachable only
 * through the devtools protocol (never by pages). Returns the parsed answer; throws with the bridge's error.
 * @param {import('@playwright/test').Worker} sw
 */
async function bridge(sw, route, body = {}) {
  return sw.evaluate(([r, b]) => self.twinkey.bridge(r, b), [route, body]);
}

/** createVault makes a primary vault protected by passphrase; returns {role, phrase}. */
async function createVault(sw, passphrase) {
  return bridge(sw, '/v1/vault/create', { passphrase });
}

/** restoreVault restores phrase in this profile as role ('backup' for the twin); returns {role}. */
async function restoreVault(sw, phrase, passphrase, role = 'backup') {
  return bridge(sw, '/v1/vault/restore', { phrase, role, passphrase });
}

/**
 * answerConsent waits for the consent prompt, types passphrase when it asks for one, and clicks approve (or deny).
 * Returns {site, operation} as the prompt showed them.
 */
async function answerConsent(context, { approve = true, passphrase = null, timeout = 10_000 } = {}) {
  const consent = await waitForConsent(context, { timeout });
  const shown = {
    site: (await consent.locator('#site').textContent().catch(() => '')) || '',
    operation: (await consent.locator('#operation').textContent().catch(() => '')) || '',
  };
  const pass = consent.locator('input#passphrase');
  if (approve && passphrase !== null && await pass.isVisible()) await pass.fill(passphrase);
  await press(consent, approve ? 'button#approve' : 'button#deny');
  return shown;
}

/**
 * press clicks selector in a consent prompt. Approve and Deny close the prompt's window, sometimes before the
 * click action returns: a prompt that is gone afterwards is the expected outcome, not an error.
 */
async function press(prompt, selector) {
  if (/#(approve|deny)\b/.test(selector)) markAnswered(prompt);
  try {
    await prompt.locator(selector).click();
  } catch (e) {
    if (!prompt.isClosed()) throw e;
  }
}

/** consentPages lists the consent prompts open in context (to assert that none was shown). */
function consentPages(context) {
  return context.pages().filter((p) => /^chrome-extension:\/\/[a-p]{32}\/consent\/consent\.html/.test(p.url()));
}

/**
 * addVirtualAuthenticator attaches Chromium's own virtual authenticator to page's target (CDP WebAuthn domain).
 * protocol 'ctap2' (packed/none attestation) or 'u2f' (fido-u2f attestation); presence is simulated.
 * @returns {Promise<{cdp, authenticatorId, credentials: () => Promise<any[]>, setSignCount: (credentialId, n) => Promise<void>, remove}>}
 */
async function addVirtualAuthenticator(page, { protocol = 'ctap2', transport = 'usb', residentKey = false, userVerification = false } = {}) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol, transport, hasResidentKey: residentKey, hasUserVerification: userVerification,
      isUserVerified: userVerification, automaticPresenceSimulation: true,
    },
  });
  const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  // setSignCount rewrites a credential's counter (credentialId base64, as WebAuthn.getCredentials reports it):
  // how a test plays a cloned authenticator.
  const setSignCount = async (credentialId, signCount) => {
    const cred = (await credentials()).find((c) => c.credentialId === credentialId);
    if (!cred) throw new Error(`virtual authenticator has no credential ${credentialId}`);
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...cred, signCount } });
  };
  const remove = async () => cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  return { cdp, authenticatorId, credentials, setSignCount, remove };
}

/**
 * stopServiceWorkers stops every service worker of the profile, the extension's included, through CDP
 * (ServiceWorker.stopAllWorkers), and resolves once each reports "stopped". The next message to the extension
 * starts its worker again: that is a cold start. Measured on Chromium 156: 20-40 ms to stop.
 *
 * The CDP session lives on a helper page of its own, closed afterwards: a ServiceWorker session on a page resets
 * that page's WebAuthn virtual-authenticator environment. page, when given, is brought back to the front (native
 * WebAuthn needs the focused page).
 * @param {import('@playwright/test').BrowserContext} context
 * @param {{page?: import('@playwright/test').Page, timeout?: number}} opts
 */
async function stopServiceWorkers(context, { page = null, timeout = 5000 } = {}) {
  const helper = await context.newPage();
  const cdp = await context.newCDPSession(helper);
  const status = new Map();
  cdp.on('ServiceWorker.workerVersionUpdated', (e) => { for (const v of e.versions) status.set(v.versionId, v.runningStatus); });
  try {
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    const deadline = Date.now() + timeout;
    while (!status.size || [...status.values()].some((s) => s !== 'stopped')) {
      if (Date.now() > deadline) throw new Error(`service workers still ${[...status.values()]} after ${timeout} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await cdp.detach().catch(() => {});
    await helper.close().catch(() => {});
    if (page) await page.bringToFront();
  }
}

// screenshotOnFailure saves every page of a profile into the test's output directory when the test failed.
async function screenshotOnFailure(profile, testInfo, label) {
  if (testInfo.status === testInfo.expectedStatus) return;
  const pages = profile.context.pages();
  for (let i = 0; i < pages.length; i++) {
    await pages[i].screenshot({ path: testInfo.outputPath(`${label}-page${i}.png`) }).catch(() => {});
  }
}

const test = base.test.extend({
  rp: [async ({}, use) => {
    const rp = await startRelyingParty();
    await use(rp);
    await rp.stop();
  }, { scope: 'worker' }],

  extensionDir: [async ({}, use) => { await use(extensionBuilt()); }, { scope: 'worker' }],

  launchTwinkey: async ({ extensionDir }, use, testInfo) => {
    base.test.skip(!extensionDir, NO_EXTENSION_REASON);
    const opened = [];
    await use(async (opts = {}) => {
      const profile = await launchProfile({ ...opts, extensionDir });
      opened.push(profile);
      return profile;
    });
    for (const [i, p] of opened.entries()) {
      await screenshotOnFailure(p, testInfo, `twinkey${i}`);
      await p.close();
    }
  },

  twinkey: async ({ launchTwinkey }, use) => { await use(await launchTwinkey()); },

  plain: async ({}, use, testInfo) => {
    const profile = await launchProfile({});
    await use(profile);
    await screenshotOnFailure(profile, testInfo, 'plain');
    await profile.close();
  },
});

module.exports = {
  markAnswered,
  test, expect: base.expect,
  waitForConsent, press, answerConsent, consentPages, createVault, restoreVault, bridge, addVirtualAuthenticator,
  stopServiceWorkers,
  chromiumArgs, launchProfile, startRelyingParty, extensionBuilt, RelyingParty, NO_EXTENSION_REASON,
};
