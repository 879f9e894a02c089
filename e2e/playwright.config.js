// Playwright configuration of Twinkey's end-to-end tests. Chromium is Debian's (/usr/bin/chromium); the
// profiles are launched by fixtures.js (persistent contexts, so extensions load), not by `projects`.
'use strict';
const { defineConfig } = require('@playwright/test');

module.exports = defineConfig({
  testDir: './tests',
  outputDir: './artifacts/test-results',
  workers: 1, // 2 cores shared with other jobs; every test starts its own browser
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['html', { outputFolder: './artifacts/report', open: 'never' }]],
  use: {
    // Debian's Chromium for every browser a spec launches (Playwright's own browser downloads fail here).
    launchOptions: { executablePath: process.env.CHROMIUM || '/usr/bin/chromium' },
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
