// In-page helpers for the unit tests (added with page.addScriptTag after load): window.testUtils.
(() => {
  'use strict';
  function b64u(bytes) {
    let s = '';
    for (const b of new Uint8Array(bytes instanceof ArrayBuffer ? bytes : bytes.buffer.slice(bytes.byteOffset,
      bytes.byteOffset + bytes.byteLength))) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function unb64u(text) {
    const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  }
  function hex(buffer) {
    return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** decodeCBOR: a tiny RFC 8949 decoder for what WebAuthn uses (ints, bytes, text, arrays, maps, simple). */
  function decodeCBOR(bytes) {
    const data = new Uint8Array(bytes);
    let pos = 0;
    function length(info) {
      if (info < 24) return info;
      const n = {24: 1, 25: 2, 26: 4, 27: 8}[info];
      if (!n) throw new Error('unsupported CBOR length');
      let v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + data[pos++];
      return v;
    }
    function item() {
      const head = data[pos++];
      const major = head >> 5;
      const info = head & 31;
      switch (major) {
        case 0: return length(info);
        case 1: return -1 - length(info);
        case 2: { const n = length(info); const v = data.slice(pos, pos + n); pos += n; return v; }
        case 3: {
          const n = length(info);
          const v = new TextDecoder().decode(data.slice(pos, pos + n));
          pos += n;
          return v;
        }
        case 4: { const n = length(info); const v = []; for (let i = 0; i < n; i++) v.push(item()); return v; }
        case 5: {
          const n = length(info); const v = new Map();
          for (let i = 0; i < n; i++) { const k = item(); v.set(k, item()); }
          return v;
        }
        case 7: return {20: false, 21: true, 22: null}[info];
        default: throw new Error('unsupported CBOR major type ' + major);
      }
    }
    const value = item();
    return {value, end: pos};
  }

  /** derSignatureToRaw converts an X9.62 DER ECDSA signature to WebCrypto's r||s. */
  function derSignatureToRaw(der) {
    const d = new Uint8Array(der);
    let p = 2;
    const parts = [];
    for (let i = 0; i < 2; i++) {
      const n = d[p + 1];
      let v = d.slice(p + 2, p + 2 + n);
      p += 2 + n;
      while (v.length > 32) v = v.slice(1);
      const padded = new Uint8Array(32);
      padded.set(v, 32 - v.length);
      parts.push(padded);
    }
    const out = new Uint8Array(64);
    out.set(parts[0]);
    out.set(parts[1], 32);
    return out;
  }

  async function verifyES256(spki, signatureDER, data) {
    const key = await crypto.subtle.importKey('spki', spki, {name: 'ECDSA', namedCurve: 'P-256'}, false, ['verify']);
    return crypto.subtle.verify({name: 'ECDSA', hash: 'SHA-256'}, key, derSignatureToRaw(signatureDER), data);
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  }

  function creationOptions(overrides = {}) {
    return {
      rp: {name: 'Twinkey test RP', id: location.hostname},
      user: {id: crypto.getRandomValues(new Uint8Array(16)), name: 'ann', displayName: 'Ann'},
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      pubKeyCredParams: [{type: 'public-key', alg: -7}],
      authenticatorSelection: {userVerification: 'discouraged'},
      ...overrides,
    };
  }

  function describeError(error) {
    return {
      name: error && error.name,
      message: error && error.message,
      isDOMException: error instanceof DOMException,
      isTypeError: error instanceof TypeError,
    };
  }

  window.testUtils = {b64u, unb64u, hex, decodeCBOR, derSignatureToRaw, verifyES256, sha256, creationOptions,
    describeError};
})();
