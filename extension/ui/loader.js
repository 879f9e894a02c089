// Starts ui.wasm (wasm/ui), the one Go program behind every Twinkey page; it reads location.pathname to know
// which page to render into <main id="app">. Loaded as a file because the extension's CSP forbids inline scripts.
"use strict";
(function () {
  const app = document.getElementById("app");
  function fail(err) {
    const p = document.createElement("p");
    p.id = "fatal";
    p.className = "message error";
    p.setAttribute("role", "alert");
    p.textContent = "Twinkey could not start this page. Reload the extension and try again.";
    app.replaceChildren(p);
    app.removeAttribute("aria-busy");
    console.error("twinkey ui:", err);
  }
  try {
    const go = new Go();
    WebAssembly.instantiateStreaming(fetch("ui.wasm"), go.importObject)
      .then((result) => go.run(result.instance))
      .catch(fail);
  } catch (err) {
    fail(err);
  }
})();
