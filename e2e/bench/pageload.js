#!/usr/bin/env node
// Page-load cost of Twinkey's content scripts: the same local pages loaded in a profile with the extension and in
// one without, alternating page by page in one run, so both see the same machine load.
//
//   frames30: a page with 30 same-origin iframes (each a small document), load event of the top page
//   blank:    an empty page, load event
//
// The time is the top page's loadEventEnd (PerformanceNavigationTiming, relative to its own navigation start),
// read in the page. Pages come from a local HTTP server on the loopback address (http://localhost, where the
// content scripts run): request interception would add its own round trips to every frame. Each sample opens a
// fresh tab.
//
// Usage: node bench/pageload.js [--n 40] [--json out.json]
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const { launchProfile, extensionBuilt, NO_EXTENSION_REASON } = require('../fixtures');

function parseArgs(argv) {
  const opts = { n: 40, json: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--n') opts.n = Number(argv[++i]);
    else if (argv[i] === '--json') opts.json = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!(opts.n >= 1)) throw new Error('--n must be a positive number');
  return opts;
}

let ORIGIN = '';
const FRAME = '<!doctype html><title>f</title><p>frame</p>';
const FRAMES30 = '<!doctype html><title>30 frames</title>' +
  Array.from({ length: 30 }, (_, i) => `<iframe src="/frame?${i}" width="40" height="20"></iframe>`).join('');
const BLANK = '<!doctype html><title>blank</title>';

function startServer() {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://localhost');
    const body = u.pathname === '/frame' ? FRAME : u.pathname === '/frames30' ? FRAMES30 : BLANK;
    res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    ORIGIN = `http://localhost:${server.address().port}`;
    resolve(server);
  }));
}

async function loadTime(context, pathname) {
  const page = await context.newPage();
  await page.goto(`${ORIGIN}${pathname}`, { waitUntil: 'load' });
  const ms = await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd);
  await page.close();
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const extensionDir = extensionBuilt();
  if (!extensionDir) throw new Error(NO_EXTENSION_REASON);
  const server = await startServer();
  const withExt = await launchProfile({ extensionDir });
  const without = await launchProfile({});
  try {
    // Let both browsers settle: the extension's service worker compiles its Go wasm at start-up, and the
    // onboarding tab it opens on install is closed, so the samples measure page loads and nothing else.
    for (const p of withExt.context.pages()) if (p.url().startsWith('chrome-extension://')) await p.close();
    await new Promise((r) => setTimeout(r, 5_000));
    const results = {};
    for (const pathname of ['/frames30', '/blank']) {
      const a = [];
      const b = [];
      for (let i = 0; i < 5; i++) { await loadTime(withExt.context, pathname); await loadTime(without.context, pathname); } // warm-up
      for (let i = 0; i < opts.n; i++) {
        // Alternate which profile goes first, so neither always follows the other.
        if (i % 2) { a.push(await loadTime(withExt.context, pathname)); b.push(await loadTime(without.context, pathname)); }
        else { b.push(await loadTime(without.context, pathname)); a.push(await loadTime(withExt.context, pathname)); }
      }
      const mA = median(a);
      const mB = median(b);
      results[pathname.slice(1)] = { withExtension: mA, without: mB, ratio: mA / mB, n: opts.n };
    }
    console.log('page load (median loadEventEnd, ms; same run, alternating):');
    for (const [name, r] of Object.entries(results)) {
      console.log(`  ${name.padEnd(9)} with ${r.withExtension.toFixed(1)}  without ${r.without.toFixed(1)}  ` +
        `ratio ${r.ratio.toFixed(3)} (${((r.ratio - 1) * 100).toFixed(1)}%)  n ${r.n}`);
    }
    if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(results, null, 2));
  } finally {
    await withExt.close();
    await without.close();
    server.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
