// TEST-ONLY fake of the Twinkey service worker, for driving the extension pages (wasm/ui) without the real
// service worker and bridge. It never ships: it lives only under e2e/tests/ui/ and reaches a page only through
// Playwright's page.addInitScript, on pages served from a temporary directory over http://127.0.0.1.
//
// It answers chrome.runtime.sendMessage as extension/MESSAGES.md §3 and bridge/PROTOCOL.md ("Vault") specify:
//   {kind: "bridge", route: "/v1/vault/…", body}  -> {ok: true, result} | {ok: false, error: {name, u2fCode, message}}
//   {kind: "settings.get" | "settings.set" | "activity.list" | "activity.clear"}
// State lives in sessionStorage so that it survives navigations between pages of one test (popup -> unlock ->
// popup). Every message the page sent is recorded in state.calls, for assertions.
"use strict";

const STATE_KEY = "__twinkeyFakeBackendState";

// defaultState is the fake's starting point; tests override fields.
function defaultState(overrides = {}) {
  return {
    vault: { exists: false, unlocked: false, role: "primary", passphrase: "" },
    // What /v1/vault/create answers as the new phrase: a published BIP39 vector (Trezor vectors.json,
    // entropy 3e141609…), so the page's own checksum logic would accept it.
    newPhrase: "dignity pass list indicate nasty swamp pool script soccer toe leaf photo multiply desk host tomato cradle drill spread actor shine dismiss champion exotic",
    // A phrase the fake bridge refuses with BadPhrase even though it is well-formed (to test the bridge's own
    // refusal path); null for none.
    rejectPhrase: null,
    restoredPhrase: null,
    // true: sendMessage rejects as Chrome does when no service worker listens.
    unreachable: false,
    settings: { autoLockMinutes: 15, sites: {}, futureField: "kept" },
    activity: [],
    calls: [],
    ...overrides,
  };
}

// fakeHandler(state) returns handle(msg) -> answer, mutating state. It uses no browser API, so the same source
// runs in a page (installFakeBackend) and in a test-only extension service worker (extension-smoke.spec.js).
function fakeHandler(state) {
  const refuse = (name, message) => ({ ok: false, error: { name, u2fCode: 1, message } });
  const ok = (result) => ({ ok: true, result });
  const v = state.vault;

  function bridge(route, body) {
    switch (route) {
      case "/v1/vault/status":
        return ok({ exists: v.exists, unlocked: v.unlocked, role: v.role });
      case "/v1/vault/create":
        if (v.exists) return refuse("VaultExists", "A vault already exists.");
        Object.assign(v, { exists: true, unlocked: true, role: "primary", passphrase: body.passphrase });
        return ok({ role: "primary", phrase: state.newPhrase });
      case "/v1/vault/restore":
        if (v.exists) return refuse("VaultExists", "A vault already exists.");
        if (body.phrase === state.rejectPhrase) return refuse("BadPhrase", "The phrase's checksum does not match.");
        if (body.role !== "primary" && body.role !== "backup") return refuse("TypeError", "role must be primary or backup");
        Object.assign(v, { exists: true, unlocked: true, role: body.role, passphrase: body.passphrase });
        state.restoredPhrase = body.phrase;
        return ok({ role: body.role });
      case "/v1/vault/unlock":
        if (!v.exists) return refuse("VaultMissing", "No vault.");
        if (body.passphrase !== v.passphrase) return refuse("WrongPassphrase", "Wrong passphrase.");
        v.unlocked = true;
        return ok({ role: v.role });
      case "/v1/vault/lock":
        v.unlocked = false;
        return ok({});
      case "/v1/vault/phrase":
        if (!v.exists) return refuse("VaultMissing", "No vault.");
        if (body.passphrase !== v.passphrase) return refuse("WrongPassphrase", "Wrong passphrase.");
        return ok({ phrase: state.restoredPhrase || state.newPhrase });
      case "/v1/vault/passphrase":
        if (!v.exists) return refuse("VaultMissing", "No vault.");
        if (body.old !== v.passphrase) return refuse("WrongPassphrase", "Wrong passphrase.");
        v.passphrase = body.new;
        return ok({});
      case "/v1/vault/erase":
        if (body.confirm !== "erase") return refuse("TypeError", "confirm must be \"erase\"");
        Object.assign(v, { exists: false, unlocked: false, passphrase: "" });
        return ok({});
    }
    return refuse("NotSupportedError", "unknown route " + route);
  }

  return function handle(msg) {
    state.calls.push(msg);
    switch (msg && msg.kind) {
      case "bridge":
        if (typeof msg.route !== "string" || !msg.route.startsWith("/v1/vault/")) return refuse("NotAllowedError", "vault routes only");
        return bridge(msg.route, msg.body || {});
      case "settings.get":
        return ok(state.settings);
      case "settings.set":
        state.settings = msg.settings;
        return ok(state.settings);
      case "activity.list":
        return ok(state.activity);
      case "activity.clear":
        state.activity = [];
        return { ok: true };
    }
    return refuse("NotSupportedError", "unknown kind");
  };
}

// installFakeBackend runs inside the page before the page's own scripts; makeHandler is fakeHandler.
function installFakeBackend(initial, makeHandler, key) {
  const stored = sessionStorage.getItem(key);
  const state = stored ? JSON.parse(stored) : initial;
  const save = () => sessionStorage.setItem(key, JSON.stringify(state));
  save();
  const handle = makeHandler(state);
  const runtime = {
    id: "twinkey-fake-backend-test",
    sendMessage(msg) {
      if (state.unreachable) return Promise.reject(new Error("Could not establish connection. Receiving end does not exist."));
      const copy = JSON.parse(JSON.stringify(msg));
      return new Promise((resolve) => setTimeout(() => {
        const answer = handle(copy);
        save();
        resolve(JSON.parse(JSON.stringify(answer)));
      }, 5));
    },
  };
  const chrome = window.chrome || {};
  Object.defineProperty(chrome, "runtime", { value: runtime, configurable: true });
  if (!window.chrome) Object.defineProperty(window, "chrome", { value: chrome, configurable: true });
}

// useFakeBackend installs the fake on page for every navigation; call before page.goto.
async function useFakeBackend(page, overrides) {
  await page.addInitScript({
    content: `(${installFakeBackend})(${JSON.stringify(defaultState(overrides))}, ${fakeHandler}, ${JSON.stringify(STATE_KEY)});`,
  });
}

// serviceWorkerSource is a TEST-ONLY extension service worker answering pages with the same fake, as the real
// service worker would (extension/MESSAGES.md §3: only this extension's own pages). State: self.__fakeState.
function serviceWorkerSource(overrides) {
  return `"use strict";
// TEST-ONLY fake service worker generated by e2e/tests/ui/support/fake-backend.js.
self.__fakeState = ${JSON.stringify(defaultState(overrides))};
const handle = (${fakeHandler})(self.__fakeState);
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id || !sender.url || !sender.url.startsWith("chrome-extension://" + chrome.runtime.id + "/")) return false;
  sendResponse(handle(msg));
  return false;
});
`;
}

// fakeState reads the fake's current state (vault, settings, calls…) from the page.
async function fakeState(page) {
  return page.evaluate((key) => JSON.parse(sessionStorage.getItem(key)), STATE_KEY);
}

module.exports = { useFakeBackend, fakeState, defaultState, serviceWorkerSource };
