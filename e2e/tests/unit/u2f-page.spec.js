// Unit tests of extension/content/main-world.js, U2F side: window.u2f (JS API 1.1 and the 1.0 call forms) and
// the CryptoToken transports that Google's u2f-api.js uses (npm u2f-api-polyfill@0.4.4 is that file), against
// a fake relay whose answers come from a WebCrypto U2F token (helpers/fake-relay.js).
const {test, expect} = require('@playwright/test');
const fs = require('node:fs');
const {CHROMIUM_LAUNCH_OPTIONS, openTestPage, RP_ORIGIN} = require('./helpers/page-setup');

test.use({launchOptions: CHROMIUM_LAUNCH_OPTIONS});

const U2F_API_JS = fs.readFileSync(require.resolve('u2f-api-polyfill/u2f-api-polyfill.js'), 'utf8');
const APP_ID = `${RP_ORIGIN}/app-id.json`;

// In-page helpers: promisified calls and verification of U2F responses (U2F raw messages v1.2 §4.3, §5.4;
// U2F JS API v1.1 dictionaries).
async function addU2fHelpers(page) {
  await page.evaluate(() => {
    const u = window.testUtils;
    const call = (fn) => new Promise((resolve) => fn((response) => resolve(response)));
    const concat = (...parts) => Uint8Array.from(parts.flatMap((p) => [...new Uint8Array(p)]));
    const enc = new TextEncoder();
    /** parseRegistration splits registrationData and checks its attestation signature. */
    async function checkRegistration(response, appId) {
      const data = u.unb64u(response.registrationData);
      const publicKey = data.slice(1, 66);
      const keyHandleLength = data[66];
      const keyHandle = data.slice(67, 67 + keyHandleLength);
      const certStart = 67 + keyHandleLength;
      const certLength = data[certStart + 1] === 0x82 ? 4 + (data[certStart + 2] << 8 | data[certStart + 3]) :
        data[certStart + 1] === 0x81 ? 3 + data[certStart + 2] : 2 + data[certStart + 1];
      const signature = data.slice(certStart + certLength);
      const clientDataBytes = u.unb64u(response.clientData);
      const spki = await crypto.subtle.exportKey('spki', window.__harness.u2fToken.attestationKey.publicKey);
      const signed = concat([0], await u.sha256(enc.encode(appId)), await u.sha256(clientDataBytes), keyHandle,
        publicKey);
      return {
        reserved: data[0],
        keyHandle: u.b64u(keyHandle),
        publicKey: u.b64u(publicKey),
        clientData: JSON.parse(new TextDecoder().decode(clientDataBytes)),
        attestationVerified: await u.verifyES256(spki, signature, signed),
      };
    }
    async function checkSignature(response, appId, publicKeyB64u) {
      const data = u.unb64u(response.signatureData);
      const clientDataBytes = u.unb64u(response.clientData);
      const key = await crypto.subtle.importKey('raw', u.unb64u(publicKeyB64u), {name: 'ECDSA', namedCurve: 'P-256'},
        false, ['verify']);
      const signed = concat(await u.sha256(enc.encode(appId)), data.slice(0, 5), await u.sha256(clientDataBytes));
      const verified = await crypto.subtle.verify({name: 'ECDSA', hash: 'SHA-256'}, key,
        u.derSignatureToRaw(data.slice(5)), signed);
      return {userPresence: data[0], counter: new DataView(data.buffer).getUint32(1),
        clientData: JSON.parse(new TextDecoder().decode(clientDataBytes)), verified};
    }
    const relayed = (op) => window.__harness.received.filter((m) => m.op === op).map((m) => m.payload);
    window.u2fTest = {call, checkRegistration, checkSignature, relayed};
  });
}

async function openU2fPage(page, options) {
  await openTestPage(page, options);
  await addU2fHelpers(page);
}

test.describe('window.u2f', () => {
  test('is a plain writable object with the 1.1 API, ErrorCodes and async callbacks', async ({page}) => {
    await openU2fPage(page);
    const result = await page.evaluate(async () => {
      const d = Object.getOwnPropertyDescriptor(window, 'u2f');
      let syncCallback = false;
      let calledSynchronously = false;
      const version = await new Promise((resolve) => {
        window.u2f.getApiVersion((v) => {
          calledSynchronously = !syncCallback;
          resolve(v);
        });
        syncCallback = true;
      });
      return {
        writable: d.writable, configurable: d.configurable, frozen: Object.isFrozen(d.value),
        types: ['register', 'sign', 'getApiVersion'].map((n) => typeof window.u2f[n]),
        errorCodes: window.u2f.ErrorCodes,
        constants: [u2f.OK, u2f.OTHER_ERROR, u2f.BAD_REQUEST, u2f.CONFIGURATION_UNSUPPORTED, u2f.DEVICE_INELIGIBLE,
          u2f.TIMEOUT],
        version, calledSynchronously,
      };
    });
    expect(result.writable).toBe(true);
    expect(result.configurable).toBe(true);
    expect(result.frozen).toBe(false);
    expect(result.types).toEqual(['function', 'function', 'function']);
    expect(result.errorCodes).toEqual({OK: 0, OTHER_ERROR: 1, BAD_REQUEST: 2, CONFIGURATION_UNSUPPORTED: 3,
      DEVICE_INELIGIBLE: 4, TIMEOUT: 5});
    expect(result.constants).toEqual([0, 1, 2, 3, 4, 5]);
    expect(result.version).toEqual({js_api_version: 1.1});
    expect(result.calledSynchronously).toBe(false);
  });

  test('1.1 register and sign: relay payloads, response shapes, signatures', async ({page}) => {
    await openU2fPage(page);
    const result = await page.evaluate(async (appId) => {
      const t = window.u2fTest;
      const registration = await t.call((cb) => u2f.register(appId, [{version: 'U2F_V2', challenge: 'cmVnLWNoYWw'}],
        [], cb));
      const reg = await t.checkRegistration(registration, appId);
      const signResponse = await t.call((cb) => u2f.sign(appId, 'c2lnbi1jaGFs',
        [{version: 'U2F_V2', keyHandle: reg.keyHandle, transports: ['usb']}], cb, 12));
      const sig = await t.checkSignature(signResponse, appId, reg.publicKey);
      return {registration, reg, signResponse, sig, payloads: [...t.relayed('u2f.register'), ...t.relayed('u2f.sign')]};
    }, APP_ID);
    expect(Object.keys(result.registration).sort()).toEqual(['appId', 'challenge', 'clientData', 'registrationData',
      'version']);
    expect(result.registration).not.toHaveProperty('errorCode');
    expect(result.registration.version).toBe('U2F_V2');
    expect(result.reg.reserved).toBe(5);
    expect(result.reg.clientData).toMatchObject({typ: 'navigator.id.finishEnrollment', challenge: 'cmVnLWNoYWw',
      origin: RP_ORIGIN});
    expect(result.reg.attestationVerified).toBe(true);
    expect(Object.keys(result.signResponse).sort()).toEqual(['clientData', 'keyHandle', 'signatureData']);
    expect(result.signResponse.keyHandle).toBe(result.reg.keyHandle);
    expect(result.sig).toMatchObject({userPresence: 1, counter: 1, verified: true,
      clientData: {typ: 'navigator.id.getAssertion', challenge: 'c2lnbi1jaGFs', origin: RP_ORIGIN}});
    expect(result.payloads).toEqual([
      {type: 'register', appId: APP_ID, registerRequests: [{version: 'U2F_V2', challenge: 'cmVnLWNoYWw'}],
        registeredKeys: [], timeoutSeconds: 30},
      {type: 'sign', appId: APP_ID, challenge: 'c2lnbi1jaGFs',
        registeredKeys: [{version: 'U2F_V2', keyHandle: result.reg.keyHandle, transports: ['usb']}],
        timeoutSeconds: 12},
    ]);
  });

  test('1.0 call forms are normalised to 1.1 payloads', async ({page}) => {
    await openU2fPage(page);
    const result = await page.evaluate(async (appId) => {
      const t = window.u2fTest;
      const registration = await t.call((cb) => u2f.register([{version: 'U2F_V2', challenge: 'cjE', appId}],
        [{version: 'U2F_V2', challenge: 'cjE', keyHandle: 'b2xkLWtleQ', appId}], cb, 7));
      const reg = await t.checkRegistration(registration, appId);
      // php-u2flib-server style: one challenge per key; the second key belongs to another AppID.
      const signResponse = await t.call((cb) => u2f.sign([
        {version: 'U2F_V2', challenge: 'czE', keyHandle: 'b2xkLWtleQ', appId},
        {version: 'U2F_V2', challenge: 'czI', keyHandle: reg.keyHandle, appId},
        {version: 'U2F_V2', challenge: 'czE', keyHandle: 'b3RoZXI', appId: 'https://rp.twinkey.test/other.json'},
      ], cb));
      const sig = await t.checkSignature(signResponse, appId, reg.publicKey);
      return {reg, sig, signResponse, payloads: [...t.relayed('u2f.register'), ...t.relayed('u2f.sign')]};
    }, APP_ID);
    expect(result.payloads).toEqual([
      {type: 'register', appId: APP_ID, registerRequests: [{version: 'U2F_V2', challenge: 'cjE'}],
        registeredKeys: [{version: 'U2F_V2', keyHandle: 'b2xkLWtleQ'}], timeoutSeconds: 7},
      {type: 'sign', appId: APP_ID, challenge: 'czE', registeredKeys: [
        {version: 'U2F_V2', keyHandle: 'b2xkLWtleQ'},
        {version: 'U2F_V2', keyHandle: result.reg.keyHandle, challenge: 'czI'},
        {version: 'U2F_V2', keyHandle: 'b3RoZXI', appId: 'https://rp.twinkey.test/other.json'},
      ], timeoutSeconds: 30},
    ]);
    expect(result.reg.attestationVerified).toBe(true);
    expect(result.signResponse.keyHandle).toBe(result.reg.keyHandle);
    expect(result.sig.verified).toBe(true);
    expect(result.sig.clientData.challenge).toBe('czI');
  });

  test('error codes: relayed u2fCode, OTHER_ERROR by default, local BAD_REQUEST', async ({page}) => {
    await openU2fPage(page);
    const result = await page.evaluate(async (appId) => {
      const t = window.u2fTest;
      const h = window.__harness;
      const out = {};
      const keys = [{version: 'U2F_V2', keyHandle: 'a2V5'}];
      out.ineligible = await t.call((cb) => u2f.sign(appId, 'Y2g', keys, cb)); // the token does not know the key
      h.behaviour['u2f.sign'] = {ok: false, error: {name: 'SecurityError', u2fCode: 2, message: 'bad appId'}};
      out.badRequest = await t.call((cb) => u2f.sign(appId, 'Y2g', keys, cb));
      h.behaviour['u2f.sign'] = {ok: false, error: {name: 'NotAllowedError', message: 'denied'}};
      out.noCode = await t.call((cb) => u2f.sign(appId, 'Y2g', keys, cb));
      h.behaviour['u2f.sign'] = {ok: false, error: {name: 'NotAllowedError', u2fCode: 42}};
      out.unknownCode = await t.call((cb) => u2f.sign(appId, 'Y2g', keys, cb));
      h.behaviour['u2f.sign'] = {ok: true, result: {fallback: true}};
      out.fallback = await t.call((cb) => u2f.sign(appId, 'Y2g', keys, cb));
      const relayedBefore = h.received.length;
      out.local = [
        await t.call((cb) => u2f.sign(appId, 'Y2g', 'not-an-array', cb)),
        await t.call((cb) => u2f.sign(appId, 42, keys, cb)),
        await t.call((cb) => u2f.sign([], cb)),
        await t.call((cb) => u2f.register(appId, [], [], cb)),
        await t.call((cb) => u2f.register(appId, [{version: 'U2F_V2'}], [], cb)),
        await t.call((cb) => u2f.register([{version: 'U2F_V2', challenge: 'YQ', appId}],
          [{version: 'U2F_V2', keyHandle: 7}], cb)),
      ];
      out.relayedLocally = h.received.length - relayedBefore;
      return out;
    }, APP_ID);
    expect(result.ineligible).toEqual({errorCode: 4, errorMessage: 'no registered key on this token'});
    expect(result.badRequest).toEqual({errorCode: 2, errorMessage: 'bad appId'});
    expect(result.noCode).toEqual({errorCode: 1, errorMessage: 'denied'});
    expect(result.unknownCode.errorCode).toBe(1);
    expect(result.fallback.errorCode).toBe(1);
    for (const response of result.local) expect(response.errorCode).toBe(2);
    expect(result.relayedLocally).toBe(0);
  });

  test('requests are built even while the page has broken common built-ins', async ({page}) => {
    await openU2fPage(page);
    const result = await page.evaluate(async (appId) => {
      const t = window.u2fTest;
      const registration = await t.call((cb) => u2f.register(appId, [{version: 'U2F_V2', challenge: 'YQ'}], [], cb));
      const {keyHandle} = await t.checkRegistration(registration, appId);
      const saved = {iterator: Array.prototype[Symbol.iterator], stringify: JSON.stringify,
        postMessage: window.postMessage, keys: Object.keys};
      const broken = () => { throw new Error('patched by the page'); };
      // The request is built and posted synchronously inside u2f.sign(); restore right after for the harness.
      const pending = t.call((cb) => {
        Array.prototype[Symbol.iterator] = broken;
        JSON.stringify = broken;
        window.postMessage = broken;
        Object.keys = broken;
        try {
          u2f.sign([{version: 'U2F_V2', challenge: 'Yg', keyHandle, appId}], cb);
        } finally {
          Array.prototype[Symbol.iterator] = saved.iterator;
          JSON.stringify = saved.stringify;
          window.postMessage = saved.postMessage;
          Object.keys = saved.keys;
        }
      });
      const response = await pending;
      return {keyHandle, response, payload: t.relayed('u2f.sign')[0]};
    }, APP_ID);
    expect(result.payload).toEqual({type: 'sign', appId: APP_ID, challenge: 'Yg',
      registeredKeys: [{version: 'U2F_V2', keyHandle: result.keyHandle}], timeoutSeconds: 30});
    expect(result.response.keyHandle).toBe(result.keyHandle);
  });

  test('timeout: the page keeps no timer; opt_timeoutSeconds travels to the service worker, whose TIMEOUT it passes on', async ({page}) => {
    await openU2fPage(page, {clock: true});
    const pending = page.evaluate((appId) => {
      window.__harness.behaviour['u2f.register'] = 'hang';
      window.u2fTest.call((cb) => u2f.register(appId, [{version: 'U2F_V2', challenge: 'YQ'}], [], cb, 5))
        .then((r) => { window.registered = r; });
    }, APP_ID);
    await pending;
    await page.waitForFunction(() => window.__harness.received.length === 1);
    await page.clock.runFor(60000);
    const messages = await page.evaluate(() => window.__harness.received.map((m) => [m.op, m.payload.timeoutSeconds]));
    expect(messages).toEqual([['u2f.register', 5]]);
    expect(await page.evaluate(() => window.registered ?? null)).toBeNull();
  });
});

test.describe("Google's u2f-api.js (u2f-api-polyfill 0.4.4)", () => {
  // A register-then-sign round trip through whatever window.u2f is after the shim loaded.
  async function roundTrip(page) {
    return page.evaluate(async (appId) => {
      const t = window.u2fTest;
      const registration = await t.call((cb) => window.u2f.register(appId,
        [{version: 'U2F_V2', challenge: 'cmVnaXN0ZXI'}], [], cb));
      const reg = await t.checkRegistration(registration, appId);
      const signResponse = await t.call((cb) => window.u2f.sign(appId, 'c2lnbg',
        [{version: 'U2F_V2', keyHandle: reg.keyHandle}], cb));
      const sig = await t.checkSignature(signResponse, appId, reg.publicKey);
      const ineligible = await t.call((cb) => window.u2f.sign(appId, 'c2lnbg',
        [{version: 'U2F_V2', keyHandle: 'dW5rbm93bg'}], cb));
      return {registrationKeys: Object.keys(registration).sort(), reg, signResponse, sig, ineligible,
        payloads: [...t.relayed('u2f.register'), ...t.relayed('u2f.sign')],
        shimOwnsU2f: typeof window.u2f.getMessagePort === 'function'};
    }, APP_ID);
  }

  function expectRoundTrip(result) {
    expect(result.registrationKeys).toEqual(['appId', 'challenge', 'clientData', 'registrationData', 'version']);
    expect(result.reg.attestationVerified).toBe(true);
    expect(result.signResponse.keyHandle).toBe(result.reg.keyHandle);
    expect(result.sig.verified).toBe(true);
    expect(result.ineligible.errorCode).toBe(4);
    expect(result.payloads).toEqual([
      {type: 'register', appId: APP_ID, registerRequests: [{version: 'U2F_V2', challenge: 'cmVnaXN0ZXI'}],
        registeredKeys: [], timeoutSeconds: 30},
      {type: 'sign', appId: APP_ID, challenge: 'c2lnbg', registeredKeys: [{version: 'U2F_V2',
        keyHandle: result.reg.keyHandle}], timeoutSeconds: 30},
      {type: 'sign', appId: APP_ID, challenge: 'c2lnbg', registeredKeys: [{version: 'U2F_V2',
        keyHandle: 'dW5rbm93bg'}], timeoutSeconds: 30},
    ]);
  }

  test('with our window.u2f present the shim keeps it', async ({page}) => {
    await openU2fPage(page);
    await page.addScriptTag({content: U2F_API_JS});
    const result = await roundTrip(page);
    expect(result.shimOwnsU2f).toBe(false);
    expectRoundTrip(result);
  });

  test('a shim that replaced window.u2f reaches us through chrome.runtime (CryptoToken ID)', async ({page}) => {
    await openU2fPage(page);
    await page.evaluate(() => {
      delete window.u2f;
      window.__iframes = () => document.querySelectorAll('iframe').length;
    });
    await page.addScriptTag({content: U2F_API_JS});
    const result = await roundTrip(page);
    expect(result.shimOwnsU2f).toBe(true);
    expectRoundTrip(result);
    expect(await page.evaluate(() => window.__iframes())).toBe(0); // the runtime path, not the iframe
  });

  test('a shim without chrome.runtime reaches us through the u2f-comms.html iframe', async ({page}) => {
    await openU2fPage(page);
    await page.evaluate(() => {
      delete window.u2f;
      delete window.chrome.runtime;
    });
    await page.addScriptTag({content: U2F_API_JS});
    const result = await roundTrip(page);
    expect(result.shimOwnsU2f).toBe(true);
    expectRoundTrip(result);
    expect(await page.evaluate(() => document.querySelectorAll('iframe').length)).toBe(1);
  });

  test("the 1.1 reference shim's `var u2f = u2f || {}` assigns onto our object without throwing", async ({page}) => {
    await openU2fPage(page);
    await page.addScriptTag({content: `'use strict';
      var u2f = u2f || {};
      u2f.EXTENSION_ID = 'kmendfapggjehodndflmmgagdbamhnfd';
      window.__sameObject = u2f === window.u2f;
      u2f.register = function () { window.__shimRegister = true; };`});
    const result = await page.evaluate(() => ({same: window.__sameObject,
      replaced: (u2f.register(), window.__shimRegister),
      ownedId: window.u2f.EXTENSION_ID}));
    expect(result).toEqual({same: true, replaced: true, ownedId: 'kmendfapggjehodndflmmgagdbamhnfd'});
  });
});

test.describe('chrome.runtime emulation', () => {
  test('answers the CryptoToken ID and the low-level API; other IDs get "no receiver"', async ({page}) => {
    await openU2fPage(page);
    const result = await page.evaluate(async (appId) => {
      const ID = 'kmendfapggjehodndflmmgagdbamhnfd';
      const send = (id, message) => new Promise((resolve) => chrome.runtime.sendMessage(id, message,
        (reply) => resolve({reply, lastError: chrome.runtime.lastError && chrome.runtime.lastError.message})));
      const out = {};
      out.probe = await send(ID, {type: 'u2f_sign_request', signRequests: []});
      out.version = await send(ID, {type: 'u2f_get_api_version_request', requestId: 3});
      out.unknown = await send(ID, {type: 'u2f_bogus_request', requestId: 4});
      out.register10 = await send(ID, {type: 'u2f_register_request', requestId: 5, timeoutSeconds: 9,
        registerRequests: [{version: 'U2F_V2', challenge: 'YQ', appId}], signRequests: []});
      out.promise = await chrome.runtime.sendMessage(ID, {type: 'u2f_get_api_version_request', requestId: 6});
      out.other = await send('abcdefghijklmnopabcdefghijklmnop', {hello: 1});
      out.lastErrorAfter = chrome.runtime.lastError;
      const port = chrome.runtime.connect(ID, {includeTlsChannelId: true});
      out.portReply = await new Promise((resolve) => {
        port.onMessage.addListener((message, p) => resolve({message, samePort: p === port}));
        port.postMessage({type: 'u2f_get_api_version_request', requestId: 7});
      });
      const otherPort = chrome.runtime.connect('abcdefghijklmnopabcdefghijklmnop');
      out.otherPort = await new Promise((resolve) => otherPort.onDisconnect.addListener(() =>
        resolve(chrome.runtime.lastError && chrome.runtime.lastError.message)));
      out.register10Payload = window.u2fTest.relayed('u2f.register')[0];
      return out;
    }, APP_ID);
    expect(result.probe.lastError).toBeUndefined();
    expect(result.probe.reply).toMatchObject({type: 'u2f_sign_response', responseData: {errorCode: 2}});
    expect(result.version).toEqual({lastError: undefined, reply: {type: 'u2f_get_api_version_response', requestId: 3,
      responseData: {js_api_version: 1.1}}});
    expect(result.unknown.reply).toMatchObject({type: 'u2f_bogus_response', requestId: 4,
      responseData: {errorCode: 2}});
    expect(result.register10.reply.type).toBe('u2f_register_response');
    expect(result.register10.reply.requestId).toBe(5);
    expect(Object.keys(result.register10.reply.responseData).sort()).toEqual(['appId', 'challenge', 'clientData',
      'registrationData', 'version']);
    expect(result.register10Payload).toEqual({type: 'register', appId: APP_ID,
      registerRequests: [{version: 'U2F_V2', challenge: 'YQ'}], registeredKeys: [], timeoutSeconds: 9});
    expect(result.promise).toEqual({type: 'u2f_get_api_version_response', requestId: 6,
      responseData: {js_api_version: 1.1}});
    expect(result.other).toEqual({reply: undefined,
      lastError: 'Could not establish connection. Receiving end does not exist.'});
    expect(result.lastErrorAfter).toBeUndefined();
    expect(result.portReply).toEqual({samePort: true, message: {type: 'u2f_get_api_version_response', requestId: 7,
      responseData: {js_api_version: 1.1}}});
    expect(result.otherPort).toBe('Could not establish connection. Receiving end does not exist.');
  });

  test('an existing chrome.runtime is wrapped: only the CryptoToken ID is intercepted', async ({page}) => {
    await openU2fPage(page, {beforeMainWorld: () => {
      window.__originalCalls = [];
      const runtime = {
        sendMessage: (...args) => { window.__originalCalls.push(['sendMessage', args[0]]); },
        connect: (...args) => { window.__originalCalls.push(['connect', args[0]]); return 'original-port'; },
        id: undefined,
      };
      if (!window.chrome) window.chrome = {};
      Object.defineProperty(window.chrome, 'runtime', {value: runtime, configurable: true, writable: true});
    }});
    const result = await page.evaluate(async () => {
      const ID = 'kmendfapggjehodndflmmgagdbamhnfd';
      chrome.runtime.sendMessage('otherextensionidotherextensionid', {}, () => {});
      const port = chrome.runtime.connect('otherextensionidotherextensionid');
      const version = await new Promise((resolve) => chrome.runtime.sendMessage(ID,
        {type: 'u2f_get_api_version_request', requestId: 1}, resolve));
      return {calls: window.__originalCalls, port, version};
    });
    expect(result.calls).toEqual([['sendMessage', 'otherextensionidotherextensionid'],
      ['connect', 'otherextensionidotherextensionid']]);
    expect(result.port).toBe('original-port');
    expect(result.version.responseData).toEqual({js_api_version: 1.1});
  });
});
