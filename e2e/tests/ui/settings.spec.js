// settings.html against the TEST-ONLY fake backend: auto-lock, site rules (add, edit, remove), the recovery
// phrase again, change passphrase, erase.
"use strict";

const { test, expect } = require("./support/ui-fixture");
const { defaultState } = require("./support/fake-backend");

const PASS = "kettle orbit walnut grape";
const NEW_PASS = "lantern fossil mosaic harbor";
const UNLOCKED = {
  vault: { exists: true, unlocked: true, role: "primary", passphrase: PASS },
  settings: {
    autoLockMinutes: 15,
    futureField: "kept",
    sites: { "old.example": { hardwareOnly: false, off: true, counterPolicy: "twin", note: "kept too" } },
  },
};
const byId = (page, id) => page.locator(`[id="${id}"]`);

test("auto-lock and site rules: add, edit, remove", async ({ page, openPage, state, shoot }) => {
  await openPage("settings", UNLOCKED);
  await expect(page.locator("#vault-state")).toHaveText("Unlocked");
  await expect(page.locator("#vault-role")).toHaveText("Primary");
  await expect(page.locator("#native-host-status")).toBeVisible();
  await expect(page.locator("#autolock-minutes")).toHaveValue("15");
  await expect(byId(page, "site-answer-old.example")).toHaveValue("off");
  await shoot("settings");

  // Auto-lock: out of range is refused, a valid value is saved; unknown fields survive the save.
  await page.fill("#autolock-minutes", "0");
  await page.press("#autolock-minutes", "Enter");
  await expect(page.locator("#autolock-error")).toContainText("from 1 to 1440");
  await expect(page.locator("#autolock-minutes")).toHaveAttribute("aria-invalid", "true");
  await page.fill("#autolock-minutes", "30");
  await page.click("#autolock-save");
  await expect(page.locator("#autolock-status")).toHaveText("Saved: Twinkey locks after 30 minutes without use.");
  let st = await state();
  expect(st.settings.autoLockMinutes).toBe(30);
  expect(st.settings.futureField).toBe("kept");

  // Add: a bad address is refused; a pasted URL becomes its host name.
  await page.fill("#site-new", "not a site");
  await page.press("#site-new", "Enter");
  await expect(page.locator("#sites-error")).toContainText("such as example.com");
  await page.fill("#site-new", "https://Login.Example.com/signin?next=1");
  await page.selectOption("#site-new-answer", "hardware");
  await page.click("#site-add");
  await expect(page.locator('tr[data-site="login.example.com"]')).toBeVisible();
  await expect(page.locator("#sites-status")).toHaveText("Added login.example.com.");
  await expect(page.locator("#site-new")).toBeFocused();
  st = await state();
  expect(st.settings.sites["login.example.com"]).toEqual({ hardwareOnly: true, off: false, counterPolicy: "twin" });

  // Edit: counter policy, then who answers.
  await byId(page, "site-policy-login.example.com").selectOption("zero");
  await expect(page.locator("#sites-status")).toHaveText("Saved login.example.com.");
  await expect.poll(async () => (await state()).settings.sites["login.example.com"].counterPolicy).toBe("zero");
  await byId(page, "site-answer-login.example.com").selectOption("twinkey");
  await expect.poll(async () => (await state()).settings.sites["login.example.com"])
    .toEqual({ hardwareOnly: false, off: false, counterPolicy: "zero" });
  await byId(page, "site-answer-old.example").selectOption("hardware");
  await expect.poll(async () => (await state()).settings.sites["old.example"])
    .toEqual({ hardwareOnly: true, off: false, counterPolicy: "twin", note: "kept too" });
  await shoot("settings-sites");

  // Remove.
  await byId(page, "site-remove-old.example").click();
  await expect(page.locator('tr[data-site="old.example"]')).toHaveCount(0);
  await expect(page.locator("#sites-status")).toHaveText("Removed old.example.");
  st = await state();
  expect(Object.keys(st.settings.sites)).toEqual(["login.example.com"]);
  expect(st.calls.filter((c) => c.kind === "settings.set")).toHaveLength(6);
});

test("recovery phrase again, after the passphrase", async ({ page, openPage, shoot }) => {
  await openPage("settings", UNLOCKED);
  await page.fill("#phrase-passphrase", "wrong wrong wrong");
  await page.click("#phrase-show");
  await expect(page.locator("#phrase-error")).toHaveText("Wrong passphrase. Check it and try again.");
  await expect(page.locator("#phrase-words")).toHaveCount(0);

  await page.fill("#phrase-passphrase", PASS);
  await page.press("#phrase-passphrase", "Enter");
  const expected = defaultState().newPhrase.split(" ");
  await expect(page.locator("#phrase-words li")).toHaveCount(24);
  for (let i = 1; i <= 24; i++) await expect(page.locator(`#shown-word-${i}`)).toHaveText(expected[i - 1]);
  await expect(page.locator("#phrase-hide")).toBeFocused();
  await shoot("settings-phrase");
  await page.keyboard.press("Enter");
  await expect(page.locator("#phrase-words")).toHaveCount(0);
  await expect(page.locator("#phrase-passphrase")).toBeFocused();
});

test("change passphrase: wrong current one, mismatch, success", async ({ page, openPage, state }) => {
  await openPage("settings", UNLOCKED);
  await page.fill("#pass-old", "not it at all");
  await page.fill("#pass-new", NEW_PASS);
  await page.fill("#pass-new2", NEW_PASS);
  await page.click("#pass-change");
  await expect(page.locator("#pass-error")).toHaveText("Wrong passphrase. Check it and try again.");
  await expect(page.locator("#pass-old")).toBeFocused();

  await page.fill("#pass-old", PASS);
  await page.fill("#pass-new2", NEW_PASS + "!");
  await page.click("#pass-change");
  await expect(page.locator("#pass-error")).toContainText("different");

  await page.fill("#pass-new2", NEW_PASS);
  await page.click("#pass-change");
  await expect(page.locator("#pass-status")).toHaveText("Passphrase changed. Use the new one from now on.");
  await expect(page.locator("#pass-old")).toHaveValue("");
  const st = await state();
  expect(st.vault.passphrase).toBe(NEW_PASS);
  expect(st.calls.filter((c) => c.route === "/v1/vault/passphrase").map((c) => c.body))
    .toEqual([{ old: "not it at all", new: NEW_PASS }, { old: PASS, new: NEW_PASS }]);
});

test("erase needs the typed word", async ({ page, openPage, state, shoot }) => {
  await openPage("settings", UNLOCKED);
  await page.fill("#erase-confirm", "eras");
  await page.click("#erase");
  await expect(page.locator("#erase-error")).toContainText("Type the word");
  expect((await state()).calls.filter((c) => c.route === "/v1/vault/erase")).toHaveLength(0);

  await page.fill("#erase-confirm", "erase");
  await page.press("#erase-confirm", "Enter");
  await expect(page.locator("#erased")).toBeVisible();
  await expect(page.locator("#setup-link")).toHaveAttribute("href", "onboarding.html");
  const st = await state();
  expect(st.vault.exists).toBe(false);
  expect(st.calls.filter((c) => c.route === "/v1/vault/erase").map((c) => c.body)).toEqual([{ confirm: "erase" }]);
  await shoot("settings-erased");
});

test("locked: lock state and the unlock link", async ({ page, openPage, shoot }) => {
  await openPage("settings", { ...UNLOCKED, vault: { ...UNLOCKED.vault, unlocked: false } });
  await expect(page.locator("#vault-state")).toHaveText("Locked");
  await expect(page.locator("#settings-unlock-link")).toHaveAttribute("href", "unlock.html?return=settings");
  await shoot("settings-locked");
});

test("site rules with the keyboard alone", async ({ page, openPage, state }) => {
  await openPage("settings", UNLOCKED);
  await page.focus("#site-new");
  await page.keyboard.type("kb.example");
  await page.keyboard.press("Tab");
  await expect(page.locator("#site-new-answer")).toBeFocused();
  await page.keyboard.press("ArrowDown"); // USB key only -> Not Twinkey
  await page.keyboard.press("Tab");
  await expect(page.locator("#site-new-policy")).toBeFocused();
  await page.keyboard.press("ArrowDown"); // Twin -> Always 0
  await page.keyboard.press("Tab");
  await expect(page.locator("#site-add")).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.locator("#sites-status")).toHaveText("Added kb.example.");
  await expect(page.locator("#site-new")).toBeFocused();
  expect((await state()).settings.sites["kb.example"]).toEqual({ hardwareOnly: false, off: true, counterPolicy: "zero" });

  // Shift+Tab from the add form reaches the last row's Remove button (rows are sorted: kb.example, old.example).
  await page.keyboard.press("Shift+Tab");
  await expect(byId(page, "site-remove-old.example")).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.locator("#sites-status")).toHaveText("Removed old.example.");
  expect(Object.keys((await state()).settings.sites)).toEqual(["kb.example"]);
});
