// Issue 4: the twin journey through real pages, the real service worker and the Go RP. Profile A creates a vault
// through onboarding and registers (WebAuthn and legacy U2F); profile B restores A's phrase as the backup twin and
// signs in without registering; the RP (go-webauthn's and tstranex/u2f's counter checks) accepts B and from then
// on refuses A. With the "always 0" counter policy for a site, both keep working there.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { test, expect } = require('../../fixtures');
const { result, ceremony, newUser } = require('../extension/helpers');
const { onboardCreate, onboardRestore, setSitePolicy } = require('./ui');

// secretEncodings decodes a BIP39 phrase into its 32-byte entropy (the device secret) with the English list kept
// in core/vault, and returns the encodings a careless implementation might store it in.
function secretEncodings(words) {
  const list = fs.readFileSync(path.resolve(__dirname, '../../../core/vault/bip39_english.txt'), 'utf8').trim().split('\n');
  const bits = words.map((w) => list.indexOf(w).toString(2).padStart(11, '0')).join('');
  const secret = Buffer.from(bits.slice(0, 256).match(/.{8}/g).map((b) => parseInt(b, 2)));
  return [secret.toString('hex'), secret.toString('base64'), secret.toString('base64url').replace(/=+$/, '')];
}

async function dumpStorage(profile) {
  return profile.sw.evaluate(async () => JSON.stringify({
    local: await chrome.storage.local.get(null), session: await chrome.storage.session.get(null),
  }));
}

test('the twin journey: the backup signs in without registering and the RP then refuses the primary', async ({ launchTwinkey, rp }) => {
  test.setTimeout(240_000);
  const a = await launchTwinkey();
  const b = await launchTwinkey();
  const words = await onboardCreate(a, 'primary passphrase', { shots: true });
  const wa = newUser('twin-wa');
  const u2fUser = newUser('twin-u2f');

  // A registers and signs in a few times, with WebAuthn and with legacy U2F.
  const pa = await a.newPage();
  await pa.goto(rp.url(`/webauthn.html?username=${wa}`));
  expect(await ceremony(pa, a.context, '#register')).toMatchObject({ status: 'ok' });
  for (let i = 0; i < 2; i++) expect(await ceremony(pa, a.context, '#login')).toMatchObject({ status: 'ok' });
  await pa.goto(rp.url(`/u2f.html?username=${u2fUser}`, { origin: 'https' }));
  expect(await ceremony(pa, a.context, '#register')).toMatchObject({ status: 'ok' });
  for (let i = 0; i < 2; i++) expect(await ceremony(pa, a.context, '#sign')).toMatchObject({ status: 'ok' });
  const [waBefore] = await rp.credentials(wa);

  // B restores the phrase as the backup twin (after a refused bad checksum) and signs in: no registration.
  await onboardRestore(b, words, 'backup', 'backup passphrase', { badFirst: true, shots: true });
  const pb = await b.newPage();
  await pb.goto(rp.url(`/webauthn.html?username=${wa}`));
  expect(await ceremony(pb, b.context, '#login')).toMatchObject({ status: 'ok' });
  const [waAfterB] = await rp.credentials(wa);
  expect(waAfterB.signCount).toBeGreaterThanOrEqual(2_000_000_000);
  expect(waAfterB.signCount).toBeGreaterThan(waBefore.signCount);
  await pb.goto(rp.url(`/u2f.html?username=${u2fUser}`, { origin: 'https' }));
  expect(await ceremony(pb, b.context, '#sign')).toMatchObject({ status: 'ok' });

  // From now on the RP refuses A: go-webauthn sees a counter that went down (possible clone), tstranex/u2f says
  // the counter is too low.
  await pa.goto(rp.url(`/webauthn.html?username=${wa}`));
  const refused = await ceremony(pa, a.context, '#login');
  expect(refused).toMatchObject({ status: 'error', errorName: 'RPError', code: 'possible-clone' });
  await pa.goto(rp.url(`/u2f.html?username=${u2fUser}`, { origin: 'https' }));
  const u2fRefused = await ceremony(pa, a.context, '#sign');
  expect(u2fRefused.status).toBe('error');
  expect(u2fRefused.errorName).toBe('RPError');
  // ... and keeps accepting B.
  await pb.goto(rp.url(`/webauthn.html?username=${wa}`));
  expect(await ceremony(pb, b.context, '#login')).toMatchObject({ status: 'ok' });

  // With "always 0" for the site (set in both profiles' settings), both twins keep working there: the counter
  // never moves, so the RP has nothing to compare, and the backup revokes nothing.
  await setSitePolicy(a, 'localhost', 'zero');
  await setSitePolicy(b, 'localhost', 'zero');
  const zero = newUser('twin-zero');
  await pa.goto(rp.url(`/webauthn.html?username=${zero}`, { origin: 1 }));
  expect(await ceremony(pa, a.context, '#register')).toMatchObject({ status: 'ok' });
  await pb.goto(rp.url(`/webauthn.html?username=${zero}`, { origin: 1 }));
  for (const [page, profile] of [[pa, a], [pb, b], [pa, a], [pb, b]]) {
    await page.goto(rp.url(`/webauthn.html?username=${zero}`, { origin: 1 }));
    const r = await ceremony(page, profile.context, '#login');
    expect(r, 'with the zero policy both twins keep working').toMatchObject({ status: 'ok' });
  }
  const [zc] = await rp.credentials(zero);
  expect(zc.signCount).toBe(0);
  expect(zc.logins).toBe(4);

  // After the whole journey, neither profile's extension storage holds the phrase or the secret in clear.
  for (const p of [a, b]) {
    const dump = await dumpStorage(p);
    for (let i = 0; i + 3 <= 24; i++) expect(dump).not.toContain(words.slice(i, i + 3).join(' '));
    for (const enc of secretEncodings(words)) expect(dump).not.toContain(enc);
  }
});
