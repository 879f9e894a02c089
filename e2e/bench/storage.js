#!/usr/bin/env node
// Storage after many registrations. Deterministic keys keep nothing per site, so the only thing that grows with
// use is the activity log, which is capped (200 events). This script measures chrome.storage.local and
// chrome.storage.session byte for byte:
//   1. after one registration through the real path (page -> relay -> service worker -> consent click -> bridge);
//   2. after 10,000 registrations through the bridge (the same Go route, called from the service worker);
//   3. after 250 more registrations through the real path (past the activity cap).
// Every key except "activity" must be the same size after 1 and after 10,250 registrations; "activity" must stop
// growing at its cap.
//
// Usage: node bench/storage.js [--n 10000]    (needs dist/extension; `cd e2e && npm ci` first)
'use strict';
const { launchProfile, extensionBuilt, createVault, startRelyingParty, waitForConsent, press } = require('../fixtures');

async function sizes(sw) {
  return sw.evaluate(async () => {
    const out = {};
    for (const [area, store] of [['local', chrome.storage.local], ['session', chrome.storage.session]]) {
      const all = await store.get(null);
      for (const k of Object.keys(all)) out[`${area}:${k}`] = await store.getBytesInUse(k);
      out[`${area}:total`] = await store.getBytesInUse(null);
    }
    return out;
  });
}

async function main() {
  const n = Number((process.argv.find((a, i) => process.argv[i - 1] === '--n')) || 10000);
  const extensionDir = extensionBuilt();
  if (!extensionDir) throw new Error('dist/extension is missing: run ./build.sh first');
  const rp = await startRelyingParty();
  const profile = await launchProfile({ extensionDir });
  try {
    await createVault(profile.sw, 'storage passphrase');
    const page = await profile.newPage();
    await page.goto(rp.url('/webauthn.html'));
    const viaPage = async (count) => {
      for (let i = 0; i < count; i++) {
        const done = page.evaluate(() => navigator.credentials.create({ publicKey: {
          rp: { name: 'x' }, user: { id: crypto.getRandomValues(new Uint8Array(16)), name: 'u', displayName: 'u' },
          challenge: crypto.getRandomValues(new Uint8Array(16)), pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        } }).then(() => true));
        const prompt = await waitForConsent(profile.context);
        await press(prompt, '#approve');
        if (!prompt.isClosed()) await prompt.waitForEvent('close'); // the next round must not find this prompt
        if (!await done) throw new Error('registration failed');
      }
    };
    await viaPage(1);
    const one = await sizes(profile.sw);
    const body = { origin: rp.url(''), crossOrigin: false, approval: { userPresent: true },
      options: { rp: { name: 'x' }, user: { id: 'AQ', name: 'u', displayName: 'u' }, challenge: 'AAAAAAAAAAAAAAAAAAAAAA',
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }] } };
    body.origin = body.origin.replace(/\/$/, '');
    await profile.sw.evaluate(async ([n, body]) => {
      for (let i = 0; i < n; i++) await self.twinkey.bridge('/v1/webauthn/create', body);
    }, [n, body]);
    await viaPage(250);
    const many = await sizes(profile.sw);
    console.log(`| storage key | bytes after 1 registration | bytes after ${n + 251} registrations |`);
    console.log('|---|---|---|');
    for (const k of [...new Set([...Object.keys(one), ...Object.keys(many)])].sort()) {
      console.log(`| ${k} | ${one[k] ?? '-'} | ${many[k] ?? '-'} |`);
    }
    const activity = await profile.sw.evaluate(async () => (await chrome.storage.local.get('activity')).activity?.length);
    console.log(`activity entries kept: ${activity}`);
  } finally {
    await profile.close();
    rp.stop();
  }
}

main().catch((e) => { console.error('storage benchmark failed:', e.message); process.exit(1); });
