// A stand-in for the relay and everything behind it, injected (page.addInitScript) BEFORE main-world.js.
//
// It answers the page <-> relay protocol of extension/MESSAGES.md §1 from real authenticators:
//   - WebAuthn: Chromium's own virtual authenticator (CDP WebAuthn domain), reached through the native
//     CredentialsContainer methods saved here before main-world.js replaces them; the answer is the native
//     credential's toJSON(), and the native object is kept for side-by-side comparison;
//   - U2F: a small U2F token computed with WebCrypto (P-256 keys, U2F raw messages v1.2 §4.3
//     and §5.4 layouts, U2F clientData of U2F JS API v1.1 §7.1).
// It also wraps the native create/get in spies, so tests can see what reaches "the browser's own WebAuthn".
// Tests steer it through window.__harness.
(() => {
  'use strict';
  const postMessage = window.postMessage.bind(window); // tests patch the page's copy
  const nativeCreate = CredentialsContainer.prototype.create;
  const nativeGet = CredentialsContainer.prototype.get;

  const harness = {
    nativeShape: {create: {name: nativeCreate.name, length: nativeCreate.length},
      get: {name: nativeGet.name, length: nativeGet.length}},
    received: [], // every to-relay message, in order
    behaviour: {}, // op -> 'authenticator' (default) | 'hang' | an answer object ({ok, result|error})
    nativeCalls: [], // calls that reached the browser's own create/get
    lastNative: null, // the last native credential the virtual authenticator produced for us
    u2fToken: null,
  };
  // Direct access to the browser's own methods, bypassing main-world.js and the spies.
  harness.callNative = (method, options) =>
    (method === 'create' ? nativeCreate : nativeGet).call(navigator.credentials, options);
  Object.defineProperty(window, '__harness', {value: harness});

  function describeOptions(options) {
    return {
      keys: options && typeof options === 'object' ? Object.keys(options).sort() : [],
      hasSignal: !!(options && options.signal instanceof AbortSignal),
      mediation: options && options.mediation,
      options,
    };
  }
  // Spies with the native length (0), so main-world.js copies the right one.
  CredentialsContainer.prototype.create = function create() {
    const options = arguments[0];
    harness.nativeCalls.push({method: 'create', ...describeOptions(options)});
    return nativeCreate.apply(this, arguments);
  };
  CredentialsContainer.prototype.get = function get() {
    const options = arguments[0];
    harness.nativeCalls.push({method: 'get', ...describeOptions(options)});
    return nativeGet.apply(this, arguments);
  };

  // ---- bytes ----
  const enc = new TextEncoder();
  function b64u(bytes) {
    let s = '';
    for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function unb64u(text) {
    const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  }
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  }
  // DER: tag || length || value (X.690 §8.1)
  function der(tag, value) {
    const n = value.length;
    const len = n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 255];
    return concat(Uint8Array.of(tag, ...len), value);
  }
  function derInteger(bytes) {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    const v = bytes.slice(i);
    return der(0x02, v[0] & 0x80 ? concat(Uint8Array.of(0), v) : v);
  }
  // WebCrypto ECDSA gives r||s; U2F wants an X9.62 DER SEQUENCE { r INTEGER, s INTEGER }.
  function rawSignatureToDER(raw) {
    return der(0x30, concat(derInteger(raw.slice(0, 32)), derInteger(raw.slice(32))));
  }
  async function ecdsaSign(privateKey, data) {
    const raw = new Uint8Array(await crypto.subtle.sign({name: 'ECDSA', hash: 'SHA-256'}, privateKey, data));
    return rawSignatureToDER(raw);
  }
  const OID_ECDSA_SHA256 = Uint8Array.of(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02);
  const OID_COMMON_NAME = Uint8Array.of(0x06, 0x03, 0x55, 0x04, 0x03);
  function name(cn) {
    return der(0x30, der(0x31, der(0x30, concat(OID_COMMON_NAME, der(0x0c, enc.encode(cn))))));
  }
  // A minimal self-signed X.509 v1 certificate (RFC 5280 §4.1) for the attestation key.
  async function selfSignedCertificate(keyPair) {
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keyPair.publicKey));
    const validity = der(0x30, concat(der(0x17, enc.encode('260101000000Z')), der(0x17, enc.encode('360101000000Z'))));
    const tbs = der(0x30, concat(derInteger(Uint8Array.of(1)), der(0x30, OID_ECDSA_SHA256), name('Harness U2F'),
      validity, name('Harness U2F'), spki));
    const signature = await ecdsaSign(keyPair.privateKey, tbs);
    return der(0x30, concat(tbs, der(0x30, OID_ECDSA_SHA256), der(0x03, concat(Uint8Array.of(0), signature))));
  }

  // ---- a WebCrypto U2F token ----
  const ecParams = {name: 'ECDSA', namedCurve: 'P-256'};
  async function u2fToken() {
    if (harness.u2fToken) return harness.u2fToken;
    const attestationKey = await crypto.subtle.generateKey(ecParams, false, ['sign', 'verify']);
    harness.u2fToken = {
      attestationKey,
      certificate: await selfSignedCertificate(attestationKey),
      keys: new Map(), // b64u key handle -> {keyPair, appId}
      counter: 0,
    };
    return harness.u2fToken;
  }
  function clientData(typ, challenge) {
    return enc.encode(JSON.stringify({typ, challenge, origin: location.origin, cid_pubkey: 'unused'}));
  }
  const u2fAnswers = {
    async 'u2f.register'(payload) {
      const token = await u2fToken();
      const appId = payload.appId ?? location.origin;
      for (const key of payload.registeredKeys) {
        if (token.keys.has(key.keyHandle)) {
          return {ok: false, error: {name: 'InvalidStateError', u2fCode: 4, message: 'already registered'}};
        }
      }
      const request = payload.registerRequests.find((r) => r.version === 'U2F_V2');
      const keyPair = await crypto.subtle.generateKey(ecParams, true, ['sign', 'verify']);
      const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', keyPair.publicKey));
      const keyHandle = crypto.getRandomValues(new Uint8Array(48));
      token.keys.set(b64u(keyHandle), {keyPair, appId});
      const data = clientData('navigator.id.finishEnrollment', request.challenge);
      const signed = concat(Uint8Array.of(0), await sha256(enc.encode(appId)), await sha256(data), keyHandle,
        publicKey);
      const registrationData = concat(Uint8Array.of(5), publicKey, Uint8Array.of(keyHandle.length), keyHandle,
        token.certificate, await ecdsaSign(token.attestationKey.privateKey, signed));
      return {ok: true, result: {version: 'U2F_V2', registrationData: b64u(registrationData), clientData: b64u(data),
        challenge: request.challenge, appId}};
    },
    async 'u2f.sign'(payload) {
      const token = await u2fToken();
      for (const registered of payload.registeredKeys) {
        const key = token.keys.get(registered.keyHandle);
        const appId = registered.appId ?? payload.appId ?? location.origin;
        if (!key || key.appId !== appId) continue;
        const counter = ++token.counter;
        const data = clientData('navigator.id.getAssertion', registered.challenge ?? payload.challenge);
        const presenceAndCounter = Uint8Array.of(1, counter >>> 24, (counter >> 16) & 255, (counter >> 8) & 255,
          counter & 255);
        const signed = concat(await sha256(enc.encode(appId)), presenceAndCounter, await sha256(data));
        const signature = await ecdsaSign(key.keyPair.privateKey, signed);
        return {ok: true, result: {keyHandle: registered.keyHandle,
          signatureData: b64u(concat(presenceAndCounter, signature)), clientData: b64u(data)}};
      }
      return {ok: false, error: {name: 'InvalidStateError', u2fCode: 4, message: 'no registered key on this token'}};
    },
  };

  const webAuthnAnswers = {
    async 'webauthn.create'(payload) {
      const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(payload.options);
      const credential = await nativeCreate.call(navigator.credentials, {publicKey});
      harness.lastNative = credential;
      return {ok: true, result: credential.toJSON()};
    },
    async 'webauthn.get'(payload) {
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(payload.options);
      const credential = await nativeGet.call(navigator.credentials, {publicKey});
      harness.lastNative = credential;
      return {ok: true, result: credential.toJSON()};
    },
  };
  const answers = {...u2fAnswers, ...webAuthnAnswers};

  window.addEventListener('message', async (event) => {
    const data = event.data;
    if (event.source !== window || !data || data.__twinkey !== 1 || data.dir !== 'to-relay') return;
    if (data.op === 'load') {
      // As the service worker does (extension/sw/pagescript.js): inject the page script's full part.
      (0, eval)(window.__twinkeyTestPageImpl);
      postMessage({__twinkey: 1, dir: 'to-page', id: 'load', ok: true}, '*');
      return;
    }
    harness.received.push(structuredClone(data));
    if (data.op === 'abort') return;
    const behaviour = harness.behaviour[data.op] ?? 'authenticator';
    if (behaviour === 'hang') return;
    let answer;
    if (typeof behaviour === 'object') {
      answer = behaviour;
    } else {
      try {
        answer = await answers[data.op](data.payload);
      } catch (error) {
        answer = {ok: false, error: {name: error.name, message: `harness: ${error.message}`}};
      }
    }
    postMessage({__twinkey: 1, dir: 'to-page', id: data.id, ...answer}, '*');
  });
})();
