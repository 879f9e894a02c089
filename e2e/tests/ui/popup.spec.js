// popup.html against the TEST-ONLY fake backend: state, role, lock now, recent activity and clearing it.
"use strict";

const { test, expect } = require("./support/ui-fixture");

const PASS = "kettle orbit walnut grape";
const NOW = Date.UTC(2026, 10, 23, 9, 30);
const ACTIVITY = [
  { site: "login.example.com", op: "webauthn.get", time: NOW - 60_000, result: "ok" },
  { site: "legacy.example.org", op: "u2f.register", time: NOW - 3_600_000, result: "denied" },
  { site: "<img src=x onerror=window.__xss=1>", op: "webauthn.create", time: NOW - 86_400_000, result: "ok" },
];

test("unlocked backup: activity, clear, lock now", async ({ page, openPage, state, shoot }) => {
  await page.setViewportSize({ width: 400, height: 600 });
  await openPage("popup", { vault: { exists: true, unlocked: true, role: "backup", passphrase: PASS }, activity: ACTIVITY });
  await expect(page.locator("#state")).toHaveText("Unlocked");
  await expect(page.locator("#role")).toHaveText("Backup twin");

  const rows = page.locator("#activity li");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0).locator(".site")).toHaveText("login.example.com");
  await expect(rows.nth(0).locator(".op")).toHaveText("Sign in (WebAuthn)");
  await expect(rows.nth(0).locator(".result")).toHaveText("Done");
  await expect(rows.nth(1).locator(".op")).toHaveText("Register (U2F)");
  await expect(rows.nth(1).locator(".result")).toHaveText("Denied");
  await expect(rows.nth(1).locator("time")).toHaveAttribute("datetime", new Date(NOW - 3_600_000).toISOString());
  // Text from the service worker is shown as text, never parsed as HTML.
  await expect(rows.nth(2).locator(".site")).toHaveText(ACTIVITY[2].site);
  expect(await page.evaluate(() => window.__xss)).toBeUndefined();
  await expect(page.locator("#settings-link")).toHaveAttribute("href", "settings.html");
  await shoot("popup");

  await page.click("#clear-activity");
  await expect(page.locator("#activity-empty")).toHaveText("No activity yet.");
  await expect(page.locator("#activity-status")).toHaveText("Activity cleared.");
  expect((await state()).activity).toEqual([]);

  await page.click("#lock");
  await expect(page.locator("#state")).toHaveText("Locked");
  await expect(page.locator("#unlock-link")).toBeFocused();
  expect((await state()).vault.unlocked).toBe(false);
  await shoot("popup-locked");
});

test("lock now with the keyboard alone", async ({ page, openPage, state }) => {
  await openPage("popup", { vault: { exists: true, unlocked: true, role: "primary", passphrase: PASS } });
  await expect(page.locator("#role")).toHaveText("Primary");
  await expect(page.locator("#activity-empty")).toBeVisible();
  await page.keyboard.press("Tab");
  await expect(page.locator("#lock")).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.locator("#state")).toHaveText("Locked");
  expect((await state()).calls.filter((c) => c.route === "/v1/vault/lock")).toHaveLength(1);
});

test("no vault: the popup offers set-up", async ({ page, openPage, shoot }) => {
  await page.setViewportSize({ width: 400, height: 300 });
  await openPage("popup");
  await expect(page.locator("#setup-link")).toHaveAttribute("href", "onboarding.html");
  await shoot("popup-no-vault");
});
