#!/usr/bin/env node
// P-256 signing inside the extension's service worker: Twinkey's Go core (wasm, the kept bridge instance) against
// WebCrypto in the same service worker, in one run.
//
//   (w) WebCrypto: crypto.subtle.sign(ECDSA P-256 SHA-256) over 69 bytes (authenticatorData || clientDataHash)
//   (g) a full assertion through the bridge: /v1/webauthn/get (JSON in and out, vault opened with the session key,
//       handle MAC, key derivation, counter reserved in chrome.storage, RFC 6979 signature)
//   (s) the bridge floor: /v1/vault/status through the same instance (JSON, one storage read)
// (g) - (s) approximates what signing adds on top of a bridge call. Each is timed in batches, after 5 warm-up
// calls: a batch is as many sequential calls as take at least MIN_BATCH_MS (found by doubling), so that a call
// faster than the timer's resolution (performance.now() is coarsened to 0.1 ms here) is still measured; the
// figure is the median over batches of the batch's time per call, with at least --n calls in all.
//   (k) the Go signature alone: core/keys.Sign (RFC 6979, crypto/ecdsa) in the kept instance, n signatures in one
//       synchronous call (self.twinkey.benchmarkSign), mean per signature; against (w') WebCrypto's mean over
//       sequential calls, repeated in runs of n until MIN_BATCH_MS has passed, alternating the two three times.
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
      const MIN_BATCH_MS = 20;
      const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
      const run = async (f, calls) => { const t = performance.now(); for (let i = 0; i < calls; i++) await f(); return performance.now() - t; };
      const time = async (f) => {
        for (let i = 0; i < 5; i++) await f();
        let batch = 1;
        while (batch < 1 << 16 && (await run(f, batch)) < MIN_BATCH_MS) batch *= 2;
        const out = [];
        for (let calls = 0; calls < n || out.length < 5; calls += batch) out.push((await run(f, batch)) / batch);
        return median(out);
      };
      const key = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
      const data = new Uint8Array(69);
      const w = await time(() => crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, data));
      const g = await time(() => self.twinkey.bridge('/v1/webauthn/get', get));
      const s = await time(() => self.twinkey.bridge('/v1/vault/status', {}));
      const means = { k: [], w: [] };
      for (let round = 0; round < 3; round++) {
        means.k.push(await self.twinkey.benchmarkSign(n));
        let calls = 0;
        const t0 = performance.now();
        do {
          for (let i = 0; i < n; i++) await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, data);
          calls += n;
        } while (performance.now() - t0 < MIN_BATCH_MS);
        means.w.push((performance.now() - t0) / calls);
      }
      return { w, g, s, k: median(means.k), wMean: median(means.w) };
    }, [n, get]);
    if (!(r.w > 0) || !(r.wMean > 0)) throw new Error(`WebCrypto reference not measured (${r.w} ms, mean ${r.wMean} ms)`);
    const f = (x) => x.toFixed(4);
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
