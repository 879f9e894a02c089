// Unit tests of extension/content/main-world.js, WebAuthn side: navigator.credentials.create/get with
// `publicKey` travel to a fake relay (helpers/fake-relay.js) that answers from Chromium's own virtual
// authenticator; our PublicKeyCredential look-alikes are compared with the native objects Chromium built.
const {test, expect} = require('@playwright/test');
const fs = require('node:fs');
const path = require('node:path');
const {CHROMIUM_LAUNCH_OPTIONS, openTestPage, MAIN_WORLD} = require('./helpers/page-setup');

test.use({launchOptions: CHROMIUM_LAUNCH_OPTIONS});

const SIMPLEWEBAUTHN_UMD = path.join(path.dirname(require.resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle',
  'index.umd.min.js');

test.describe('navigator.credentials.create', () => {
  test('returns a PublicKeyCredential that matches the native one member by member', async ({page}) => {
    await openTestPage(page);
    const report = await page.evaluate(async () => {
      const u = window.testUtils;
      const options = u.creationOptions({extensions: {credProps: true}, timeout: 120000});
      const credential = await navigator.credentials.create({publicKey: options});
      const native = window.__harness.lastNative;
      const request = window.__harness.received.find((m) => m.op === 'webauthn.create');
      const r = credential.response;
      const nr = native.response;
      const attestation = u.decodeCBOR(r.attestationObject).value;
      const authDataInAttestation = attestation.get('authData');
      const publicKey = r.getPublicKey();
      const imported = await crypto.subtle.importKey('spki', publicKey, {name: 'ECDSA', namedCurve: 'P-256'}, true,
        ['verify']);
      return {
        instanceofPKC: credential instanceof PublicKeyCredential,
        instanceofCredential: credential instanceof Credential,
        instanceofResponse: r instanceof AuthenticatorAttestationResponse,
        instanceofBase: r instanceof AuthenticatorResponse,
        tag: Object.prototype.toString.call(credential),
        id: [credential.id, native.id],
        type: credential.type,
        rawIdIsBuffer: credential.rawId instanceof ArrayBuffer,
        rawIdSame: credential.rawId === credential.rawId,
        rawId: [u.hex(credential.rawId), u.hex(native.rawId)],
        idIsB64uRawId: credential.id === u.b64u(credential.rawId),
        attachment: [credential.authenticatorAttachment, native.authenticatorAttachment],
        clientDataJSON: [u.hex(r.clientDataJSON), u.hex(nr.clientDataJSON)],
        clientDataIsBuffer: r.clientDataJSON instanceof ArrayBuffer,
        attestationObject: [u.hex(r.attestationObject), u.hex(nr.attestationObject)],
        authData: [u.hex(r.getAuthenticatorData()), u.hex(nr.getAuthenticatorData()), u.hex(authDataInAttestation)],
        authDataIsBuffer: r.getAuthenticatorData() instanceof ArrayBuffer,
        publicKeyLength: publicKey.byteLength,
        publicKey: [u.hex(publicKey), u.hex(nr.getPublicKey())],
        importedType: imported.type,
        algorithm: [r.getPublicKeyAlgorithm(), nr.getPublicKeyAlgorithm()],
        transports: [r.getTransports(), nr.getTransports()],
        transportsFresh: r.getTransports() !== r.getTransports(),
        freshBuffers: [r.getAuthenticatorData() !== r.getAuthenticatorData(), r.getPublicKey() !== r.getPublicKey()],
        nativeFreshBuffers: [nr.getAuthenticatorData() !== nr.getAuthenticatorData(),
          nr.getPublicKey() !== nr.getPublicKey()],
        sameObjectAttributes: [credential.response === credential.response,
          r.attestationObject === r.attestationObject, r.clientDataJSON === r.clientDataJSON],
        nativeSameObjectAttributes: [native.response === native.response, nr.attestationObject === nr.attestationObject,
          nr.clientDataJSON === nr.clientDataJSON],
        extensions: [credential.getClientExtensionResults(), native.getClientExtensionResults()],
        toJSON: [credential.toJSON(), native.toJSON()],
        stringified: JSON.parse(JSON.stringify(credential)),
        requestOptions: request.payload.options,
        payloadKeys: Object.keys(request.payload),
        challenge: u.b64u(options.challenge),
        userId: u.b64u(options.user.id),
      };
    });
    expect(report.instanceofPKC).toBe(true);
    expect(report.instanceofCredential).toBe(true);
    expect(report.instanceofResponse).toBe(true);
    expect(report.instanceofBase).toBe(true);
    expect(report.tag).toBe('[object PublicKeyCredential]');
    expect(report.id[0]).toBe(report.id[1]);
    expect(report.type).toBe('public-key');
    expect(report.rawIdIsBuffer).toBe(true);
    expect(report.rawIdSame).toBe(true);
    expect(report.rawId[0]).toBe(report.rawId[1]);
    expect(report.idIsB64uRawId).toBe(true);
    expect(report.attachment[0]).toBe(report.attachment[1]);
    expect(report.clientDataIsBuffer).toBe(true);
    expect(report.clientDataJSON[0]).toBe(report.clientDataJSON[1]);
    expect(report.attestationObject[0]).toBe(report.attestationObject[1]);
    expect(report.authDataIsBuffer).toBe(true);
    expect(report.authData[0]).toBe(report.authData[1]);
    expect(report.authData[0]).toBe(report.authData[2]);
    expect(report.publicKeyLength).toBe(91);
    expect(report.publicKey[0]).toBe(report.publicKey[1]);
    expect(report.publicKey[0].startsWith('3059301306072a8648ce3d020106082a8648ce3d03010703420004')).toBe(true);
    expect(report.importedType).toBe('public');
    expect(report.algorithm).toEqual([-7, -7]);
    expect(report.transports[0]).toEqual(report.transports[1]);
    expect(report.transportsFresh).toBe(true);
    expect(report.freshBuffers).toEqual(report.nativeFreshBuffers);
    expect(report.sameObjectAttributes).toEqual(report.nativeSameObjectAttributes);
    expect(report.extensions[0]).toEqual(report.extensions[1]);
    expect(report.extensions[0]).toHaveProperty('credProps');
    expect(report.toJSON[0]).toEqual(report.toJSON[1]);
    expect(report.stringified).toEqual(report.toJSON[1]);
    // What the relay received: WebAuthn L3 JSON of the caller's options, with the defaults filled in.
    expect(report.requestOptions).toEqual({
      rp: {id: 'rp.twinkey.test', name: 'Twinkey test RP'},
      user: {id: report.userId, name: 'ann', displayName: 'Ann'},
      challenge: report.challenge,
      pubKeyCredParams: [{type: 'public-key', alg: -7}],
      timeout: 120000,
      excludeCredentials: [],
      authenticatorSelection: {requireResidentKey: false, userVerification: 'discouraged'},
      hints: [],
      attestation: 'none',
      attestationFormats: [],
      extensions: {credProps: true},
    });
    expect(report.payloadKeys).toEqual(['options']); // the timer is the service worker's (Go's timeout)
  });

  test('serialises every BufferSource kind and iterable like the WebIDL binding', async ({page}) => {
    await openTestPage(page);
    const sent = await page.evaluate(async () => {
      const u = window.testUtils;
      const bytes = Uint8Array.from({length: 40}, (_, i) => i);
      const iframe = document.createElement('iframe');
      document.body.append(iframe);
      const foreignBuffer = new iframe.contentWindow.ArrayBuffer(4); // another realm's ArrayBuffer
      new Uint8Array(foreignBuffer).set([9, 8, 7, 6]);
      const options = u.creationOptions({
        challenge: new DataView(bytes.buffer, 4, 20),
        user: {id: bytes.subarray(1, 9), name: {toString: () => 'ann'}, displayName: 42},
        pubKeyCredParams: new Set([{type: 'public-key', alg: '-7'}, {type: 'public-key', alg: -257.9}]),
        excludeCredentials: [{type: 'public-key', id: foreignBuffer, transports: ['usb', 'nfc']}],
        extensions: {prf: {eval: {first: new Uint8Array([1, 2, 3])}}, appidExclude: 'https://rp.twinkey.test'},
        timeout: 1,
      });
      window.__harness.behaviour['webauthn.create'] = {ok: false, error: {name: 'NotAllowedError', message: 'x'}};
      await navigator.credentials.create({publicKey: options}).catch(() => {});
      const message = window.__harness.received.find((m) => m.op === 'webauthn.create');
      return {message, expected: {challenge: u.b64u(bytes.slice(4, 24)), userId: u.b64u(bytes.slice(1, 9)),
        excluded: u.b64u(Uint8Array.of(9, 8, 7, 6)), prfFirst: u.b64u(Uint8Array.of(1, 2, 3))}};
    });
    const {options} = sent.message.payload;
    expect(sent.message.id).toMatch(/^r-[A-Za-z0-9_-]+$/);
    expect(options.challenge).toBe(sent.expected.challenge);
    expect(options.user).toEqual({id: sent.expected.userId, name: 'ann', displayName: '42'});
    expect(options.pubKeyCredParams).toEqual([{type: 'public-key', alg: -7}, {type: 'public-key', alg: -257}]);
    expect(options.excludeCredentials).toEqual([{id: sent.expected.excluded, type: 'public-key',
      transports: ['usb', 'nfc']}]);
    expect(options.extensions).toEqual({prf: {eval: {first: sent.expected.prfFirst}},
      appidExclude: 'https://rp.twinkey.test'});
    expect(options.timeout).toBe(1);
    expect(sent.message.payload.timeoutMs).toBeUndefined(); // Go clamps and runs the timer
  });

  test('reads the caller\'s dictionaries in the same order as Chromium\'s binding', async ({page}) => {
    await openTestPage(page);
    const result = await page.evaluate(async () => {
      const u = window.testUtils;
      // Proxies that log every member read, nested dictionaries included.
      const logged = (log, path, target) => new Proxy(target, {
        get(object, key, receiver) {
          const value = Reflect.get(object, key, receiver);
          if (typeof key !== 'string') return value;
          log.push(`${path}.${key}`);
          const plain = value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) &&
            !(value instanceof ArrayBuffer) && !Array.isArray(value);
          return plain ? logged(log, `${path}.${key}`, value) : value;
        },
      });
      const base = u.creationOptions({authenticatorSelection: {residentKey: 'discouraged',
        userVerification: 'discouraged'}, extensions: {credProps: true}, timeout: 30000, attestation: 'none'});
      base.extensions.unknownExtension = {x: 1}; // read by neither
      const nativeLog = [];
      const created = await window.__harness.callNative('create', {publicKey: logged(nativeLog, 'pk', base)});
      const ourLog = [];
      await navigator.credentials.create({publicKey: logged(ourLog, 'pk', base)});
      const request = {challenge: new Uint8Array(16), rpId: 'rp.twinkey.test', timeout: 20000,
        userVerification: 'discouraged', allowCredentials: [{type: 'public-key', id: created.rawId}],
        extensions: {appid: 'https://rp.twinkey.test'}, hints: ['security-key']};
      const nativeGetLog = [];
      await window.__harness.callNative('get', {publicKey: logged(nativeGetLog, 'pk', request)});
      const ourGetLog = [];
      let publicKeyReads = 0;
      await navigator.credentials.get({get publicKey() {
        publicKeyReads++;
        return logged(ourGetLog, 'pk', request);
      }});
      const sent = window.__harness.received.filter((m) => m.op !== 'abort').map((m) => m.payload.options.extensions);
      return {nativeLog, ourLog, nativeGetLog, ourGetLog, sent, publicKeyReads};
    });
    expect(result.ourLog.length).toBeGreaterThan(10);
    expect(result.ourLog).toEqual(result.nativeLog);
    expect(result.ourGetLog).toEqual(result.nativeGetLog);
    expect(result.publicKeyReads).toBe(1);
    expect(result.sent).toEqual([{credProps: true}, {appid: 'https://rp.twinkey.test'}]);
  });

  test('rejects malformed options with TypeError before anything reaches the relay', async ({page}) => {
    await openTestPage(page);
    const results = await page.evaluate(async () => {
      const u = window.testUtils;
      const cases = {
        missingRp: {rp: undefined},
        missingRpName: {rp: {id: 'rp.twinkey.test'}},
        missingUser: {user: undefined},
        missingUserName: {user: {id: new Uint8Array(4), displayName: 'A'}},
        missingDisplayName: {user: {id: new Uint8Array(4), name: 'a'}},
        missingUserId: {user: {name: 'a', displayName: 'A'}},
        emptyUserId: {user: {id: new Uint8Array(0), name: 'a', displayName: 'A'}},
        longUserId: {user: {id: new Uint8Array(65), name: 'a', displayName: 'A'}},
        missingChallenge: {challenge: undefined},
        stringChallenge: {challenge: 'abc'},
        resizableChallenge: {challenge: new ArrayBuffer(16, {maxByteLength: 32})},
        resizableViewChallenge: {challenge: new Uint8Array(new ArrayBuffer(16, {maxByteLength: 32}))},
        missingParams: {pubKeyCredParams: undefined},
        paramsNotIterable: {pubKeyCredParams: {type: 'public-key', alg: -7}},
        paramMissingAlg: {pubKeyCredParams: [{type: 'public-key'}]},
        excludeMissingId: {excludeCredentials: [{type: 'public-key'}]},
        symbolName: {rp: {name: Symbol('x')}},
      };
      const out = {};
      for (const [name, override] of Object.entries(cases)) {
        try {
          await navigator.credentials.create({publicKey: u.creationOptions(override)});
          out[name] = 'resolved';
        } catch (error) {
          out[name] = u.describeError(error);
        }
      }
      try {
        await navigator.credentials.create({publicKey: u.creationOptions(), signal: {aborted: false}});
        out.badSignal = 'resolved';
      } catch (error) {
        out.badSignal = u.describeError(error);
      }
      try {
        await navigator.credentials.get({publicKey: {}});
        out.getMissingChallenge = 'resolved';
      } catch (error) {
        out.getMissingChallenge = u.describeError(error);
      }
      out.relayed = window.__harness.received.length;
      return out;
    });
    const relayed = results.relayed;
    delete results.relayed;
    expect(Object.keys(results).length).toBe(19);
    for (const [name, result] of Object.entries(results)) {
      expect(result.name, name).toBe('TypeError');
      expect(result.isTypeError, name).toBe(true);
    }
    expect(relayed).toBe(0);
  });

  test('rejects an object that only looks like a BufferSource', async ({page}) => {
    await openTestPage(page);
    const result = await page.evaluate(async () => {
      const fake = {byteLength: 16, buffer: new ArrayBuffer(16)}; // looks like a view, is not one
      try {
        await navigator.credentials.create({publicKey: window.testUtils.creationOptions({challenge: fake})});
        return 'resolved';
      } catch (error) {
        return error.name;
      }
    });
    expect(result).toBe('TypeError');
  });
});

test.describe('navigator.credentials.get', () => {
  test('returns an assertion that matches the native one and verifies with the registered key', async ({page}) => {
    await openTestPage(page);
    const report = await page.evaluate(async () => {
      const u = window.testUtils;
      const registration = await navigator.credentials.create({publicKey: u.creationOptions({
        authenticatorSelection: {residentKey: 'required', userVerification: 'preferred'}})});
      const challenge = crypto.getRandomValues(new Uint8Array(32));
      const assertion = await navigator.credentials.get({publicKey: {
        challenge, rpId: 'rp.twinkey.test', allowCredentials: [{type: 'public-key', id: registration.rawId}],
        userVerification: 'required',
      }});
      const native = window.__harness.lastNative;
      const r = assertion.response;
      const nr = native.response;
      const clientData = JSON.parse(new TextDecoder().decode(r.clientDataJSON));
      const signed = new Uint8Array([...new Uint8Array(r.authenticatorData),
        ...await u.sha256(r.clientDataJSON)]);
      const request = window.__harness.received.find((m) => m.op === 'webauthn.get');
      return {
        instanceofPKC: assertion instanceof PublicKeyCredential,
        instanceofResponse: r instanceof AuthenticatorAssertionResponse,
        id: [assertion.id, native.id, registration.id],
        rawId: [u.hex(assertion.rawId), u.hex(native.rawId)],
        type: assertion.type,
        attachment: [assertion.authenticatorAttachment, native.authenticatorAttachment],
        clientDataJSON: [u.hex(r.clientDataJSON), u.hex(nr.clientDataJSON)],
        authenticatorData: [u.hex(r.authenticatorData), u.hex(nr.authenticatorData)],
        signature: [u.hex(r.signature), u.hex(nr.signature)],
        userHandle: [u.hex(r.userHandle), u.hex(nr.userHandle)],
        userHandleIsBuffer: r.userHandle instanceof ArrayBuffer,
        buffers: [r.clientDataJSON, r.authenticatorData, r.signature].every((b) => b instanceof ArrayBuffer),
        verified: await u.verifyES256(registration.response.getPublicKey(), r.signature, signed),
        clientData,
        challenge: u.b64u(challenge),
        extensions: [assertion.getClientExtensionResults(), native.getClientExtensionResults()],
        toJSON: [assertion.toJSON(), native.toJSON()],
        noAttestationMembers: !('getPublicKey' in r) && !('attestationObject' in r),
        requestOptions: request.payload.options,
        payloadKeys: Object.keys(request.payload),
        registeredId: registration.id,
      };
    });
    expect(report.instanceofPKC).toBe(true);
    expect(report.instanceofResponse).toBe(true);
    expect(report.id[0]).toBe(report.id[1]);
    expect(report.id[0]).toBe(report.id[2]);
    expect(report.rawId[0]).toBe(report.rawId[1]);
    expect(report.type).toBe('public-key');
    expect(report.attachment[0]).toBe(report.attachment[1]);
    expect(report.clientDataJSON[0]).toBe(report.clientDataJSON[1]);
    expect(report.authenticatorData[0]).toBe(report.authenticatorData[1]);
    expect(report.signature[0]).toBe(report.signature[1]);
    expect(report.userHandle[0]).toBe(report.userHandle[1]);
    expect(report.userHandleIsBuffer).toBe(true);
    expect(report.buffers).toBe(true);
    expect(report.verified).toBe(true);
    expect(report.clientData).toMatchObject({type: 'webauthn.get', challenge: report.challenge,
      origin: 'https://rp.twinkey.test'});
    expect(report.extensions[0]).toEqual(report.extensions[1]);
    expect(report.toJSON[0]).toEqual(report.toJSON[1]);
    expect(report.noAttestationMembers).toBe(true);
    expect(report.requestOptions).toEqual({
      challenge: report.challenge, rpId: 'rp.twinkey.test',
      allowCredentials: [{id: report.registeredId, type: 'public-key'}],
      userVerification: 'required', hints: [],
    });
    expect(report.payloadKeys).toEqual(['options']);
  });

  test('extension outputs with binary members (prf, largeBlob) come back as ArrayBuffers', async ({page}) => {
    await openTestPage(page);
    const result = await page.evaluate(async () => {
      const u = window.testUtils;
      const created = await navigator.credentials.create({publicKey: u.creationOptions({
        authenticatorSelection: {residentKey: 'required', userVerification: 'required'},
        extensions: {prf: {}, largeBlob: {support: 'required'}},
      })});
      const createdNative = window.__harness.lastNative.getClientExtensionResults();
      const allow = [{type: 'public-key', id: created.rawId}];
      const blob = crypto.getRandomValues(new Uint8Array(24));
      await navigator.credentials.get({publicKey: {challenge: new Uint8Array(16), allowCredentials: allow,
        extensions: {largeBlob: {write: blob}}}});
      const assertion = await navigator.credentials.get({publicKey: {challenge: new Uint8Array(16),
        allowCredentials: allow, extensions: {prf: {eval: {first: new Uint8Array(32).fill(1),
          second: new Uint8Array(32).fill(2)}}, largeBlob: {read: true}}}});
      const ours = assertion.getClientExtensionResults();
      const native = window.__harness.lastNative.getClientExtensionResults();
      const describe = (r) => ({
        prfFirst: r.prf.results.first instanceof ArrayBuffer && u.hex(r.prf.results.first),
        prfSecond: r.prf.results.second instanceof ArrayBuffer && u.hex(r.prf.results.second),
        blob: r.largeBlob.blob instanceof ArrayBuffer && u.hex(r.largeBlob.blob),
      });
      return {created: [created.getClientExtensionResults(), createdNative], ours: describe(ours),
        native: describe(native), written: u.hex(blob), fresh: ours !== assertion.getClientExtensionResults()};
    });
    expect(result.created[0]).toEqual(result.created[1]);
    expect(result.created[0]).toMatchObject({prf: {enabled: true}, largeBlob: {supported: true}});
    expect(result.ours).toEqual(result.native);
    expect(result.ours.prfFirst).toMatch(/^[0-9a-f]{64}$/);
    expect(result.ours.prfSecond).toMatch(/^[0-9a-f]{64}$/);
    expect(result.ours.blob).toBe(result.written);
    expect(result.fresh).toBe(true);
  });

  test('a missing userHandle is null', async ({page}) => {
    await openTestPage(page);
    const result = await page.evaluate(async () => {
      const u = window.testUtils;
      await navigator.credentials.create({publicKey: u.creationOptions()});
      const answer = window.__harness.received.length; // keep the harness honest: one request so far
      const json = window.__harness.lastNative.toJSON();
      window.__harness.behaviour['webauthn.get'] = {ok: true, result: {
        id: json.id, rawId: json.rawId, type: 'public-key', clientExtensionResults: {},
        response: {clientDataJSON: json.response.clientDataJSON, authenticatorData: json.response.authenticatorData,
          signature: 'MEUCIQ'}}};
      const assertion = await navigator.credentials.get({publicKey: {challenge: new Uint8Array(16)}});
      return {answer, userHandle: assertion.response.userHandle, attachment: assertion.authenticatorAttachment,
        toJSONHasNoUserHandle: !('userHandle' in assertion.toJSON().response)};
    });
    expect(result.answer).toBe(1);
    expect(result.userHandle).toBeNull();
    expect(result.attachment).toBeNull();
    expect(result.toJSONHasNoUserHandle).toBe(true);
  });
});

test.describe('results and errors', () => {
  test('relayed errors become DOMExceptions with the same name, TypeError stays TypeError', async ({page}) => {
    await openTestPage(page);
    const names = ['NotAllowedError', 'SecurityError', 'InvalidStateError', 'NotSupportedError', 'ConstraintError',
      'AbortError', 'NotReadableError', 'TypeError'];
    const results = await page.evaluate(async (names) => {
      const out = [];
      for (const name of names) {
        window.__harness.behaviour['webauthn.get'] = {ok: false, error: {name, u2fCode: 1, message: `m-${name}`}};
        try {
          await navigator.credentials.get({publicKey: {challenge: new Uint8Array(16)}});
          out.push('resolved');
        } catch (error) {
          out.push(window.testUtils.describeError(error));
        }
      }
      return out;
    }, names);
    results.forEach((result, i) => {
      expect(result.name).toBe(names[i]);
      expect(result.message).toBe(`m-${names[i]}`);
      expect(result.isDOMException).toBe(names[i] !== 'TypeError');
      expect(result.isTypeError).toBe(names[i] === 'TypeError');
    });
  });

  test('a malformed answer rejects with NotReadableError', async ({page}) => {
    await openTestPage(page);
    const result = await page.evaluate(async () => {
      window.__harness.behaviour['webauthn.get'] = {ok: true, result: {id: 'AA', rawId: 'not base64url!',
        type: 'public-key', response: {}}};
      return navigator.credentials.get({publicKey: {challenge: new Uint8Array(16)}}).then(() => 'resolved',
        (error) => error.name);
    });
    expect(result).toBe('NotReadableError');
  });

  test('fallback hands the browser the converted options and the signal, never the page\'s objects', async ({page}) => {
    await openTestPage(page);
    const result = await page.evaluate(async () => {
      const u = window.testUtils;
      window.__harness.behaviour['webauthn.create'] = {ok: true, result: {fallback: true}};
      const controller = new AbortController();
      let reads = 0;
      const publicKey = u.creationOptions();
      const counted = {};
      for (const [k, v] of Object.entries(publicKey)) {
        Object.defineProperty(counted, k, {enumerable: true, get: () => { reads++; return v; }});
      }
      const options = {publicKey: counted, signal: controller.signal};
      const credential = await navigator.credentials.create(options);
      const call = window.__harness.nativeCalls.find((c) => c.method === 'create');
      return {
        relayed: window.__harness.received.map((m) => m.op),
        sameOptions: call.options === options,
        hasSignal: call.hasSignal,
        readsPerMember: reads / Object.keys(publicKey).length,
        native: Object.getOwnPropertyNames(credential).length === 0, // a real native object has no own props
        instance: credential instanceof PublicKeyCredential,
      };
    });
    expect(result.relayed).toEqual(['webauthn.create']);
    expect(result.sameOptions).toBe(false);
    expect(result.readsPerMember).toBe(1); // read once, by the conversion, whoever answers
    expect(result.hasSignal).toBe(true);
    expect(result.native).toBe(true);
    expect(result.instance).toBe(true);
  });

  test('non-publicKey requests and conditional mediation go straight to the browser', async ({page}) => {
    await openTestPage(page);
    const result = await page.evaluate(async () => {
      const controller = new AbortController();
      const calls = [
        navigator.credentials.get({password: true}),
        navigator.credentials.get({mediation: 'conditional', signal: controller.signal,
          publicKey: {challenge: new Uint8Array(16)}}),
        navigator.credentials.create({password: {id: 'ann', password: 'pw', origin: location.origin}}),
        navigator.credentials.get(),
      ].map((p) => p.then((v) => (v === null ? 'null' : typeof v), (e) => e.name));
      await new Promise((r) => setTimeout(r, 200));
      controller.abort();
      return {
        outcomes: await Promise.all(calls),
        native: window.__harness.nativeCalls.map((c) => [c.method, c.keys.join(',')]),
        relayed: window.__harness.received.length,
      };
    });
    expect(result.native).toEqual([['get', 'password'], ['get', 'mediation,publicKey,signal'], ['create', 'password'],
      ['get', '']]);
    expect(result.relayed).toBe(0);
    expect(result.outcomes[1]).not.toBe('object'); // the aborted conditional request did not resolve
  });

  test('an already aborted signal rejects with its reason and sends nothing', async ({page}) => {
    await openTestPage(page);
    const result = await page.evaluate(async () => {
      const reason = new Error('caller changed its mind');
      const outcome = await navigator.credentials.create({publicKey: window.testUtils.creationOptions(),
        signal: AbortSignal.abort(reason)}).then(() => 'resolved', (error) => error === reason);
      const plain = await navigator.credentials.get({publicKey: {challenge: new Uint8Array(16)},
        signal: AbortSignal.abort()}).then(() => 'resolved', (error) => [error.name, error instanceof DOMException]);
      return {outcome, plain, relayed: window.__harness.received.length};
    });
    expect(result.outcome).toBe(true);
    expect(result.plain).toEqual(['AbortError', true]);
    expect(result.relayed).toBe(0);
  });

  test('aborting during the ceremony rejects with the reason and tells the relay', async ({page}) => {
    await openTestPage(page);
    const result = await page.evaluate(async () => {
      window.__harness.behaviour['webauthn.get'] = 'hang';
      const controller = new AbortController();
      const pending = navigator.credentials.get({publicKey: {challenge: new Uint8Array(16)},
        signal: controller.signal});
      await new Promise((r) => setTimeout(r, 50));
      const reason = {why: 'user left'};
      controller.abort(reason);
      const outcome = await pending.then(() => 'resolved', (error) => error === reason);
      await new Promise((r) => setTimeout(r, 20)); // let the abort message arrive
      return {outcome, messages: window.__harness.received.map((m) => [m.op, m.id])};
    });
    expect(result.outcome).toBe(true);
    expect(result.messages.map((m) => m[0])).toEqual(['webauthn.get', 'abort']);
    expect(result.messages[1][1]).toBe(result.messages[0][1]);
  });

  test('a second request while one is pending goes to the service worker too: Go answers OperationError there', async ({page}) => {
    await openTestPage(page);
    const result = await page.evaluate(async () => {
      window.__harness.behaviour['webauthn.get'] = 'hang';
      const controller = new AbortController();
      const first = navigator.credentials.get({publicKey: {challenge: new Uint8Array(16)}, signal: controller.signal})
        .then(() => 'resolved', (e) => e.name);
      window.__harness.behaviour['webauthn.create'] = {ok: false, error: {name: 'OperationError', message: 'A request is already pending.'}};
      const second = await navigator.credentials.create({publicKey: window.testUtils.creationOptions()})
        .then(() => 'resolved', (e) => [e.name, e.message]);
      controller.abort();
      const firstOutcome = await first;
      await new Promise((r) => setTimeout(r, 20));
      return {second, firstOutcome, ops: window.__harness.received.map((m) => m.op)};
    });
    expect(result.second).toEqual(['OperationError', 'A request is already pending.']);
    expect(result.firstOutcome).toBe('AbortError');
    expect(result.ops).toEqual(['webauthn.get', 'webauthn.create', 'abort']);
  });

  test('no timer in the page: a request waits for the service worker\'s answer, timeouts included', async ({page}) => {
    await openTestPage(page, {clock: true});
    await page.evaluate(() => {
      window.__harness.behaviour['webauthn.get'] = 'hang';
      window.controller = new AbortController();
      window.outcome = 'pending';
      navigator.credentials.get({publicKey: {challenge: new Uint8Array(16), timeout: 15000}, signal: window.controller.signal})
        .then(() => { window.outcome = 'resolved'; }, (error) => { window.outcome = error.name; });
    });
    await page.waitForFunction(() => window.__harness.received.length === 1);
    await page.clock.runFor(700000);
    expect(await page.evaluate(() => [window.outcome, window.__harness.received.map((m) => m.op)]))
      .toEqual(['pending', ['webauthn.get']]);
    await page.evaluate(() => window.controller.abort());
    await page.waitForFunction(() => window.outcome !== 'pending');
    expect(await page.evaluate(() => window.outcome)).toBe('AbortError');
  });

  test('forged or unknown answers are ignored and our answers stay hidden from page listeners', async ({page}) => {
    await openTestPage(page);
    const result = await page.evaluate(async () => {
      const seenByPage = [];
      window.addEventListener('message', (e) => seenByPage.push(e.data && e.data.dir));
      window.postMessage({__twinkey: 1, dir: 'to-page', id: 'r-unknown', ok: true, result: {}}, '*');
      await new Promise((r) => setTimeout(r, 20));
      window.__harness.behaviour['webauthn.get'] = {ok: false, error: {name: 'NotAllowedError', message: 'no'}};
      const outcome = await navigator.credentials.get({publicKey: {challenge: new Uint8Array(16)}})
        .then(() => 'resolved', (e) => e.name);
      await new Promise((r) => setTimeout(r, 20));
      return {outcome, seenByPage};
    });
    expect(result.outcome).toBe('NotAllowedError');
    // The page sees its own forged message, our request for the full part and our request, never our answer.
    expect(result.seenByPage).toEqual(['to-page', 'to-relay', 'to-relay']);
  });
});

test.describe('shape of the overrides', () => {
  test('create/get look like native operations', async ({page}) => {
    await openTestPage(page);
    const result = await page.evaluate(() => {
      const out = {};
      for (const name of ['create', 'get']) {
        const d = Object.getOwnPropertyDescriptor(CredentialsContainer.prototype, name);
        let constructible = true;
        try {
          new d.value({}); // eslint-disable-line new-cap
        } catch {
          constructible = false;
        }
        out[name] = {name: d.value.name, length: d.value.length, writable: d.writable, enumerable: d.enumerable,
          configurable: d.configurable, constructible, hasPrototype: 'prototype' in d.value,
          sameAsNavigator: navigator.credentials[name] === d.value};
      }
      out.native = window.__harness.nativeShape;
      return out;
    });
    for (const name of ['create', 'get']) {
      expect(result.native[name]).toEqual({name, length: 0});
      expect(result[name]).toEqual({name, length: 0, writable: true, enumerable: true, configurable: true,
        constructible: false, hasPrototype: false, sameAsNavigator: true});
    }
  });

  test('survives a page that patches common built-ins after load', async ({page}) => {
    await openTestPage(page);
    const result = await page.evaluate(async () => {
      const u = window.testUtils;
      const options = u.creationOptions();
      const saved = {stringify: JSON.stringify, parse: JSON.parse, postMessage: window.postMessage,
        defineProperty: Object.defineProperty, create: Object.create, set: Uint8Array.prototype.set,
        isView: ArrayBuffer.isView};
      JSON.stringify = () => { throw new Error('patched'); };
      JSON.parse = () => { throw new Error('patched'); };
      window.postMessage = () => { throw new Error('patched'); };
      Object.defineProperty = () => { throw new Error('patched'); };
      Object.create = () => { throw new Error('patched'); };
      Uint8Array.prototype.set = () => { throw new Error('patched'); };
      ArrayBuffer.isView = () => false;
      let result;
      try {
        const credential = await navigator.credentials.create({publicKey: options});
        result = credential instanceof PublicKeyCredential && credential.response.getPublicKey().byteLength;
      } catch (error) {
        result = String(error);
      }
      Object.assign(JSON, {stringify: saved.stringify, parse: saved.parse});
      window.postMessage = saved.postMessage;
      Object.defineProperty = saved.defineProperty;
      Object.create = saved.create;
      Uint8Array.prototype.set = saved.set;
      ArrayBuffer.isView = saved.isView;
      return result;
    });
    expect(result).toBe(91);
  });

  test('static methods stay native (Chrome 129+ ships parse*FromJSON; there is no polyfill)', async ({page}) => {
    await openTestPage(page);
    const page2 = await page.context().newPage();
    const statics = ['parseCreationOptionsFromJSON', 'parseRequestOptionsFromJSON',
      'isConditionalMediationAvailable', 'isUserVerifyingPlatformAuthenticatorAvailable', 'getClientCapabilities'];
    await page2.addInitScript((names) => {
      window.__nativeStatics = names.map((name) => PublicKeyCredential[name]);
    }, statics);
    await page2.addInitScript({path: MAIN_WORLD});
    await page2.goto('https://rp.twinkey.test/');
    const kept = await page2.evaluate((names) => names.map((name, i) =>
      typeof PublicKeyCredential[name] === 'function' && PublicKeyCredential[name] === window.__nativeStatics[i]),
    statics);
    expect(kept).toEqual(statics.map(() => true));
  });
});

test.describe('@simplewebauthn/browser 14', () => {
  test('startRegistration and startAuthentication accept our credentials', async ({page}) => {
    await openTestPage(page);
    await page.addScriptTag({content: fs.readFileSync(SIMPLEWEBAUTHN_UMD, 'utf8')});
    const result = await page.evaluate(async () => {
      const {startRegistration, startAuthentication, browserSupportsWebAuthn} = window.SimpleWebAuthnBrowser;
      const registration = await startRegistration({optionsJSON: {
        rp: {name: 'RP', id: 'rp.twinkey.test'}, user: {id: 'dXNlci0x', name: 'ann', displayName: 'Ann'},
        challenge: 'Y2hhbGxlbmdlLTEtMTIzNDU2Nzg5MA', pubKeyCredParams: [{type: 'public-key', alg: -7}],
        authenticatorSelection: {residentKey: 'discouraged', userVerification: 'discouraged'}, attestation: 'none',
      }});
      const registrationNative = window.__harness.lastNative.toJSON();
      const authentication = await startAuthentication({optionsJSON: {
        challenge: 'Y2hhbGxlbmdlLTItMTIzNDU2Nzg5MA', rpId: 'rp.twinkey.test',
        allowCredentials: [{type: 'public-key', id: registration.id}], userVerification: 'discouraged',
      }});
      const authenticationNative = window.__harness.lastNative.toJSON();
      return {supported: browserSupportsWebAuthn(), registration, registrationNative, authentication,
        authenticationNative, ops: window.__harness.received.map((m) => m.op)};
    });
    expect(result.supported).toBe(true);
    expect(result.ops).toEqual(['webauthn.create', 'webauthn.get']);
    expect(result.registration).toEqual(result.registrationNative);
    expect(result.authentication).toEqual(result.authenticationNative);
    expect(result.registration.response.publicKeyAlgorithm).toBe(-7);
    expect(typeof result.registration.response.publicKey).toBe('string');
  });
});
