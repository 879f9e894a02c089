// Driving the real extension pages (Go + dom/v2) with clicks and typing, against the real service worker.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { expect } = require('../../fixtures');

const shotsDir = path.resolve(__dirname, '../../artifacts/screenshots/real');

// shot saves a screenshot of page with the test artifacts.
async function shot(page, name) {
  fs.mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: true });
}

function pageURL(profile, name) { return `chrome-extension://${profile.extensionId}/ui/${name}.html`; }

async function openPage(profile, name) {
  const page = await profile.context.newPage();
  await page.goto(pageURL(profile, name));
  return page;
}

// onboardCreate creates a vault through onboarding: passphrase twice, the 24 words, a wrong confirmation, then the
// right one. Returns the words.
async function onboardCreate(profile, passphrase, { shots = false } = {}) {
  const page = await openPage(profile, 'onboarding');
  await page.click('#start-create');
  await page.fill('#passphrase', passphrase);
  await page.fill('#passphrase2', passphrase);
  if (shots) await shot(page, 'onboarding-create');
  await page.click('#create');
  await page.locator('#shown-word-24').waitFor();
  const words = [];
  for (let i = 1; i <= 24; i++) words.push((await page.locator(`#shown-word-${i}`).textContent()).trim());
  if (shots) await shot(page, 'onboarding-words');
  await page.click('#words-done');
  const ask = async () => {
    const ids = await page.locator('[id^="confirm-word-"]').evaluateAll((els) => els.map((e) => e.id));
    expect(ids).toHaveLength(3);
    return ids.map((id) => [id, Number(id.slice('confirm-word-'.length))]);
  };
  for (const [id, n] of await ask()) await page.fill(`#${id}`, words[n - 1] === 'zoo' ? 'abandon' : 'zoo');
  await page.click('#confirm');
  await expect(page.locator('#confirm-error')).toBeVisible();
  if (shots) await shot(page, 'onboarding-confirm-wrong');
  for (const [id, n] of await ask()) await page.fill(`#${id}`, words[n - 1]);
  await page.click('#confirm');
  await expect(page.locator('#ready')).toBeVisible();
  if (shots) await shot(page, 'onboarding-ready');
  await page.close();
  return words;
}

// onboardRestore restores words as role ('primary' or 'backup'), after a refused attempt with two words swapped
// (bad checksum) when badFirst is set.
async function onboardRestore(profile, words, role, passphrase, { badFirst = false, shots = false } = {}) {
  const page = await openPage(profile, 'onboarding');
  await page.click('#start-restore');
  const fillWords = async (ws) => { for (let i = 0; i < 24; i++) await page.fill(`#word-${i + 1}`, ws[i]); };
  await page.click(`#restore-role-${role}`);
  await page.fill('#restore-passphrase', passphrase);
  await page.fill('#restore-passphrase2', passphrase);
  if (badFirst) {
    const swapped = [...words];
    [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
    if (swapped[0] === words[0]) [swapped[2], swapped[3]] = [swapped[3], swapped[2]];
    await fillWords(swapped);
    await page.click('#restore');
    await expect(page.locator('#restore-error')).toBeVisible();
    if (shots) await shot(page, 'onboarding-restore-bad-checksum');
  }
  await fillWords(words);
  if (shots) await shot(page, 'onboarding-restore');
  await page.click('#restore');
  await expect(page.locator('#ready')).toBeVisible();
  await expect(page.locator('#ready-role')).toContainText(role === 'backup' ? /backup/i : /primary/i);
  await page.close();
}

// setSitePolicy adds a site rule through the settings page.
async function setSitePolicy(profile, site, policy) {
  const page = await openPage(profile, 'settings');
  await page.fill('#site-new', site);
  await page.selectOption('#site-new-answer', 'twinkey');
  await page.selectOption('#site-new-policy', policy);
  await page.click('#site-add');
  await expect(page.locator(`#sites tr[data-site="${site}"]`)).toBeVisible();
  await page.close();
}

module.exports = { shot, openPage, pageURL, onboardCreate, onboardRestore, setSitePolicy };
