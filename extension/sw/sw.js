// Twinkey's service worker: wires the bridge host, the request router, extension-page messages and auto-lock.
//
// Every listener is registered synchronously at start-up (MV3: events that wake the worker are delivered only to
// listeners registered in the first turn). A module service worker may not use import() or top-level await.
//
// self.twinkey is for tests and measurements through the DevTools protocol (Playwright's worker.evaluate). Web
// pages cannot reach a service worker's globals, and extension pages have no handle on them either.

import { BridgeHost, benchmarkBridge, benchmarkSign } from './bridge-host.js';
import { RequestRouter } from './requests.js';
import { PageMessages } from './pages.js';
import { AutoLock } from './autolock.js';
import { ActivityLog } from './activity.js';
import { NativeHost } from './native.js';
import { onPageScriptMessage } from './pagescript.js';

const host = new BridgeHost();
host.start().catch((e) => console.error('twinkey: bridge did not start:', e?.message));

const bridge = host;

const activity = new ActivityLog();
const autoLock = new AutoLock(bridge);
const native = new NativeHost();
const router = new RequestRouter({ bridge, activity, autoLock, native });
const pages = new PageMessages({ bridge, router, activity, autoLock });

chrome.runtime.onConnect.addListener((port) => {
  router.onConnect(port);
  pages.onConnect(port);
});
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => pages.onMessage(msg, sender, sendResponse));
chrome.runtime.onMessage.addListener(onPageScriptMessage);
chrome.windows.onRemoved.addListener((windowId) => router.onWindowRemoved(windowId));
chrome.tabs.onActivated.addListener((info) => router.onTabActivated(info));
chrome.alarms.onAlarm.addListener((alarm) => autoLock.onAlarm(alarm).catch((e) => console.error('twinkey: auto-lock failed:', e?.message)));
chrome.runtime.onStartup.addListener(() => autoLock.onStartup().catch((e) => console.error('twinkey: start-up lock failed:', e?.message)));

// First install: until a vault exists the onboarding page is where a person starts.
chrome.runtime.onInstalled.addListener(({ reason }) => {
  if (reason !== 'install') return;
  host.call('/v1/vault/status', {}).then(({ status, body }) => {
    if (status === 200 && !body.exists) chrome.tabs.create({ url: chrome.runtime.getURL('ui/onboarding.html') });
  }).catch((e) => console.error('twinkey: onboarding not opened:', e?.message));
});

router.cleanUpStalePrompts().catch(() => {});

// testBridge answers the route's answer object, or throws an Error "<name>: <message> (HTTP <status>)".
async function testBridge(route, body) {
  const { status, body: answer } = await host.call(route, body);
  if (status === 200) return answer;
  const e = answer?.error ?? {};
  throw new Error(`${e.name}: ${e.message} (HTTP ${status})`);
}

self.twinkey = Object.freeze({
  /** bridge(route, body): the route's answer through the running Go instance; throws with the bridge's error. */
  bridge: testBridge,
  /** benchmark(route, n): kept-instance vs fresh-instance round trips in ms. */
  benchmark: (route = '/v1/vault/status', n = 20) => benchmarkBridge(host, route, n),
  /** benchmarkSign(n): mean ms of one Go P-256 signature (core/keys.Sign) in the running instance. */
  benchmarkSign: (n = 200) => benchmarkSign(host, n),
});
