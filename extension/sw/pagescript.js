// The page script's full part (extension/content/page-impl.js), injected on demand.
//
// Every frame runs the small part (content/main-world.js) at document_start; the first time a page in a frame
// calls navigator.credentials or window.u2f, the relay of that frame asks for the full part and this injects it
// into that one frame, in the MAIN world (chrome.scripting). Only the extension's own content scripts are
// answered; the frame is the sender's, as the browser reports it.

import { UNREACHABLE } from './unreachable.js';

export const PAGE_SCRIPT_MESSAGE = 'twinkey.page-script';
const FULL_PART = 'content/page-impl.js';

/** onMessage is a chrome.runtime.onMessage listener for the relay's request. */
export function onPageScriptMessage(msg, sender, sendResponse) {
  if (msg?.kind !== PAGE_SCRIPT_MESSAGE) return false;
  const fromContentScript = sender?.id === chrome.runtime.id && Number.isInteger(sender.tab?.id)
    && Number.isInteger(sender.frameId) && !String(sender.url ?? '').startsWith(chrome.runtime.getURL(''));
  if (!fromContentScript) return false;
  chrome.scripting.executeScript({
    target: { tabId: sender.tab.id, frameIds: [sender.frameId] },
    world: 'MAIN',
    injectImmediately: true,
    files: [FULL_PART],
  }).then(() => sendResponse({ ok: true }), (e) => {
    console.error('twinkey: page script not injected:', e?.message);
    sendResponse({ ok: false, error: UNREACHABLE });
  });
  return true; // the answer is sent asynchronously
}
