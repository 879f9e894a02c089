// The Go bridge inside the service worker: the extension loads with its fixed ID, the kept Go instance answers
// every request in turn (sequential and concurrent), and is much faster than a fresh instance per request.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { test, expect, stopServiceWorkers } = require('../../fixtures');

const repoRoot = path.resolve(__dirname, '..', '..', '..');

// answerOf calls the bridge and answers {ok, result} or {ok: false, message}.
async function answerOf(sw, route, body = {}) {
  return sw.evaluate(async ([route, body]) => {
    try {
      return { ok: true, result: await self.twinkey.bridge(route, body) };
    } catch (e) {
      return { ok: false, message: e.message };
    }
  }, [route, body]);
}

test('the extension loads with the ID of extension/EXTENSION_ID', async ({ twinkey }) => {
  const want = fs.readFileSync(path.join(repoRoot, 'extension', 'EXTENSION_ID'), 'utf8').trim();
  expect(twinkey.extensionId).toBe(want);
});

test('the kept Go instance answers sequential and concurrent requests', async ({ twinkey }) => {
  const { sw } = twinkey;
  const first = await answerOf(sw, '/v1/vault/status');
  expect(first).toEqual({ ok: true, result: { exists: false, unlocked: false } });

  const results = await sw.evaluate(async () => {
    const call = () => self.twinkey.bridge('/v1/vault/status', {}).then((r) => JSON.stringify(r), (e) => e.message);
    const sequential = [];
    for (let i = 0; i < 30; i++) sequential.push(await call());
    const concurrent = await Promise.all(Array.from({ length: 30 }, call));
    return [...sequential, ...concurrent];
  });
  const expected = JSON.stringify(first.result);
  expect(results).toEqual(Array(60).fill(expected));
});

test('kept instance vs fresh instance per request (benchmark)', async ({ twinkey }) => {
  const { sw } = twinkey;
  const bench = await sw.evaluate(() => self.twinkey.benchmark('/v1/vault/status', 30));
  const fmt = (s) => `median ${s.median.toFixed(2)} ms (min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)}, n ${s.n})`;
  test.info().annotations.push({ type: 'kept instance', description: fmt(bench.kept) });
  test.info().annotations.push({ type: 'fresh instance', description: fmt(bench.fresh) });
  console.log(`bridge round trip ${bench.route}: kept ${fmt(bench.kept)}; fresh ${fmt(bench.fresh)}`);
  expect(bench.kept.median).toBeLessThan(bench.fresh.median);
});

test('vault state survives a service-worker restart', async ({ twinkey }) => {
  const { context, sw } = twinkey;
  await sw.evaluate(() => self.twinkey.bridge('/v1/vault/create', { passphrase: 'correct horse battery' }));
  const stored = await sw.evaluate(() => chrome.storage.local.get('vault'));
  // chromeStorage (wasm/sw/storage.go) keeps bytes as standard base64 strings.
  expect(stored.vault).toMatch(/^[A-Za-z0-9+/]+=*$/);
  const page = await context.newPage();
  await stopServiceWorkers(context, { page });
  await page.goto(`chrome-extension://${twinkey.extensionId}/consent/consent.html`);
  const after = await page.evaluate(() => chrome.runtime.sendMessage({ kind: 'bridge', route: '/v1/vault/status', body: {} }));
  expect(after).toMatchObject({ ok: true, result: { exists: true } });
  // The Go side caches storage reads; a change made by anything else reaches it through chrome.storage.onChanged.
  await page.evaluate(() => chrome.storage.local.remove('vault'));
  await expect.poll(() => page.evaluate(() => chrome.runtime.sendMessage({ kind: 'bridge', route: '/v1/vault/status', body: {} })))
    .toMatchObject({ ok: true, result: { exists: false } });
});
