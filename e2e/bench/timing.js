#!/usr/bin/env node
// Ceremony timing: Twinkey (extension) against Chromium's own virtual authenticator, in one run, on the same RP
// page (/webauthn.html, a login ceremony; --ceremony register for registrations).
//
//   (a) page call -> consent prompt visible, warm service worker
//   (a') the same with the extension's service worker stopped first (CDP ServiceWorker.stopAllWorkers): a cold start
//   (b) approve click -> the page's promise resolved
//   (c) Chromium's virtual authenticator (automatic presence): page call -> promise resolved
//
// "page call" is the instant the page calls navigator.credentials (window.rpTiming.calledAt, set by the page);
// "resolved" is when its promise settles (rpTiming.resolvedAt). Both are epoch milliseconds from
// performance.timeOrigin + performance.now(), the same clock as this script's, so times taken in the page and
// here compare. Consent visibility is when Playwright sees button#approve visible; the click is a trusted mouse
// click at the button's centre once the prompt accepts input (its 500 ms input protection), timed from just before
// it is sent.
//
// Usage: node bench/timing.js [--n 50] [--ceremony login|register] [--json out.json] [--selftest]
// (a) and (b) need dist/extension; without it only (c) runs and the table says so. --selftest measures the
// fixtures' test double (e2e/testdata/fake-extension: a consent popup in front of the virtual authenticator)
// instead, to check this script; its numbers say nothing about Twinkey.
'use strict';

const { performance } = require('node:perf_hooks');
const fs = require('node:fs');
const path = require('node:path');
const {
  startRelyingParty, launchProfile, extensionBuilt, addVirtualAuthenticator, waitForConsent, createVault,
  stopServiceWorkers, NO_EXTENSION_REASON,
} = require('../fixtures');

function parseArgs(argv) {
  const opts = { n: 50, ceremony: 'login', json: null, selftest: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--n') opts.n = Number(argv[++i]);
    else if (a === '--ceremony') opts.ceremony = argv[++i];
    else if (a === '--json') opts.json = argv[++i];
    else if (a === '--selftest') opts.selftest = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(opts.n >= 1)) throw new Error('--n must be a positive number');
  if (!['login', 'register'].includes(opts.ceremony)) throw new Error('--ceremony is login or register');
  return opts;
}

const now = () => performance.timeOrigin + performance.now();

// quantile of sorted values by linear interpolation (q in [0, 1]).
function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function summarize(values) {
  const sorted = [...values].sort((x, y) => x - y);
  return { n: sorted.length, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
}

// ceremony starts one ceremony on the page without waiting for it; it returns a promise of the result record.
function startCeremony(page, kind, user) {
  return page.evaluate(([k, u]) => window.rpWebAuthn[k]({ username: u }).then((r) => ({ r, t: window.rpTiming })), [kind, user]);
}

function checkOK(res, what) {
  if (res.r.status !== 'ok') throw new Error(`${what}: ${JSON.stringify(res.r)}`);
  return res;
}

// measureVirtual runs n ceremonies against Chromium's virtual authenticator: (c).
async function measureVirtual(rp, opts) {
  const profile = await launchProfile({});
  try {
    const page = await profile.newPage();
    await addVirtualAuthenticator(page, { protocol: 'ctap2' });
    await page.goto(rp.url('/webauthn.html'));
    const user = `bench-virtual-${Date.now()}`;
    if (opts.ceremony === 'login') checkOK(await startCeremony(page, 'register', user), 'virtual register');
    const samples = [];
    for (let i = 0; i < opts.n; i++) {
      const u = opts.ceremony === 'register' ? `${user}-${i}` : user;
      const { t } = checkOK(await startCeremony(page, opts.ceremony, u), `virtual ${opts.ceremony} #${i}`);
      samples.push(t.resolvedAt - t.calledAt);
    }
    return samples;
  } finally {
    await profile.close();
  }
}

// extensionCeremony runs one ceremony through Twinkey's consent prompt and returns {consentVisible, approve}
// durations (a) and (b).
async function extensionCeremony(profile, page, kind, user, passphrase) {
  const pending = startCeremony(page, kind, user);
  pending.catch(() => {}); // awaited below; a failure before that must not be an unhandled rejection
  const consent = await waitForConsent(profile.context, { timeout: 15_000 });
  const visibleAt = now();
  const pass = consent.locator('input#passphrase');
  if (await pass.isVisible()) await pass.fill(passphrase);
  // Approve takes input once the prompt has been visible and focused for its input delay (prompt.inputDelayMs):
  // (b) starts at a click the prompt accepts.
  await consent.locator('button#approve:enabled').waitFor({ timeout: 10_000 });
  const box = await consent.locator('button#approve').boundingBox();
  const closed = consent.waitForEvent('close', { timeout: 10_000 }).catch(() => {});
  const clickAt = now();
  await consent.mouse.click(box.x + box.width / 2, box.y + box.height / 2).catch((e) => { if (!consent.isClosed()) throw e; });
  const { t } = checkOK(await pending, `twinkey ${kind}`);
  await closed; // the next ceremony must not find this prompt
  return { consentVisible: visibleAt - t.calledAt, approve: t.resolvedAt - clickAt };
}

// measureExtension runs n warm and n cold ceremonies through Twinkey: (a), (a') and (b).
async function measureExtension(rp, extensionDir, opts) {
  const profile = await launchProfile({ extensionDir });
  const passphrase = 'correct horse battery staple';
  try {
    await createVault(profile.sw, passphrase);
    const page = await profile.newPage();
    if (opts.selftest) await addVirtualAuthenticator(page, { protocol: 'ctap2' });
    await page.goto(rp.url('/webauthn.html'));
    const user = `bench-twinkey-${Date.now()}`;
    if (opts.ceremony === 'login') await extensionCeremony(profile, page, 'register', user, passphrase);
    const warm = [];
    const cold = [];
    const approve = [];
    for (let i = 0; i < opts.n; i++) {
      const u = (tag) => (opts.ceremony === 'register' ? `${user}-${tag}${i}` : user);
      const w = await extensionCeremony(profile, page, opts.ceremony, u('w'), passphrase);
      warm.push(w.consentVisible);
      approve.push(w.approve);
      await stopServiceWorkers(profile.context, { page });
      const c = await extensionCeremony(profile, page, opts.ceremony, u('c'), passphrase);
      cold.push(c.consentVisible);
    }
    return { warm, cold, approve };
  } finally {
    await profile.close();
  }
}

function fmt(x) { return Number.isFinite(x) ? x.toFixed(1) : '–'; }

function table(opts, results, note) {
  const rows = [];
  const add = (label, samples) => {
    if (!samples) { rows.push(`| ${label} | – | – | – |`); return null; }
    const s = summarize(samples);
    rows.push(`| ${label} | ${s.n} | ${fmt(s.median)} | ${fmt(s.p90)} |`);
    return s;
  };
  const lines = [
    `Ceremony: ${opts.ceremony} on /webauthn.html, N=${opts.n}, Chromium ${results.chromium}, ${new Date().toISOString()}`,
    '',
    '| measure | n | median ms | p90 ms |',
    '|---|---|---|---|',
  ];
  const a = add('(a) page call → consent visible, warm service worker', results.warm);
  const ac = add('(a\') page call → consent visible, service worker stopped first', results.cold);
  const b = add('(b) approve click → page promise resolved', results.approve);
  const c = add('(c) Chromium virtual authenticator: page call → resolved', results.virtual);
  lines.push(...rows);
  if (a && b && c) {
    lines.push('', '| ratio (medians) | value |', '|---|---|');
    lines.push(`| ((a) + (b)) / (c): Twinkey machine time, warm, per native ceremony | ${fmt((a.median + b.median) / c.median)} |`);
    lines.push(`| ((a') + (b)) / (c): the same from a stopped service worker | ${fmt((ac.median + b.median) / c.median)} |`);
    lines.push(`| (a') / (a): cold start cost to the prompt | ${fmt(ac.median / a.median)} |`);
  }
  if (note) lines.push('', note);
  return lines.join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const rp = await startRelyingParty();
  const results = { chromium: '' };
  let note = null;
  try {
    results.virtual = await measureVirtual(rp, opts);
    const extensionDir = opts.selftest ? path.join(__dirname, '..', 'testdata', 'fake-extension') : extensionBuilt();
    if (opts.selftest) note = 'SELF-TEST: (a), (a\') and (b) measured the fixtures\' fake extension, not Twinkey.';
    if (extensionDir) {
      Object.assign(results, await measureExtension(rp, extensionDir, opts));
    } else {
      note = `(a), (a') and (b) skipped: ${NO_EXTENSION_REASON}.`;
    }
    const probe = await launchProfile({});
    results.chromium = probe.context.browser() ? probe.context.browser().version() : '?';
    await probe.close();
  } finally {
    await rp.stop();
  }
  console.log(table(opts, results, note));
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ opts, results }, null, 2));
}

main().catch((e) => { console.error(e); process.exit(1); });
