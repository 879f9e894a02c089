// Accessibility audit of every page and step with axe-core (an engine we did not write), light and dark:
// labels, names, roles, contrast. Skips cleanly when axe-core is not installed (add axe-core to e2e/package.json).
"use strict";

const { test, expect } = require("./support/ui-fixture");
const { axeSource, expectNoViolations } = require("../../a11y");

const PASS = "kettle orbit walnut grape";

test.describe("axe-core", () => {
  test.skip(!axeSource, "axe-core is not installed");

  test("onboarding: start, create with an error, words, confirm, restore", async ({ page, openPage }) => {
    await openPage("onboarding");
    await expectNoViolations(page, "start");
    await page.click("#start-create");
    await page.fill("#passphrase", "short");
    await page.click("#create");
    await expect(page.locator("#create-error")).toBeVisible();
    await expectNoViolations(page, "create");
    await page.fill("#passphrase", PASS);
    await page.fill("#passphrase2", PASS);
    await page.click("#create");
    await expect(page.locator("#words")).toBeVisible();
    await expectNoViolations(page, "words");
    await page.click("#words-done");
    await page.click("#confirm");
    await expect(page.locator("#confirm-error")).toBeVisible();
    await expectNoViolations(page, "confirm");
  });

  test("restore with an error", async ({ page, openPage }) => {
    await openPage("onboarding");
    await page.click("#start-restore");
    await page.click("#restore");
    await expect(page.locator("#restore-error")).toBeVisible();
    await expectNoViolations(page, "restore");
  });

  test("unlock, popup, settings", async ({ page, openPage }) => {
    const vault = { exists: true, unlocked: true, role: "primary", passphrase: PASS };
    await openPage("settings", { vault, settings: { autoLockMinutes: 5, sites: { "a.example": { hardwareOnly: true, off: false, counterPolicy: "zero" } } } });
    await expectNoViolations(page, "settings");
    await page.goto(page.url().replace("settings.html", "popup.html"));
    await expect(page.locator("#state")).toBeVisible();
    await expectNoViolations(page, "popup");
    await page.click("#lock");
    await page.click("#unlock-link");
    await page.fill("#passphrase", "wrong wrong wrong");
    await page.press("#passphrase", "Enter");
    await expect(page.locator("#unlock-error")).toBeVisible();
    await expectNoViolations(page, "unlock");
  });
});
