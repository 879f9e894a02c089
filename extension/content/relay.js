// Twinkey relay: an ISOLATED-world content script, at document_start in every frame (about:blank included).
//
// It carries requests from the page script (extension/MESSAGES.md §1) to the service worker (§2) and the one
// answer back. It adds only what the page cannot forge about its frame: `location.ancestorOrigins` and the
// frame's Permissions Policy for publickey-credentials-create/-get, both read in this isolated world (page
// scripts cannot patch its built-ins). The caller's origin is not sent at all: the service worker takes it
// from the browser's MessageSender. Everything the page sends is untrusted and passed on as data.
(() => {
  'use strict';

  const PORT_NAME = 'twinkey.request';
  const REQUEST_OPS = new Set(['webauthn.create', 'webauthn.get', 'u2f.register', 'u2f.sign']);
  const ABORT_OP = 'abort';
  // The page script's small part asks for its full part on first use (op "load"); the service worker injects it
  // into this frame (extension/sw/pagescript.js) and the outcome is answered to the page as id "load".
  const LOAD_OP = 'load';
  const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
  const DISCONNECTED_ERROR = {
    name: 'NotAllowedError',
    u2fCode: 1, // OTHER_ERROR (U2F JS API v1.1 §3.2.4)
    message: 'The request was interrupted before Twinkey answered.',
  };

  /** Open ports by page request id; each carries exactly one request and at most one answer. */
  const openPorts = new Map();

  /**
   * frameFacts reports the frame facts the service worker needs for the cross-origin rules of W3C §5.1.3/§5.1.4.
   * The SW cross-checks them against sender.tab.url and sender.frameId.
   */
  function frameFacts() {
    return {
      ancestorOrigins: location.ancestorOrigins ? [...location.ancestorOrigins] : [],
      permissions: {
        create: allowsFeature('publickey-credentials-create'),
        get: allowsFeature('publickey-credentials-get'),
      },
      // Transient user activation (HTML §6.4.3) when the request arrived: a cross-origin create() needs it
      // (W3C §5.1.3). Pages cannot fake it; the extension cannot consume it, only observe it.
      userActivation: navigator.userActivation ? navigator.userActivation.isActive === true : false,
      // Whether the document is shown (HTML "page visibility"): with the tab's active flag from the browser, the
      // service worker's Go side decides whether the page has focus (Chromium refuses create() otherwise).
      visible: document.visibilityState === 'visible',
    };
  }

  /** allowsFeature asks the frame's Permissions Policy; false when the browser exposes no way to ask. */
  function allowsFeature(feature) {
    const policy = document.featurePolicy || document.permissionsPolicy;
    if (!policy || typeof policy.allowsFeature !== 'function') return false;
    return policy.allowsFeature(feature) === true;
  }

  function answerPage(id, answer) {
    const message = {__twinkey: 1, dir: 'to-page', id, ok: answer.ok === true};
    if (message.ok) {
      message.result = answer.result;
    } else {
      const error = answer.error !== null && typeof answer.error === 'object' ? answer.error : {};
      message.error = {
        name: typeof error.name === 'string' ? error.name : DISCONNECTED_ERROR.name,
        u2fCode: typeof error.u2fCode === 'number' ? error.u2fCode : DISCONNECTED_ERROR.u2fCode,
        message: typeof error.message === 'string' ? error.message : DISCONNECTED_ERROR.message,
      };
    }
    window.postMessage(message, location.origin === 'null' ? '*' : location.origin);
  }

  function startRequest(id, op, payload) {
    let port;
    try {
      port = chrome.runtime.connect({name: PORT_NAME});
    } catch (error) {
      // The extension was reloaded or removed under this page ("Extension context invalidated").
      answerPage(id, {ok: false, error: DISCONNECTED_ERROR});
      return;
    }
    openPorts.set(id, port);
    let answered = false;
    port.onMessage.addListener((answer) => {
      if (answered) return;
      answered = true;
      openPorts.delete(id);
      port.disconnect();
      answerPage(id, answer !== null && typeof answer === 'object' ? answer : {ok: false});
    });
    port.onDisconnect.addListener(() => {
      void chrome.runtime.lastError; // read, so Chrome does not report it as unchecked
      openPorts.delete(id);
      if (answered) return;
      answered = true;
      answerPage(id, {ok: false, error: DISCONNECTED_ERROR});
    });
    port.postMessage({op, payload, frame: frameFacts()});
  }

  function loadFullPart() {
    let sent;
    try {
      sent = chrome.runtime.sendMessage({kind: 'twinkey.page-script'});
    } catch (error) {
      sent = Promise.reject(error);
    }
    // The full part has run (or failed) before the service worker answers: the page script learns which.
    Promise.resolve(sent).then((answer) => {
      if (answer && answer.ok === true) answerPage(LOAD_OP, {ok: true});
      else answerPage(LOAD_OP, {ok: false, error: answer && answer.error});
    }, () => answerPage(LOAD_OP, {ok: false, error: DISCONNECTED_ERROR}));
  }

  function abortRequest(id) {
    const port = openPorts.get(id);
    if (port === undefined) return;
    openPorts.delete(id);
    port.disconnect(); // the SW drops the request and closes its prompt (MESSAGES.md §2)
  }

  window.addEventListener('message', (event) => {
    if (event.source !== window) return;
    const data = event.data;
    if (data === null || typeof data !== 'object' || data.__twinkey !== 1 || data.dir !== 'to-relay') return;
    const {id, op} = data;
    if (typeof id !== 'string' || !REQUEST_ID_PATTERN.test(id)) return;
    if (op === ABORT_OP) {
      abortRequest(id);
      return;
    }
    if (op === LOAD_OP) {
      loadFullPart();
      return;
    }
    if (!REQUEST_OPS.has(op) || openPorts.has(id)) return;
    const payload = data.payload !== null && typeof data.payload === 'object' ? data.payload : {};
    startRequest(id, op, payload);
  });

  // Leaving the page (or entering the back/forward cache) abandons every request; a page restored from the
  // cache then sees its requests fail instead of waiting forever.
  window.addEventListener('pagehide', () => {
    for (const id of [...openPorts.keys()]) {
      abortRequest(id);
      answerPage(id, {ok: false, error: DISCONNECTED_ERROR});
    }
  });
})();
