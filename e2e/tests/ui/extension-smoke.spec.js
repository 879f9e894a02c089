// The built pages inside a real MV3 extension (chrome-extension:// origin, the extension CSP with
// 'wasm-unsafe-eval', real chrome.runtime.sendMessage), answered by a TEST-ONLY fake service worker generated
// from support/fake-backend.js. Proves the loader, wasm start-up and messaging work where the pages will run.
"use strict";

const { test, expect } = require("./support/ui-fixture");
const { chromium } = require("@playwright/test");
const { serviceWorkerSource } = require("./support/fake-backend");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const PASS = "kettle orbit walnut grape";

test("create, confirm, popup, lock and unlock inside an extension", async ({ uiDir, launchOptions }) => {
  test.setTimeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "twinkey-ui-ext-"));
  fs.cpSync(uiDir, path.join(dir, "ui"), { recursive: true });
  fs.writeFileSync(path.join(dir, "sw.js"), serviceWorkerSource({}));
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({
    manifest_version: 3, name: "Twinkey UI test (fake service worker)", version: "0.0.1",
    background: { service_worker: "sw.js" },
    action: { default_popup: "ui/popup.html" },
    options_page: "ui/settings.html",
    content_security_policy: { extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'" },
  }));
  const context = await chromium.launchPersistentContext(path.join(dir, "profile"), {
    executablePath: launchOptions.executablePath,
    headless: true,
    args: [`--disable-extensions-except=${dir}`, `--load-extension=${dir}`, "--no-sandbox", "--disable-gpu",
      "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    let [sw] = context.serviceWorkers();
    if (!sw) sw = await context.waitForEvent("serviceworker");
    const base = `chrome-extension://${new URL(sw.url()).host}/ui/`;
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });

    const started = Date.now();
    await page.goto(base + "onboarding.html");
    await expect(page.locator("#start-create")).toBeVisible({ timeout: 30_000 });
    console.log(`onboarding.html rendered ${Date.now() - started} ms after navigation`);
    await page.click("#start-create");
    await page.fill("#passphrase", PASS);
    await page.fill("#passphrase2", PASS);
    await page.click("#create");
    await expect(page.locator("#words li")).toHaveCount(24);
    const words = await page.locator("#words .w").allTextContents();
    await page.click("#words-done");
    for (const input of await page.locator("#confirm-form input").all()) {
      const n = Number((await input.getAttribute("id")).replace("confirm-word-", ""));
      await input.fill(words[n - 1]);
    }
    await page.click("#confirm");
    await expect(page.locator("#ready-role")).toContainText("Primary");

    for (let i = 0; i < 3; i++) { // the first load compiles ui.wasm; later ones may use Chromium's code cache
      const t0 = Date.now();
      await page.goto(base + "popup.html");
      await expect(page.locator("#state")).toHaveText("Unlocked");
      console.log(`popup.html load ${i + 1}: rendered ${Date.now() - t0} ms after navigation`);
    }
    await page.click("#lock");
    await expect(page.locator("#state")).toHaveText("Locked");
    await page.click("#unlock-link");
    await page.fill("#passphrase", "not the passphrase");
    await page.press("#passphrase", "Enter");
    await expect(page.locator("#unlock-error")).toContainText("Wrong passphrase");
    await page.fill("#passphrase", PASS);
    await page.press("#passphrase", "Enter");
    await expect(page).toHaveURL(base + "popup.html");
    await expect(page.locator("#state")).toHaveText("Unlocked");

    const calls = await sw.evaluate(() => self.__fakeState.calls.map((c) => c.route || c.kind));
    expect(calls).toContain("/v1/vault/create");
    expect(calls.filter((c) => c === "/v1/vault/unlock")).toHaveLength(2);
    expect(problems).toEqual([]);
  } finally {
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
