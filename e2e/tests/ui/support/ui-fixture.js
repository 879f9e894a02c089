// Playwright fixtures for the extension pages: build them once per worker with scripts/build-ui.sh (or use the
// directory in TWINKEY_UI_DIR), serve that directory over http://127.0.0.1, and open a page with the TEST-ONLY
// fake backend (./fake-backend.js) installed.
"use strict";

const { test: base, expect } = require("@playwright/test");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const http = require("node:http");
const os = require("node:os");
const path = require("node:path");
const { useFakeBackend, fakeState } = require("./fake-backend");

const repoRoot = path.resolve(__dirname, "../../../..");
const screenshotDir = path.join(repoRoot, "e2e", "artifacts", "screenshots");

const mimeTypes = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
};

// buildUI builds the pages into a new temporary directory and returns it.
function buildUI() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "twinkey-ui-"));
  execFileSync(path.join(repoRoot, "scripts", "build-ui.sh"), [dir], { cwd: repoRoot, stdio: "pipe" });
  return dir;
}

function serve(dir) {
  const server = http.createServer((req, res) => {
    const name = path.basename(decodeURIComponent(new URL(req.url, "http://x").pathname));
    const file = path.join(dir, name);
    if (!name || !fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { "Content-Type": mimeTypes[path.extname(name)] || "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const test = base.extend({
  // Debian's Chromium (Playwright's own browser downloads are not available here); $CHROMIUM overrides it.
  launchOptions: [{ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] },
    { scope: "worker" }],

  // uiDir is a directory holding the built pages (scripts/build-ui.sh output).
  uiDir: [async ({}, use) => {
    if (process.env.TWINKEY_UI_DIR) {
      await use(path.resolve(process.env.TWINKEY_UI_DIR));
      return;
    }
    const dir = buildUI();
    await use(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }, { scope: "worker", timeout: 240_000 }],

  uiBase: [async ({ uiDir }, use) => {
    const server = await serve(uiDir);
    await use(`http://127.0.0.1:${server.address().port}/`);
    await new Promise((resolve) => server.close(resolve));
  }, { scope: "worker" }],

  // openPage(name, fakeOverrides) installs the fake backend and opens <name>.html, waiting until the Go program
  // has rendered (the loader's aria-busy is gone).
  openPage: async ({ page, uiBase }, use) => {
    await use(async (name, overrides = {}, query = "") => {
      await useFakeBackend(page, overrides);
      await page.goto(uiBase + name + ".html" + query);
      await expect(page.locator("#app")).not.toHaveAttribute("aria-busy", "true", { timeout: 30_000 });
    });
  },

  // state() reads the fake backend's state.
  state: async ({ page }, use) => { await use(() => fakeState(page)); },

  // shoot(name) saves light and dark screenshots of the current page as e2e/artifacts/screenshots/<name>-*.png.
  // It first checks that the screen's element IDs are unique (tests and labels rely on them).
  shoot: async ({ page }, use) => {
    fs.mkdirSync(screenshotDir, { recursive: true });
    await use(async (name) => {
      const duplicates = await page.evaluate(() => {
        const seen = new Map();
        for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) || 0) + 1);
        return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
      });
      expect(duplicates, `duplicate element IDs on ${name}`).toEqual([]);
      for (const scheme of ["light", "dark"]) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.screenshot({ path: path.join(screenshotDir, `${name}-${scheme}.png`), fullPage: true });
      }
      await page.emulateMedia({ colorScheme: "light" });
    });
  },
});

module.exports = { test, expect };
