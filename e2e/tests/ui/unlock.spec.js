// unlock.html against the TEST-ONLY fake backend: a wrong passphrase says so, the right one unlocks, and
// ?return=popup goes back to the popup.
"use strict";

const { test, expect } = require("./support/ui-fixture");

const PASS = "kettle orbit walnut grape";
const LOCKED = { vault: { exists: true, unlocked: false, role: "primary", passphrase: PASS } };

test("wrong passphrase, then the right one", async ({ page, openPage, state, shoot }) => {
  await openPage("unlock", LOCKED);
  await expect(page.locator("#passphrase")).toBeFocused();
  await shoot("unlock");

  await page.keyboard.type("kettle orbit walnut grapes");
  await page.keyboard.press("Enter");
  await expect(page.locator("#unlock-error")).toHaveText("Wrong passphrase. Check it and try again.");
  await expect(page.locator("#passphrase")).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#passphrase")).toBeFocused();
  expect((await state()).vault.unlocked).toBe(false);
  await shoot("unlock-wrong");

  await page.keyboard.type(PASS); // the wrong text was selected: typing replaces it
  await page.keyboard.press("Enter");
  await expect(page.locator("#unlocked")).toHaveText("Twinkey is unlocked");
  await expect(page.locator("#unlocked-role")).toContainText("Primary");
  const st = await state();
  expect(st.vault.unlocked).toBe(true);
  const unlocks = st.calls.filter((c) => c.route === "/v1/vault/unlock").map((c) => c.body.passphrase);
  expect(unlocks).toEqual(["kettle orbit walnut grapes", PASS]);
  await shoot("unlock-done");
});

test("an empty passphrase is not sent", async ({ page, openPage, state }) => {
  await openPage("unlock", LOCKED);
  await page.click("#unlock");
  await expect(page.locator("#unlock-error")).toHaveText("Type your passphrase.");
  expect((await state()).calls.filter((c) => c.route === "/v1/vault/unlock")).toHaveLength(0);
});

test("from the popup: unlock, then back to the popup", async ({ page, openPage }) => {
  await openPage("popup", LOCKED);
  await expect(page.locator("#state")).toHaveText("Locked");
  await page.click("#unlock-link");
  await expect(page).toHaveURL(/unlock\.html\?return=popup$/);
  await expect(page.locator("#passphrase")).toBeFocused();
  await page.keyboard.type(PASS);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/popup\.html$/);
  await expect(page.locator("#state")).toHaveText("Unlocked");
});

test("no vault: unlock points to set-up", async ({ page, openPage }) => {
  await openPage("unlock");
  await expect(page.locator("#setup-link")).toHaveAttribute("href", "onboarding.html");
});

test("no service worker: every page says so instead of hanging", async ({ page, openPage }) => {
  for (const name of ["onboarding", "unlock", "popup", "settings"]) {
    await openPage(name, { unreachable: true });
    await expect(page.locator("#fatal")).toHaveText("Twinkey's background service did not answer. Reload the extension and try again.");
  }
});

test("outside the extension (no chrome.runtime): a clear message", async ({ page, uiBase }) => {
  await page.goto(uiBase + "unlock.html");
  await expect(page.locator("#fatal")).toHaveText("This page only works inside the Twinkey extension.");
});
