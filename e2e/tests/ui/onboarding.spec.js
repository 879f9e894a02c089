// onboarding.html against the TEST-ONLY fake backend (support/fake-backend.js): create with the confirm-words
// failure and success, restore with an unknown word, a bad checksum and a bridge refusal, as primary and backup.
"use strict";

const { test, expect } = require("./support/ui-fixture");
const { defaultState } = require("./support/fake-backend");

const PASS = "kettle orbit walnut grape";
// Published BIP39 vector (Trezor vectors.json, entropy 15da872c…): a valid 24-word phrase.
const RESTORE = "beyond stage sleep clip because twist token leaf atom beauty genius food business side grid unable middle armed observe pair crouch tonight away coconut".split(" ");
// Another published vector (entropy 2c85efc7…), used as a phrase the fake bridge refuses with BadPhrase.
const REFUSED = "clutch control vehicle tonight unusual clog visa ice plunge glimpse recipe series open hour vintage deposit universe tip job dress radar refuse motion taste".split(" ");

const bridgeCalls = (st, route) => st.calls.filter((c) => c.kind === "bridge" && c.route === route);

test("create: passphrase twice, 24 words shown once and printable, confirm three words (wrong, then right)", async ({ page, openPage, state, shoot }) => {
  await openPage("onboarding");
  await expect(page.locator("h1")).toHaveText("Welcome to Twinkey");
  await shoot("onboarding-start");

  await page.click("#start-create");
  await expect(page.locator("#passphrase")).toBeFocused();

  // A common password: the hint says so and the page refuses it.
  await page.keyboard.type("password1");
  await expect(page.locator("#strength")).toContainText("Very weak");
  await page.fill("#passphrase2", "password1");
  await page.click("#create");
  await expect(page.locator("#create-error")).toContainText("too easy to guess");

  // Two different passphrases.
  await page.fill("#passphrase", PASS);
  await expect(page.locator("#strength")).toContainText("Strong");
  await page.fill("#passphrase2", PASS + "s");
  await page.press("#passphrase2", "Enter");
  await expect(page.locator("#create-error")).toContainText("different");
  await expect(page.locator("#passphrase2")).toBeFocused();
  expect(bridgeCalls(await state(), "/v1/vault/create")).toHaveLength(0);

  await page.fill("#passphrase2", PASS);
  await shoot("onboarding-create");
  await page.press("#passphrase2", "Enter");

  // The 24 words from /v1/vault/create's answer, numbered.
  const expected = defaultState().newPhrase.split(" ");
  await expect(page.locator("#words li")).toHaveCount(24);
  for (let i = 1; i <= 24; i++) await expect(page.locator(`#shown-word-${i}`)).toHaveText(expected[i - 1]);
  const created = bridgeCalls(await state(), "/v1/vault/create");
  expect(created).toHaveLength(1);
  expect(created[0].body).toEqual({ passphrase: PASS });

  // Print uses window.print (stubbed here to count the call).
  await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed++; }; });
  await page.click("#print");
  await expect.poll(() => page.evaluate(() => window.__printed)).toBe(1);
  await shoot("onboarding-words");
  await page.emulateMedia({ media: "print" });
  await expect(page.locator("#print")).toBeHidden();
  await expect(page.locator("#shown-word-24")).toBeVisible();
  await page.screenshot({ path: require("node:path").join(__dirname, "../../artifacts/screenshots/onboarding-words-print.png") });
  await page.emulateMedia({ media: "screen" });

  await page.click("#words-done");
  const inputs = page.locator("#confirm-form input");
  await expect(inputs).toHaveCount(3);
  const positions = (await inputs.evaluateAll((els) => els.map((e) => e.id))).map((id) => Number(id.replace("confirm-word-", "")));
  expect(positions.every((p) => p >= 1 && p <= 24)).toBe(true);
  expect(new Set(positions).size).toBe(3);
  await expect(page.locator(`#confirm-word-${positions[0]}`)).toBeFocused();

  // One wrong word: a clear message naming its position, the field marked and focused.
  const wrongWord = expected[positions[1] - 1] === "zoo" ? "abandon" : "zoo";
  await page.keyboard.type(expected[positions[0] - 1]);
  await page.keyboard.press("Tab");
  await page.keyboard.type(wrongWord);
  await page.keyboard.press("Tab");
  await page.keyboard.type(expected[positions[2] - 1].toUpperCase()); // case does not matter
  await page.keyboard.press("Enter");
  await expect(page.locator("#confirm-error")).toHaveText(`Word ${positions[1]} does not match your recovery phrase. Check your paper and try again.`);
  await expect(page.locator(`#confirm-word-${positions[1]}`)).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator(`#confirm-word-${positions[1]}`)).toBeFocused();
  await shoot("onboarding-confirm-error");

  await page.keyboard.type(expected[positions[1] - 1]); // the field's text was selected: typing replaces it
  await page.keyboard.press("Enter");
  await expect(page.locator("#ready")).toHaveText("Twinkey is ready");
  await expect(page.locator("#ready-role")).toContainText("Primary");
  await expect(page.locator("#words")).toHaveCount(0); // the words are gone from the page
  await shoot("onboarding-ready");
});

async function fillWords(page, words) {
  for (let i = 0; i < 24; i++) await page.fill(`#word-${i + 1}`, words[i] || "");
}

test("restore: unknown word, bad checksum, bridge refusal, then restore as the backup twin", async ({ page, openPage, state, shoot }) => {
  await openPage("onboarding", { rejectPhrase: REFUSED.join(" ") });
  await page.click("#start-restore");
  await expect(page.locator("#word-1")).toBeFocused();
  await expect(page.locator("#bip39-words option")).toHaveCount(2048);
  await expect(page.locator("#word-1")).toHaveAttribute("list", "bip39-words");

  // Word 5 misspelt: the page names it and no request is sent.
  const misspelt = [...RESTORE];
  misspelt[4] = "becuase";
  await fillWords(page, misspelt);
  await page.check("#restore-role-backup");
  await page.fill("#restore-passphrase", PASS);
  await page.fill("#restore-passphrase2", PASS);
  await page.click("#restore");
  await expect(page.locator("#restore-error")).toContainText("Word 5 (\u201cbecuase\u201d) is not in the recovery word list");
  await expect(page.locator("#word-5")).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#word-5")).toBeFocused();
  await shoot("onboarding-restore-unknown-word");

  // Every word known, but the first two swapped: the BIP39 checksum fails (checked locally).
  const swapped = [RESTORE[1], RESTORE[0], ...RESTORE.slice(2)];
  await fillWords(page, swapped);
  await page.click("#restore");
  await expect(page.locator("#restore-error")).toContainText("checksum does not match");
  await expect(page.locator("#word-5")).not.toHaveAttribute("aria-invalid", "true");
  expect(bridgeCalls(await state(), "/v1/vault/restore")).toHaveLength(0);

  // A well-formed phrase the bridge refuses: its message is shown.
  await fillWords(page, REFUSED);
  await page.click("#restore");
  await expect(page.locator("#restore-error")).toHaveText("The recovery phrase was not accepted: The phrase's checksum does not match.");
  expect(bridgeCalls(await state(), "/v1/vault/restore")).toHaveLength(1);

  // Paste the whole phrase into the first field: it fills all 24.
  await fillWords(page, []);
  await page.locator("#word-1").evaluate((el, text) => {
    const data = new DataTransfer();
    data.setData("text", text);
    el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, "1. " + RESTORE.slice(0, 12).join(" ") + "\n13. " + RESTORE.slice(12).join(", "));
  for (let i = 1; i <= 24; i++) await expect(page.locator(`#word-${i}`)).toHaveValue(RESTORE[i - 1]);
  await expect(page.locator("#word-24")).toBeFocused();
  await shoot("onboarding-restore");

  await page.click("#restore");
  await expect(page.locator("#ready")).toHaveText("Twinkey is ready");
  await expect(page.locator("#ready-role")).toContainText("Backup twin");
  await shoot("onboarding-ready-backup");
  const calls = bridgeCalls(await state(), "/v1/vault/restore");
  expect(calls).toHaveLength(2);
  expect(calls[1].body).toEqual({ phrase: RESTORE.join(" "), role: "backup", passphrase: PASS });
  expect((await state()).vault).toMatchObject({ exists: true, role: "backup" });
});

test("restore as primary with the keyboard alone (type, Tab, Space, Enter)", async ({ page, openPage, state }) => {
  await openPage("onboarding");
  await page.keyboard.press("Tab"); // the page focused its heading; Tab reaches the first button
  await expect(page.locator("#start-create")).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(page.locator("#start-restore")).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.locator("#word-1")).toBeFocused();
  for (const word of RESTORE) {
    await page.keyboard.type(word);
    await page.keyboard.press("Tab");
  }
  // Without a role the page asks for one.
  await expect(page.locator("#restore-role-primary")).toBeFocused();
  await page.keyboard.press("Space");
  await expect(page.locator("#restore-role-primary")).toBeChecked();
  await page.keyboard.press("Tab");
  await expect(page.locator("#restore-passphrase")).toBeFocused();
  await page.keyboard.type(PASS);
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASS);
  await page.keyboard.press("Enter");
  await expect(page.locator("#ready-role")).toContainText("Primary");
  const calls = bridgeCalls(await state(), "/v1/vault/restore");
  expect(calls).toHaveLength(1);
  expect(calls[0].body).toEqual({ phrase: RESTORE.join(" "), role: "primary", passphrase: PASS });
});

test("restore refuses to go on without a role choice", async ({ page, openPage, state }) => {
  await openPage("onboarding");
  await page.click("#start-restore");
  await fillWords(page, RESTORE);
  await page.fill("#restore-passphrase", PASS);
  await page.fill("#restore-passphrase2", PASS);
  await page.click("#restore");
  await expect(page.locator("#restore-error")).toContainText("primary key or the backup twin");
  await expect(page.locator("#restore-role-primary")).toBeFocused();
  expect(bridgeCalls(await state(), "/v1/vault/restore")).toHaveLength(0);
});

test("onboarding with a vault already there says so", async ({ page, openPage }) => {
  await openPage("onboarding", { vault: { exists: true, unlocked: false, role: "backup", passphrase: PASS } });
  await expect(page.locator("#already")).toBeVisible();
  await expect(page.locator("#open-settings")).toHaveAttribute("href", "settings.html");
});
