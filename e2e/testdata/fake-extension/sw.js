// Test double, service worker: one consent popup per request; self.twinkey.bridge answers /v1/vault/create.
const waiting = new Map(); // consent id -> sendResponse
self.twinkey = {
  bridge: async (route, body) => {
    if (route === '/v1/vault/create') {
      await chrome.storage.session.set({ passphrase: body.passphrase });
      return { role: 'primary', phrase: 'fake phrase of the test double' };
    }
    throw new Error('fake bridge: unknown route ' + route);
  },
};
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (msg.consent) {
    const id = crypto.randomUUID();
    waiting.set(id, sendResponse);
    const site = new URL(sender.origin).host;
    chrome.windows.create({ type: 'popup', width: 420, height: 360, focused: false, // the page keeps focus for the native call
     
      url: `consent/consent.html?id=${id}&site=${encodeURIComponent(site)}&op=${msg.consent}` });
    return true;
  }
  if (msg.decision) {
    const reply = waiting.get(msg.decision.id);
    waiting.delete(msg.decision.id);
    if (reply) reply({ approved: msg.decision.approved });
    sendResponse({});
  }
  return false;
});
