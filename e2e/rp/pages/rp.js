// Plumbing shared by the test RP's pages: the JSON API client and the result contract the tests read.
//
// Result contract: every page has <pre id="result"> whose attributes say how the last ceremony ended.
//   data-status      idle | pending | ok | error
//   data-op          the operation (register, login, u2f-register, u2f-sign)
//   data-error-name  on error: the DOMException name (NotAllowedError, SecurityError, ...), "RPError" when the
//                    RP refused the response, or the U2F error name (BAD_REQUEST, DEVICE_INELIGIBLE, ...)
//   data-code        on RPError: the RP's error code (possible-clone, verification, ...); on a U2F error: its number
// The text is a JSON document with the details. A page inside an iframe also posts the same record to its parent
// ({twinkeyRpResult: {...}}), which iframe.html shows in its own #result.
'use strict';
(function () {
  class RPError extends Error {
    constructor(body, status) {
      super(body && body.error ? body.error : 'HTTP ' + status);
      this.name = 'RPError';
      this.code = (body && body.code) || 'http-' + status;
    }
  }

  // api POSTs body as JSON to path on this page's origin and returns the parsed answer, or throws RPError.
  async function api(path, body) {
    const res = await fetch(path, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: typeof body === 'string' ? body : JSON.stringify(body || {}),
    });
    let parsed = null;
    try { parsed = await res.json(); } catch (e) { /* not JSON: reported below */ }
    if (!res.ok || !parsed || parsed.ok !== true) throw new RPError(parsed, res.status);
    return parsed;
  }

  function resultElement() { return document.getElementById('result'); }

  // setResult publishes the outcome of op: status is pending, ok or error; detail is any JSON-able value or an Error.
  function setResult(op, status, detail) {
    const el = resultElement();
    const record = {op, status};
    if (detail instanceof Error || (detail && typeof detail === 'object' && 'name' in detail && 'message' in detail)) {
      record.errorName = detail.name;
      record.message = String(detail.message);
      if (detail.code !== undefined) record.code = String(detail.code);
    } else if (detail !== undefined) {
      record.detail = detail;
    }
    el.dataset.status = status;
    el.dataset.op = op;
    el.dataset.errorName = record.errorName || '';
    el.dataset.code = record.code || '';
    el.textContent = JSON.stringify(record, null, 2);
    if (window.parent !== window) window.parent.postMessage({twinkeyRpResult: record}, '*');
    return record;
  }

  // run performs ceremony() for op, publishing pending, then ok or error. It returns the record and never throws,
  // so tests can `await page.evaluate(() => rp.register(...))`.
  async function run(op, ceremony) {
    setResult(op, 'pending');
    window.rpTiming = {op, calledAt: null, resolvedAt: null};
    try {
      return setResult(op, 'ok', await ceremony());
    } catch (e) {
      return setResult(op, 'error', e);
    }
  }

  // mark records the wall-clock time (ms, sub-ms precision, comparable across pages of one browser) of a step.
  function mark(step) {
    if (window.rpTiming) window.rpTiming[step] = performance.timeOrigin + performance.now();
  }

  function value(id) {
    const el = document.getElementById(id);
    if (!el) return '';
    return el.type === 'checkbox' ? el.checked : el.value.trim();
  }

  // Inputs may be preset from the query string: ?username=alice&attestation=direct&rpId=...
  function presetInputs() {
    const params = new URLSearchParams(location.search);
    for (const [k, v] of params) {
      const el = document.getElementById(k);
      if (!el || el.tagName === 'PRE') continue;
      if (el.type === 'checkbox') el.checked = v === '1' || v === 'true'; else el.value = v;
    }
  }

  window.rp = {api, setResult, run, mark, value, presetInputs, RPError};
  document.addEventListener('DOMContentLoaded', presetInputs);
})();
