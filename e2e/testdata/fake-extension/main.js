// Test double, MAIN world: puts a consent request in front of the browser's own navigator.credentials.
(() => {
  const original = { create: navigator.credentials.create.bind(navigator.credentials), get: navigator.credentials.get.bind(navigator.credentials) };
  let seq = 0;
  const askConsent = (operation) => new Promise((resolve, reject) => {
    const id = ++seq;
    const onReply = (e) => {
      if (e.source !== window || !e.data || e.data.fakeTwinkeyReply !== id) return;
      window.removeEventListener('message', onReply);
      if (e.data.approved) resolve(); else reject(new DOMException('denied', 'NotAllowedError'));
    };
    window.addEventListener('message', onReply);
    window.postMessage({ fakeTwinkeyRequest: id, operation }, '*');
  });
  navigator.credentials.create = async (opts) => { await askConsent('create'); return original.create(opts); };
  navigator.credentials.get = async (opts) => { await askConsent('get'); return original.get(opts); };
})();
