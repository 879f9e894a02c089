// Accessibility audit with axe-core (an engine we did not write): labels, names, roles, contrast, in light and
// dark. axeSource is null when axe-core is not installed (it is pinned in e2e/package.json).
'use strict';
const fs = require('node:fs');
const { expect } = require('@playwright/test');

let axeSource = null;
try {
  axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
} catch {
  axeSource = null;
}

// expectNoViolations runs axe on page as it is now, once per color scheme; screen names it in failures. axe is
// evaluated through the DevTools protocol, so extension pages' CSP does not stop it.
async function expectNoViolations(page, screen) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] }))
      .violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
    expect(violations, `${screen} (${scheme})`).toEqual([]);
  }
}

module.exports = { axeSource, expectNoViolations };
