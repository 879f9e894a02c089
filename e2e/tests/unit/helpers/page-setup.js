// Shared set-up for the unit tests of the in-page scripts (extension/content/*.js).
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const MAIN_WORLD = path.join(REPO, 'extension', 'content', 'main-world.js');
const PAGE_IMPL = path.join(REPO, 'extension', 'content', 'page-impl.js');
const RELAY = path.join(REPO, 'extension', 'content', 'relay.js');
const FAKE_RELAY = path.join(__dirname, 'fake-relay.js');
const PAGE_UTILS = path.join(__dirname, 'page-utils.js');

// Test sites, served by routes (secure contexts: https).
const RP_ORIGIN = 'https://rp.twinkey.test';
const OTHER_ORIGIN = 'https://other.twinkey.test';

/**
 * CHROMIUM_LAUNCH_OPTIONS: Debian's Chromium (Playwright's own browser downloads are unavailable here). Specs
 * apply it with test.use(); CHROMIUM_PATH overrides the path.
 */
const CHROMIUM_LAUNCH_OPTIONS = {executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium'};

/** serveTestSites answers every request to *.twinkey.test with a small HTML page (the body is ?body=…). */
async function serveTestSites(context) {
  await context.route(/^https:\/\/[a-z.]*twinkey\.test\//, async (route) => {
    const url = new URL(route.request().url());
    const body = url.searchParams.get('body') ?? '';
    await route.fulfill({
      status: 200,
      contentType: 'text/html; charset=utf-8',
      headers: url.searchParams.has('policy') ? {'Permissions-Policy': url.searchParams.get('policy')} : {},
      body: `<!doctype html><meta charset="utf-8"><title>twinkey test</title><body>${body}</body>`,
    });
  });
}

/** addVirtualAuthenticator attaches Chromium's own CTAP2 virtual authenticator (CDP WebAuthn domain). */
async function addVirtualAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', {enableUI: false});
  const {authenticatorId} = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'usb', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true, hasPrf: true,
      hasLargeBlob: true,
    },
  });
  return {cdp, authenticatorId};
}

/**
 * openTestPage loads RP_ORIGIN with the fake relay and main-world.js injected before any page script, a
 * virtual authenticator attached, and the in-page test utilities (window.testUtils) added after load.
 * options.beforeMainWorld: extra init script source that runs before main-world.js (after the fake relay).
 * options.clock: install Playwright's fake clock first, so main-world.js captures the fake timers.
 */
async function openTestPage(page, options = {}) {
  await serveTestSites(page.context());
  if (options.clock) await page.clock.install();
  // The page script's full part, which the service worker injects on first use: the fake relay injects it.
  const fs = require('node:fs');
  await page.addInitScript(`window.__twinkeyTestPageImpl = ${JSON.stringify(fs.readFileSync(PAGE_IMPL, 'utf8'))};`);
  await page.addInitScript({path: FAKE_RELAY});
  if (options.beforeMainWorld) await page.addInitScript(options.beforeMainWorld);
  await page.addInitScript({path: MAIN_WORLD});
  const authenticator = await addVirtualAuthenticator(page);
  await page.goto(options.url ?? `${RP_ORIGIN}/`);
  await page.addScriptTag({path: PAGE_UTILS});
  return authenticator;
}

module.exports = {
  CHROMIUM_LAUNCH_OPTIONS, REPO, MAIN_WORLD, PAGE_IMPL, RELAY, FAKE_RELAY, PAGE_UTILS, RP_ORIGIN, OTHER_ORIGIN,
  serveTestSites, addVirtualAuthenticator, openTestPage,
};
