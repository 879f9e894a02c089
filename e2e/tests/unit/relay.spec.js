// Unit tests of extension/content/relay.js in a real extension: a throw-away MV3 extension made of our two
// content scripts (main-world.js in the MAIN world, relay.js in the ISOLATED world) and a test service worker
// that records what reaches it (MESSAGES.md §2) and answers as each test tells it to.
const {test, expect, chromium} = require('@playwright/test');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {CHROMIUM_LAUNCH_OPTIONS, MAIN_WORLD, PAGE_IMPL, RELAY, RP_ORIGIN, OTHER_ORIGIN, serveTestSites, addVirtualAuthenticator} =
  require('./helpers/page-setup');

const APP_ID = `${RP_ORIGIN}/app-id.json`;

// The test service worker: one port per request, `self.mode[op]` picks the answer.
const TEST_SERVICE_WORKER = `
// The page script's full part on first use, as extension/sw/pagescript.js injects it.
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (msg?.kind !== 'twinkey.page-script') return false;
  chrome.scripting.executeScript({target: {tabId: sender.tab.id, frameIds: [sender.frameId]}, world: 'MAIN',
    injectImmediately: true, files: ['page-impl.js']}).then(() => sendResponse({ok: true}),
    (e) => sendResponse({ok: false, error: {name: 'NotReadableError', message: String(e)}}));
  return true;
});
self.mode = {};
self.requests = [];
chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== 'twinkey.request') return;
  const entry = {origin: port.sender.origin, url: port.sender.url, frameId: port.sender.frameId, messages: [],
    disconnected: false};
  self.requests.push(entry);
  port.onDisconnect.addListener(() => { entry.disconnected = true; });
  port.onMessage.addListener((message) => {
    entry.messages.push(message);
    const mode = self.mode[message.op] || 'echo';
    if (mode === 'hang') return;
    if (mode === 'drop') { port.disconnect(); return; }
    if (mode === 'fallback') { port.postMessage({ok: true, result: {fallback: true}}); return; }
    if (mode === 'error') {
      port.postMessage({ok: false, error: {name: 'SecurityError', u2fCode: 2, message: 'refused by test SW',
        extra: 'dropped by the relay'}});
      return;
    }
    port.postMessage({ok: true, result: {echo: {op: message.op, payload: message.payload, frame: message.frame,
      origin: port.sender.origin}}});
  });
});
`;

function writeTestExtension() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinkey-relay-test-'));
  const scripts = {matches: ['https://*/*'], run_at: 'document_start', all_frames: true, match_about_blank: true,
    match_origin_as_fallback: true};
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({
    manifest_version: 3, name: 'twinkey relay test', version: '1',
    permissions: ['scripting'], host_permissions: ['https://*/*'],
    background: {service_worker: 'sw.js'},
    content_scripts: [{...scripts, js: ['main-world.js'], world: 'MAIN'}, {...scripts, js: ['relay.js']}],
  }));
  fs.copyFileSync(MAIN_WORLD, path.join(dir, 'main-world.js'));
  fs.copyFileSync(PAGE_IMPL, path.join(dir, 'page-impl.js'));
  fs.copyFileSync(RELAY, path.join(dir, 'relay.js'));
  fs.writeFileSync(path.join(dir, 'sw.js'), TEST_SERVICE_WORKER);
  return dir;
}

test.describe('relay.js in a real extension', () => {
  test.describe.configure({mode: 'serial'});
  let context;
  let serviceWorker;
  let userDataDir;
  let extensionDir;

  test.beforeAll(async () => {
    extensionDir = writeTestExtension();
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinkey-relay-profile-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_LAUNCH_OPTIONS.executablePath,
      headless: true,
      args: [`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`, '--no-sandbox',
        '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
        '--disable-sync'],
    });
    [serviceWorker] = context.serviceWorkers();
    if (!serviceWorker) serviceWorker = await context.waitForEvent('serviceworker');
    await serveTestSites(context);
  });

  test.afterAll(async () => {
    await context?.close();
    for (const dir of [userDataDir, extensionDir]) if (dir) fs.rmSync(dir, {recursive: true, force: true});
  });

  test.beforeEach(async () => {
    await serviceWorker.evaluate(() => {
      self.mode = {};
      self.requests = [];
    });
  });

  async function u2fSign(frame) {
    return frame.evaluate((appId) => new Promise((resolve) =>
      window.u2f.sign(appId, 'Y2hhbGxlbmdl', [{version: 'U2F_V2', keyHandle: 'a2g'}], resolve)), APP_ID);
  }

  test('carries one request and one answer, adding the frame facts; the SW sees the real origin', async () => {
    const page = await context.newPage();
    await page.goto(`${RP_ORIGIN}/`);
    const response = await u2fSign(page);
    const requests = await serviceWorker.evaluate(() => self.requests);
    expect(response.echo).toEqual({
      op: 'u2f.sign',
      payload: {type: 'sign', appId: APP_ID, challenge: 'Y2hhbGxlbmdl',
        registeredKeys: [{version: 'U2F_V2', keyHandle: 'a2g'}], timeoutSeconds: 30},
      frame: {ancestorOrigins: [], permissions: {create: true, get: true}, userActivation: expect.any(Boolean), visible: true},
      origin: RP_ORIGIN,
    });
    expect(requests.length).toBe(1);
    expect(requests[0].messages.length).toBe(1);
    expect(Object.keys(requests[0].messages[0]).sort()).toEqual(['frame', 'op', 'payload']);
    expect(requests[0].disconnected).toBe(true); // the relay closes the port after the answer
    await page.close();
  });

  test('cross-origin iframes report their ancestors and their Permissions Policy', async () => {
    const page = await context.newPage();
    const frames = `<iframe name="plain" src="${OTHER_ORIGIN}/"></iframe>` +
      `<iframe name="allowed" allow="publickey-credentials-get" src="${OTHER_ORIGIN}/"></iframe>` +
      `<iframe name="same" src="${RP_ORIGIN}/inner"></iframe>`;
    await page.goto(`${RP_ORIGIN}/?body=${encodeURIComponent(frames)}`);
    const echo = {};
    for (const name of ['plain', 'allowed', 'same']) {
      const frame = page.frame({name});
      await frame.waitForFunction(() => typeof window.u2f === 'object');
      echo[name] = (await u2fSign(frame)).echo;
    }
    expect(echo.plain.frame).toEqual({ancestorOrigins: [RP_ORIGIN], permissions: {create: false, get: false},
      userActivation: expect.any(Boolean), visible: true});
    expect(echo.plain.origin).toBe(OTHER_ORIGIN);
    expect(echo.allowed.frame).toEqual({ancestorOrigins: [RP_ORIGIN], permissions: {create: false, get: true},
      userActivation: expect.any(Boolean), visible: true});
    expect(echo.same.frame).toEqual({ancestorOrigins: [RP_ORIGIN], permissions: {create: true, get: true},
      userActivation: expect.any(Boolean), visible: true});
    expect(echo.same.origin).toBe(RP_ORIGIN);
    await page.close();
  });

  test('transient user activation in the frame is reported', async () => {
    // Playwright's evaluate() runs as a user gesture, so the frame is active after it starts; window.open()
    // consumes that activation (HTML §6.4.3), after which the relay must report false.
    const page = await context.newPage();
    const frames = `<iframe name="plain" src="${OTHER_ORIGIN}/"></iframe>`;
    await page.goto(`${RP_ORIGIN}/?body=${encodeURIComponent(frames)}`);
    const frame = page.frame({name: 'plain'});
    await frame.waitForFunction(() => typeof window.u2f === 'object');
    const sign = (consume) => frame.evaluate(({appId, consume}) => new Promise((resolve) => {
      const before = navigator.userActivation.isActive;
      if (consume) window.open('about:blank')?.close();
      window.u2f.sign(appId, 'YQ', [{version: 'U2F_V2', keyHandle: 'a2g'}],
        (response) => resolve({before, reported: response.echo.frame.userActivation}));
    }), {appId: APP_ID, consume});
    expect(await sign(false)).toEqual({before: true, reported: true});
    expect(await sign(true)).toEqual({before: true, reported: false});
    await page.close();
  });

  test('a Permissions-Policy header that disables the features is reported', async () => {
    const page = await context.newPage();
    await page.goto(`${RP_ORIGIN}/?policy=${encodeURIComponent('publickey-credentials-create=()')}`);
    expect((await u2fSign(page)).echo.frame.permissions).toEqual({create: false, get: true});
    await page.close();
  });

  test('errors are relayed with name, u2fCode and message only', async () => {
    const page = await context.newPage();
    await page.goto(`${RP_ORIGIN}/`);
    await serviceWorker.evaluate(() => { self.mode['u2f.sign'] = 'error'; self.mode['webauthn.get'] = 'error'; });
    expect(await u2fSign(page)).toEqual({errorCode: 2, errorMessage: 'refused by test SW'});
    const error = await page.evaluate(() => navigator.credentials.get({publicKey: {challenge: new Uint8Array(16)}})
      .then(() => 'resolved', (e) => [e.name, e.message, e instanceof DOMException]));
    expect(error).toEqual(['SecurityError', 'refused by test SW', true]);
    // The raw answer on the channel (a request id the page script does not own, so it is not consumed there).
    const raw = await page.evaluate(() => new Promise((resolve) => {
      window.addEventListener('message', (e) => {
        if (e.data && e.data.dir === 'to-page' && e.data.id === 'r-raw') resolve(e.data);
      });
      window.postMessage({__twinkey: 1, dir: 'to-relay', id: 'r-raw', op: 'u2f.sign', payload: {}}, '*');
    }));
    expect(raw).toEqual({__twinkey: 1, dir: 'to-page', id: 'r-raw', ok: false,
      error: {name: 'SecurityError', u2fCode: 2, message: 'refused by test SW'}});
    await page.close();
  });

  test('a port closed without an answer is NotAllowedError / OTHER_ERROR', async () => {
    const page = await context.newPage();
    await page.goto(`${RP_ORIGIN}/`);
    await serviceWorker.evaluate(() => { self.mode['u2f.sign'] = 'drop'; self.mode['webauthn.get'] = 'drop'; });
    expect((await u2fSign(page)).errorCode).toBe(1);
    const error = await page.evaluate(() => navigator.credentials.get({publicKey: {challenge: new Uint8Array(16)}})
      .then(() => 'resolved', (e) => e.name));
    expect(error).toBe('NotAllowedError');
    await page.close();
  });

  test('a page abort closes the port, so the SW can drop the request', async () => {
    const page = await context.newPage();
    await page.goto(`${RP_ORIGIN}/`);
    await serviceWorker.evaluate(() => { self.mode['webauthn.get'] = 'hang'; });
    const outcome = await page.evaluate(async () => {
      const controller = new AbortController();
      const pending = navigator.credentials.get({publicKey: {challenge: new Uint8Array(16)},
        signal: controller.signal});
      await new Promise((r) => setTimeout(r, 300));
      controller.abort();
      return pending.then(() => 'resolved', (e) => e.name);
    });
    expect(outcome).toBe('AbortError');
    await expect.poll(() => serviceWorker.evaluate(() => self.requests.map((r) => r.disconnected)))
      .toEqual([true]);
    await page.close();
  });

  test('fallback reaches the browser’s own WebAuthn (virtual authenticator)', async () => {
    const page = await context.newPage();
    await addVirtualAuthenticator(page);
    await page.goto(`${RP_ORIGIN}/`);
    await serviceWorker.evaluate(() => { self.mode['webauthn.create'] = 'fallback'; });
    const result = await page.evaluate(async () => {
      const credential = await navigator.credentials.create({publicKey: {
        rp: {name: 'RP'}, user: {id: new Uint8Array([1]), name: 'a', displayName: 'A'},
        challenge: new Uint8Array(32), pubKeyCredParams: [{type: 'public-key', alg: -7}],
      }, signal: AbortSignal.timeout(20000)});
      return {native: Object.getOwnPropertyNames(credential).length === 0,
        keyLength: credential.response.getPublicKey().byteLength};
    });
    expect(result).toEqual({native: true, keyLength: 91});
    await page.close();
  });

  test('forged channel traffic: unknown ops, other windows and bad ids never reach the SW', async () => {
    const page = await context.newPage();
    await page.goto(`${RP_ORIGIN}/?body=${encodeURIComponent(`<iframe name="child" src="${RP_ORIGIN}/c"></iframe>`)}`);
    const child = page.frame({name: 'child'});
    await child.waitForFunction(() => typeof window.u2f === 'object');
    await page.evaluate(() => {
      const base = {__twinkey: 1, dir: 'to-relay', payload: {}};
      window.postMessage({...base, id: 'r-1', op: 'vault.unlock'}, '*');
      window.postMessage({...base, id: 'bad id with spaces', op: 'u2f.sign'}, '*');
      window.postMessage({...base, id: 'r-2', op: 'u2f.sign', __twinkey: 2}, '*');
      window.postMessage(JSON.stringify({...base, id: 'r-3', op: 'u2f.sign'}), '*');
    });
    // A child frame posting into its parent: event.source is the child, so the parent's relay ignores it.
    await child.evaluate(() => window.parent.postMessage({__twinkey: 1, dir: 'to-relay', id: 'r-4', op: 'u2f.sign',
      payload: {}}, '*'));
    // A forged but well-formed request does reach the SW, which sees the true origin whatever the page claims.
    const forged = await page.evaluate(() => new Promise((resolve) => {
      window.addEventListener('message', (e) => {
        if (e.data && e.data.dir === 'to-page' && e.data.id === 'r-5') resolve(e.data);
      });
      window.postMessage({__twinkey: 1, dir: 'to-relay', id: 'r-5', op: 'u2f.sign',
        payload: {origin: 'https://bank.example', appId: 'https://bank.example'}}, '*');
    }));
    await page.waitForTimeout(200);
    const requests = await serviceWorker.evaluate(() => self.requests.map((r) => ({origin: r.origin,
      ops: r.messages.map((m) => m.op)})));
    expect(requests).toEqual([{origin: RP_ORIGIN, ops: ['u2f.sign']}]);
    expect(forged.ok).toBe(true);
    expect(forged.result.echo.origin).toBe(RP_ORIGIN);
    await page.close();
  });

  test('about:blank and script-created iframes get both scripts, synchronously', async () => {
    const page = await context.newPage();
    await page.goto(`${RP_ORIGIN}/`);
    const echo = await page.evaluate(async (appId) => {
      const iframe = document.createElement('iframe');
      document.body.append(iframe);
      const w = iframe.contentWindow;
      // Synchronously after insertion: a page cannot grab the fresh frame's native API before we are there.
      const synchronous = {u2f: typeof w.u2f, createIsOurs: !w.navigator.credentials.create.toString()
        .includes('[native code]')};
      const response = await new Promise((resolve) => w.u2f.sign(appId, 'YQ', [{version: 'U2F_V2', keyHandle: 'a2g'}],
        resolve));
      return {...response, synchronous};
    }, APP_ID);
    expect(echo.synchronous).toEqual({u2f: 'object', createIsOurs: true});
    expect(echo.echo.origin).toBe(RP_ORIGIN);
    expect(echo.echo.frame.ancestorOrigins).toEqual([RP_ORIGIN]);
    await page.close();
  });
});
