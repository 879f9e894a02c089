// Test double, isolated world: relays consent requests to the service worker.
window.addEventListener('message', (e) => {
  if (e.source !== window || !e.data || !e.data.fakeTwinkeyRequest) return;
  const id = e.data.fakeTwinkeyRequest;
  chrome.runtime.sendMessage({ consent: e.data.operation }, (reply) => {
    window.postMessage({ fakeTwinkeyReply: id, approved: !!(reply && reply.approved) }, '*');
  });
});
