// The consent prompt: names the site and the operation, collects approval (and the passphrase when the vault is
// locked or user verification is required), and answers the service worker (MESSAGES.md §3 consent.get/answer).
//
// Plain JavaScript, no WebAssembly: the prompt must be visible within a few tens of milliseconds. Everything shown
// comes from the service worker, which took the origin from the browser; page-supplied text (the account name) is
// only ever set as textContent.
//
// USB security keys (details.hardware): after Approve the service worker runs the key through the native host and
// sends consent.progress messages; the prompt says what the key needs ("touch", "enter PIN", "wrong PIN",
// "removed"), sends the PIN with consent.pin (never kept: the field is cleared at once), and Deny (or closing
// the window) cancels the key.
//
// Keyboard: Enter approves only while #approve has focus (nothing is focused at first, so a key press meant for
// the page cannot approve); Enter in the passphrase field moves focus to #approve; Escape denies.

const requestId = new URLSearchParams(location.search).get('req') ?? '';
const $ = (id) => document.getElementById(id);

const operationText = {
  'webauthn.create': 'Register with',
  'webauthn.get': 'Sign in to',
  'u2f.register': 'Register with (legacy U2F)',
  'u2f.sign': 'Sign in to (legacy U2F)',
};

let details = null;
let keyWaiting = false; // a USB key ceremony is running
let busy = false;
let countdownTimer;

function send(message) {
  return chrome.runtime.sendMessage(message);
}

// The answer goes on a port opened now (MESSAGES.md §3, "twinkey.consent"): one message each way once the
// person clicks, where sendMessage would first open a channel (about 2 ms against 0.3 ms). When the port is gone
// (the service worker stopped and started again), sendMessage carries it, and the service worker then says
// whether the request is still pending.
const CONSENT_PORT = 'twinkey.consent';
let answerPort = null;
let answerSeq = 0;
const answerWaiting = new Map(); // seq -> {resolve, reject}
try {
  answerPort = chrome.runtime.connect({ name: CONSENT_PORT });
  answerPort.onMessage.addListener((msg) => {
    const waiting = answerWaiting.get(msg?.seq);
    if (!waiting) return;
    answerWaiting.delete(msg.seq);
    const { seq, ...reply } = msg;
    waiting.resolve(reply);
  });
  answerPort.onDisconnect.addListener(() => {
    void chrome.runtime.lastError;
    answerPort = null;
    for (const waiting of answerWaiting.values()) waiting.reject(new Error('the service worker went away'));
    answerWaiting.clear();
  });
} catch {
  answerPort = null;
}

function sendAnswer(message) {
  if (!answerPort) return send(message);
  const seq = ++answerSeq;
  return new Promise((resolve, reject) => {
    answerWaiting.set(seq, { resolve, reject });
    try {
      answerPort.postMessage({ ...message, seq });
    } catch (e) {
      answerWaiting.delete(seq);
      reject(e);
    }
  });
}

function addDetail(term, value) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  $('details').append(dt, dd);
}

function needsPassphrase(d) {
  return !d.hardware && d.passphrase === 'required';
}

// Input protection (Go's prompt.inputDelayMs, as Chromium's permission prompts): Approve and Deny take no input
// until the prompt has been visible and focused for that long, and again after it regains focus, so a click or a
// key press already on its way when the window appeared (or came to the front) decides nothing. Escape and
// closing the window still deny at once.
let armed = false;
let armTimer;
function disarm() {
  armed = false;
  clearTimeout(armTimer);
  if (details && !busy && !keyWaiting) {
    $('approve').disabled = true;
    $('deny').disabled = true;
  }
}
function armLater() {
  clearTimeout(armTimer);
  if (!details || document.visibilityState !== 'visible' || !document.hasFocus()) return;
  armTimer = setTimeout(() => {
    armed = true;
    if (!busy && !$('approve').hidden) $('approve').disabled = false;
    $('deny').disabled = false;
  }, Number.isInteger(details.inputDelayMs) ? details.inputDelayMs : 500);
}
window.addEventListener('blur', disarm);
window.addEventListener('focus', () => { disarm(); armLater(); });
document.addEventListener('visibilitychange', () => { disarm(); armLater(); });

// What the prompt says for each host progress event (nativehost/PROTOCOL.md "progress").
function progressText(p) {
  const tries = Number.isInteger(p.retries) ? p.retries : null;
  switch (p.event) {
    case 'insert-key': return 'Insert your security key.';
    case 'touch': return 'Touch your security key.';
    case 'pin-needed': return `Enter your security key's PIN${tries !== null ? ` (${tries} tries left)` : ''}.`;
    case 'pin-wrong': return `Wrong PIN, ${tries ?? 'few'} retries left.`;
    case 'key-removed': return 'The key was removed.';
    case 'choose-account': return 'Choose the account to sign in with.';
    default: return 'Waiting for your security key…';
  }
}

function showProgress(p) {
  $('key').hidden = false;
  $('key-status').textContent = progressText(p);
  const askPin = p.event === 'pin-needed' || p.event === 'pin-wrong';
  $('pin-box').hidden = !askPin;
  if (askPin) {
    $('pin').disabled = false;
    $('pin-submit').disabled = false;
    $('pin').focus();
  }
  showAccounts(p.event === 'choose-account' ? p.accounts : null);
}

// showAccounts lists the key's discoverable credentials for this site as buttons (or hides the list). Names come
// from the key, so they are set as text, never as markup.
function showAccounts(accounts) {
  const list = $('accounts');
  list.replaceChildren();
  list.hidden = !Array.isArray(accounts);
  if (list.hidden) return;
  accounts.forEach((a, index) => {
    const button = document.createElement('button');
    button.type = 'button';
    const label = a.displayName && a.displayName !== a.name ? `${a.displayName} (${a.name})` : (a.name || a.displayName);
    button.textContent = label || `Account ${index + 1}`;
    if (!label) {
      const id = document.createElement('span');
      id.className = 'account-id';
      id.textContent = `user ID ${a.userId}`; // no names without user verification (CTAP 2.1 §6.2.2)
      button.append(id);
    }
    button.addEventListener('click', () => chooseAccount(index));
    const item = document.createElement('li');
    item.append(button);
    list.append(item);
  });
  list.querySelector('button')?.focus();
}

async function chooseAccount(index) {
  for (const b of $('accounts').querySelectorAll('button')) b.disabled = true;
  $('key-status').textContent = 'Signing in…';
  const reply = await send({ kind: 'consent.choose', requestId, index }).catch(() => undefined);
  if (reply && reply.ok === false) $('error').textContent = reply.error?.message ?? 'The choice was not delivered.';
}

function renderHardware(h) {
  $('key').hidden = false;
  addDetail('Authenticator', h.simulated ? 'SIMULATED security key (test only)' : 'USB security key');
  if (h.status === 'not-installed') {
    $('key-status').textContent = "This site uses your USB security key only, and Twinkey's USB helper is not installed: run twinkey-host install.";
    $('approve').hidden = true;
    $('deny').textContent = 'Close';
    return false;
  }
  $('key-status').textContent = 'Approve, then use your security key.';
  if (h.progress) showProgress(h.progress);
  return true;
}

async function sendPin() {
  const pin = $('pin').value;
  $('pin').value = ''; // the PIN lives only in this message
  if (!pin) return;
  $('pin-submit').disabled = true;
  $('pin').disabled = true;
  $('key-status').textContent = 'Checking the PIN…';
  const reply = await send({ kind: 'consent.pin', requestId, pin }).catch(() => undefined);
  if (reply && reply.ok === false) $('error').textContent = reply.error?.message ?? 'The PIN was not delivered.';
}

function render(d) {
  const opText = operationText[d.op] ?? 'Use your key with';
  $('operation').textContent = opText;
  $('site').textContent = d.origin;
  document.title = `Twinkey: ${opText} ${d.origin}`;
  if (d.rpId) addDetail('Site (RP ID)', d.rpId);
  if (d.appId) addDetail('AppID', d.appId);
  if (d.crossOrigin && d.topOrigin) addDetail('Embedded in', d.topOrigin);
  if (d.hardware && !renderHardware(d.hardware)) {
    $('prompt').setAttribute('aria-busy', 'false');
    startCountdown(d.expiresAt);
    armLater();
    return;
  }
  if (d.notRegistered) {
    $('key').hidden = false;
    $('key-status').textContent = 'No security key here is registered with this site.';
    $('approve').hidden = true;
    $('deny').textContent = 'Close';
    $('prompt').setAttribute('aria-busy', 'false');
    startCountdown(d.expiresAt);
    armLater();
    return;
  }
  if (d.user) addDetail('Account', d.userDisplayName && d.userDisplayName !== d.user ? `${d.userDisplayName} (${d.user})` : d.user);
  if (d.recentPassphraseMinutes > 0) {
    addDetail('Verification', `Your passphrase entered in the last ${d.recentPassphraseMinutes} minutes counts as verifying you (Settings).`);
  }
  if (needsPassphrase(d)) {
    $('unlock').hidden = false;
    $('passphrase-hint').textContent = d.locked
      ? 'Twinkey is locked: enter your passphrase to unlock it and approve.'
      : 'This site asks to verify you: enter your passphrase to approve.';
    $('passphrase').focus();
  }
  armLater();
  $('prompt').setAttribute('aria-busy', 'false');
  performance.mark('twinkey-consent-shown'); // read by the timing tests (e2e/tests/sw/speed.spec.js)
  startCountdown(d.expiresAt);
}

function startCountdown(expiresAt) {
  const tick = () => {
    const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    const m = Math.floor(left / 60);
    const s = String(left % 60).padStart(2, '0');
    $('countdown').textContent = left > 0 ? `Time left: ${m}:${s}` : 'Timed out.';
    if (left === 0) {
      clearInterval(countdownTimer);
      disable();
    }
  };
  tick();
  countdownTimer = setInterval(tick, 1000);
}

function disable() {
  $('approve').disabled = true;
  $('deny').disabled = true;
  $('passphrase').disabled = true;
}

// showGone says the request is over; a prompt window (opened with ?req=) then closes itself.
function showGone(message) {
  $('operation').textContent = message;
  $('prompt').setAttribute('aria-busy', 'false');
  disable();
  if (requestId) setTimeout(() => window.close(), 1500);
}

async function answer(approve, { escape = false } = {}) {
  if (!details) return;
  if (!armed && !escape && !keyWaiting) return; // input protection: see armLater
  if (keyWaiting && !approve) {
    // Cancel while the key waits: the service worker cancels it and answers the page.
    sendAnswer({ kind: 'consent.answer', requestId, approve: false }).catch(() => {});
    window.close();
    return;
  }
  if (busy) return;
  performance.mark('twinkey-consent-answered');
  const message = { kind: 'consent.answer', requestId, approve };
  if (approve && needsPassphrase(details)) {
    const passphrase = $('passphrase').value;
    if (!passphrase) {
      $('error').textContent = 'Enter your passphrase.';
      $('passphrase').focus();
      return;
    }
    message.passphrase = passphrase;
  }
  busy = true;
  // Sent before the prompt updates itself: the answer is what the page waits for.
  const replied = sendAnswer(message);
  $('approve').disabled = true;
  $('error').textContent = approve && message.passphrase ? 'Checking…' : '';
  if (approve && details.hardware) {
    keyWaiting = true;
    $('deny').textContent = 'Cancel';
    if (!details.hardware.progress) $('key-status').textContent = 'Waiting for your security key…';
  }
  let reply;
  try {
    reply = await replied;
  } catch {
    reply = undefined; // the service worker closes this window as it answers the page
  }
  busy = false;
  keyWaiting = false;
  if (reply && reply.ok === false && reply.error?.name === 'SecurityKeyError') {
    $('key').hidden = false;
    $('pin-box').hidden = true;
    showGone(reply.error.message);
    return;
  }
  if (reply && reply.ok === false) {
    if (reply.error?.name === 'WrongPassphrase' || reply.error?.name === 'PassphraseRequired') {
      $('error').textContent = reply.error.name === 'WrongPassphrase'
        ? 'Wrong passphrase. Try again.' : 'Enter your passphrase.';
      $('passphrase').value = '';
      $('passphrase').focus();
      $('approve').disabled = !armed;
      return;
    }
    showGone('This request is no longer pending.');
    return;
  }
  window.close();
}

$('approve').addEventListener('click', () => answer(true));
$('pin-submit').addEventListener('click', () => sendPin());
$('pin').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    e.preventDefault();
    sendPin();
  }
});
chrome.runtime.onMessage.addListener((msg) => {
  if (msg?.kind === 'consent.progress' && msg.requestId === requestId && msg.progress) {
    keyWaiting = true;
    showProgress(msg.progress);
  }
});
$('deny').addEventListener('click', () => answer(false));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') {
    e.preventDefault();
    answer(false, { escape: true });
  } else if (e.key === 'Enter' && e.target === $('pin')) {
    // handled by the PIN field
  } else if (e.key === 'Enter' && e.target === $('passphrase')) {
    e.preventDefault();
    $('approve').focus();
  }
});

send({ kind: 'consent.get', requestId }).then((reply) => {
  if (!reply?.ok) {
    showGone('This request is no longer pending.');
    return;
  }
  details = reply.result;
  render(details);
}, () => showGone('Twinkey is not answering.'));
