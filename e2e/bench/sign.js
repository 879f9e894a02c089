#!/usr/bin/env node
// P-256 signing inside the extension's service worker: Twinkey's Go core (wasm, the kept bridge instance) against
// WebCrypto in the same service worker, in one run.
//
//   (w) WebCrypto: crypto.subtle.sign(ECDSA P-256 SHA-256) over 69 bytes (authenticatorData || clientDataHash)
//   (g) a full assertion through the bridge: /v1/webauthn/get (JSON in and out, vault opened with the session key,
//       handle MAC, key derivation, counter reserved in chrome.storage, RFC 6979 signature)
//   (s) the bridge floor: /v1/vault/status through the same instance (JSON, one storage read)
// (g) - (s) approximates what signing adds on top of a bridge call. Medians over --n calls, after 5 warm-up calls.
//   (k) the Go signature alone: core/keys.Sign (RFC 6979, crypto/ecdsa) in the kept instance, n signatures in one
//       synchronous call (self.twinkey.benchmarkSign), mean per signature; against (w') WebCrypto's mean over n
//       sequential calls, timed the same way, alternating the two three times.
//
// Usage: node bench/sign.js [--n 200]    (needs dist/extension; `cd e2e && npm ci` first)
'use strict';
const { launchProfile, extensionBuilt, createVault, bridge } = require('../fixtures');

async function main() {
  const n = Number((process.argv.find((a, i) => process.argv[i - 1] === '--n')) || 200);
  const extensionDir = extensionBuilt();
  if (!extensionDir) throw new Error('dist/extension is missing: run ./build.sh first');
  const profile = await launchProfile({ extensionDir });
  try {
    await createVault(profile.sw, 'benchmark passphrase');
    const origin = 'https://bench.example';
    const create = {
      origin, crossOrigin: false, approval: { userPresent: true, userVerified: false },
      options: { rp: { name: 'bench' }, user: { id: 'AQ', name: 'a', displayName: 'a' },
        challenge: 'AAAAAAAAAAAAAAAAAAAAAA', pubKeyCredParams: [{ type: 'public-key', alg: -7 }] },
    };
    const cred = await bridge(profile.sw, '/v1/webauthn/create', create);
    const get = { origin, crossOrigin: false, approval: { userPresent: true, userVerified: false },
      options: { challenge: 'AAAAAAAAAAAAAAAAAAAAAA', allowCredentials: [{ type: 'public-key', id: cred.id }] } };
    const r = await profile.sw.evaluate(async ([n, get]) => {
      const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
      const time = async (f) => { for (let i = 0; i < 5; i++) await f(); const out = [];
        for (let i = 0; i < n; i++) { const t = performance.now(); await f(); out.push(performance.now() - t); } return median(out); };
      const key = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
      const data = new Uint8Array(69);
      const w = await time(() => crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, data));
      const g = await time(() => self.twinkey.bridge('/v1/webauthn/get', get));
      const s = await time(() => self.twinkey.bridge('/v1/vault/status', {}));
      const means = { k: [], w: [] };
      for (let round = 0; round < 3; round++) {
        means.k.push(await self.twinkey.benchmarkSign(n));
        const t0 = performance.now();
        for (let i = 0; i < n; i++) await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, data);
        means.w.push((performance.now() - t0) / n);
      }
      return { w, g, s, k: median(means.k), wMean: median(means.w) };
    }, [n, get]);
    const f = (x) => x.toFixed(3);
    console.log(`| what | median (ms) | ratio to WebCrypto |`);
    console.log(`|---|---|---|`);
    console.log(`| WebCrypto ECDSA P-256 sign (reference) | ${f(r.w)} | 1.0 |`);
    console.log(`| Twinkey assertion, full bridge route | ${f(r.g)} | ${(r.g / r.w).toFixed(1)} |`);
    console.log(`| bridge floor (/v1/vault/status) | ${f(r.s)} | ${(r.s / r.w).toFixed(1)} |`);
    console.log(`| assertion minus floor | ${f(r.g - r.s)} | ${((r.g - r.s) / r.w).toFixed(1)} |`);
    console.log(`| Go signature alone (core/keys.Sign), mean | ${f(r.k)} | ${(r.k / r.wMean).toFixed(1)} (to WebCrypto's mean ${f(r.wMean)}) |`);
    console.log(`(n = ${n})`);
  } finally {
    await profile.close();
  }
}

main().catch((e) => { console.error('sign benchmark failed:', e.message); process.exit(1); });
