// Shared steps of the extension scenarios: a profile with an unlocked vault, the RP's result record, and the
// consent window driven by real clicks.
'use strict';
const { expect, waitForConsent, createVault, press } = require('../../fixtures');

const PASSPHRASE = 'correct horse battery';

let users = 0;
function newUser(tag) { return `${tag}-${Date.now().toString(36)}-${users++}`; }

// ready returns a profile whose vault exists and is unlocked.
async function ready(twinkey) {
  await createVault(twinkey.sw, PASSPHRASE);
  return twinkey;
}

// result waits for the RP page's #result record to settle and returns it.
async function result(page) {
  const el = page.locator('#result');
  await expect(el).toHaveAttribute('data-status', /^(ok|error)$/, { timeout: 20_000 });
  return JSON.parse(await el.textContent());
}

// consent waits for the consent window, checks it names the site, and clicks button (approve or deny).
async function consent(context, { click = '#approve', site } = {}) {
  const prompt = await waitForConsent(context);
  if (site) await expect(prompt.locator('#site')).toContainText(site);
  await press(prompt, click);
  return prompt;
}

// ceremony clicks selector on page, answers the consent prompt, and returns the RP's result record.
async function ceremony(page, context, selector, opts = {}) {
  await page.bringToFront(); // a person clicks in the tab in front (create() from a background tab is refused)
  await page.click(selector);
  await consent(context, opts);
  return result(page);
}

module.exports = { PASSPHRASE, newUser, ready, result, consent, ceremony };
