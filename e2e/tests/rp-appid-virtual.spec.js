// The U2F -> WebAuthn migration path of the test RP, proved with Chromium's own appid handling: a U2F
// registration (made here in Node as a U2F token would, verified by tstranex/u2f in the RP) signs in through
// /u2f-then-webauthn.html, navigator.credentials.get with extensions {appid}, answered by Chromium's virtual
// authenticator holding the same key under the AppID, verified by go-webauthn in the RP. The counter rule holds
// on that path too.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');
const { test, expect, addVirtualAuthenticator } = require('../fixtures');

const attestationDir = path.join(__dirname, '..', 'testdata', 'u2f-attestation');
const b64u = (buf) => Buffer.from(buf).toString('base64url');
const sha256 = (data) => crypto.createHash('sha256').update(data).digest();

// postAs POSTs JSON to the RP's https listener as if from https://NAME:PORT (Host header and SNI).
function postAs(rp, host, p, body) {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: rp.httpsPort, path: p, method: 'POST', servername: host, rejectUnauthorized: false,
      headers: { Host: `${host}:${rp.httpsPort}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
    }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

// u2fRegister enrols a fresh key for user through the RP's U2F API, as a U2F token and the U2F JavaScript API
// would (registration data: 0x05 || public key || key handle length || key handle || certificate || signature).
async function u2fRegister(rp, user) {
  const begin = await postAs(rp, 'rp.example.test', '/api/u2f/register/begin', { username: user });
  expect(begin.status).toBe(200);
  const { appId, registerRequests } = begin.body.options;
  const origin = `https://rp.example.test:${rp.httpsPort}`;
  const clientData = Buffer.from(JSON.stringify({ typ: 'navigator.id.finishEnrollment', challenge: registerRequests[0].challenge, origin }));

  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  const keyHandle = crypto.randomBytes(64);
  const attKey = crypto.createPrivateKey(fs.readFileSync(path.join(attestationDir, 'key.pem')));
  const attCert = new crypto.X509Certificate(fs.readFileSync(path.join(attestationDir, 'cert.pem'))).raw;
  const signed = Buffer.concat([Buffer.from([0]), sha256(appId), sha256(clientData), keyHandle, point]);
  const signature = crypto.sign('sha256', signed, attKey);
  const registrationData = Buffer.concat([Buffer.from([5]), point, Buffer.from([keyHandle.length]), keyHandle, attCert, signature]);

  const finish = await postAs(rp, 'rp.example.test', `/api/u2f/register/finish?ceremony=${begin.body.ceremony}`, {
    version: 'U2F_V2', registrationData: b64u(registrationData), clientData: b64u(clientData),
  });
  expect(finish.status, JSON.stringify(finish.body)).toBe(200);
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  return { appId, keyHandle, pkcs8 };
}

async function result(page) {
  const el = page.locator('#result');
  await expect(el).toHaveAttribute('data-status', /^(ok|error)$/);
  return JSON.parse(await el.textContent());
}

test('a U2F registration signs in through navigator.credentials.get with appid; counters are checked', async ({ rp, plain }) => {
  const user = `appid-${Date.now()}`;
  const { appId, keyHandle, pkcs8 } = await u2fRegister(rp, user);
  expect(appId).toBe(rp.https);

  const page = await plain.newPage();
  const va = await addVirtualAuthenticator(page, { protocol: 'u2f' });
  // The authenticator holds the key under the AppID: its rpIdHash is SHA-256(AppID), as with a U2F token.
  await va.cdp.send('WebAuthn.addCredential', {
    authenticatorId: va.authenticatorId,
    credential: { credentialId: keyHandle.toString('base64'), isResidentCredential: false, rpId: appId, privateKey: pkcs8.toString('base64'), signCount: 0 },
  });

  await page.goto(rp.url(`/u2f-then-webauthn.html?username=${user}`, { origin: 'https' }));
  await page.click('#login');
  const ok = await result(page);
  expect(ok, JSON.stringify(ok)).toMatchObject({ status: 'ok', detail: { client: { extensions: { appid: true }, requestedAppId: appId }, rp: { appidUsed: true } } });
  let [cred] = await rp.credentials(user);
  expect(cred).toMatchObject({ source: 'u2f', format: 'fido-u2f', appId, id: b64u(keyHandle), signCount: 1, logins: 1 });

  // The clone: the same key with its counter set back.
  await va.setSignCount(keyHandle.toString('base64'), 0);
  await page.click('#login');
  expect(await result(page)).toMatchObject({ status: 'error', errorName: 'RPError', code: 'possible-clone' });
  [cred] = await rp.credentials(user);
  expect(cred).toMatchObject({ signCount: 1, logins: 1, refusals: 1 });
});

test('u2f.html without an extension: Google\'s u2f-api.js finds no transport and the page says so', async ({ rp, plain }) => {
  const page = await plain.newPage();
  await page.goto(rp.url(`/u2f.html?username=nou2f&timeoutSeconds=1`, { origin: 'https' }));
  expect(await page.evaluate(() => typeof window.u2f.register)).toBe('function'); // the shim, not the browser
  await page.click('#register');
  const rec = await result(page);
  expect(rec).toMatchObject({ op: 'u2f-register', status: 'error', errorName: 'NO_RESPONSE' });

  // Without the shim (?shim=0) and without an extension there is no window.u2f at all (Chromium removed it).
  await page.goto(rp.url(`/u2f.html?username=nou2f&shim=0&api=1.0`, { origin: 'https' }));
  expect(await page.evaluate(() => typeof window.u2f)).toBe('undefined');
  await page.click('#sign');
  expect(await result(page)).toMatchObject({ op: 'u2f-sign', status: 'error', errorName: 'RPError', code: 'no-credentials' });
  await page.click('#register');
  expect(await result(page)).toMatchObject({ op: 'u2f-register', status: 'error', errorName: 'NO_U2F_API' });
});
