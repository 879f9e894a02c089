// The bridge's host: one long-lived Go instance (wasm/sw) serving bridge/PROTOCOL.md to the service worker.
//
// This file is our adaptation of syumai/workers' generated glue (`workers-assets-gen -mode go -runtime browser`,
// copied to ./build/ by scripts/build-extension.sh). The generated worker.mjs starts a FRESH Go instance for
// every request (about 9 ms each); here one instance is started when the service worker starts, serves every
// request in turn, and is started again if it exits or crashes. What we take from the generated files unchanged:
//   ./build/wasm_exec.js  Go's wasm_exec.js as patched by syumai/workers (`Go.run(instance, context)` exposes
//                         `context.binding` to the Go side, where `handleRequest` is installed)
//   ./build/runtime.mjs   starts fetching and compiling ./build/app.wasm when imported (relative to sw/sw.js)
//   ./build/worker.mjs    sets globalThis.tryCatch (used by the Go side); its fetch() (fresh instance per
//                         request) is kept only for the benchmark in benchmarkBridge()
// The Go side keeps its instance alive across requests itself (wasm/sw/persistent.go).

import './build/wasm_exec.js';
import { loadModule } from './build/runtime.mjs';
import freshInstanceGlue from './build/worker.mjs';

// The bridge routes are served under this URL; the host name is never resolved.
const BRIDGE_BASE = 'https://bridge.twinkey.invalid';

// Restarting more often than this means the program dies at start-up: stop trying until the next call.
const MAX_RESTARTS_PER_MINUTE = 5;

/** BridgeUnavailable: the Go instance could not start or exited while a request was in flight. */
export class BridgeUnavailable extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'BridgeUnavailable';
  }
}

function bridgeRequest(route, body) {
  return new Request(BRIDGE_BASE + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
}

// readAnswer turns the bridge's Response into {status, body}; a body that is not JSON becomes the bridge's error
// shape so callers handle one form.
async function readAnswer(response) {
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return {
      status: 502,
      body: { error: { name: 'NotReadableError', u2fCode: 1, message: 'The bridge answered something other than JSON.' } },
    };
  }
}

/**
 * BridgeHost owns the Go instance. call(route, body) answers {status, body} (bridge/PROTOCOL.md) or throws
 * BridgeUnavailable.
 */
export class BridgeHost {
  #instance = null; // Promise<{binding, inflight: Set<reject>, alive: boolean}> of the running instance
  #running = null;  // the same state once started, for synchronous use
  #restarts = [];   // start times of recent restarts

  constructor() {
    // The Go side caches what it read from chrome.storage (wasm/sw/storage.go); changes made by anything else
    // must reach the instance running now. One listener for the host's lifetime, so a replaced instance leaves
    // nothing registered behind. Registered synchronously: the module is evaluated in the worker's first turn.
    chrome.storage.onChanged.addListener((changes, areaName) => {
      const state = this.#running;
      if (state?.alive && typeof state.binding.storageChanged === 'function') {
        try {
          state.binding.storageChanged(changes, areaName);
        } catch (err) {
          this.#onExit(state, new BridgeUnavailable('bridge instance crashed', { cause: err }));
        }
      }
    });
  }

  /** start begins starting the instance (idempotent); call() also starts it when needed. */
  start() {
    if (!this.#instance) {
      this.#instance = this.#boot();
      this.#instance.catch(() => { this.#instance = null; });
    }
    return this.#instance;
  }

  async #boot() {
    const mod = await loadModule();
    const go = new Go();
    let exitCode = null;
    go.exit = (code) => { exitCode = code; };
    const binding = {};
    let ready;
    const readyPromise = new Promise((resolve) => { ready = resolve; });
    const instance = await WebAssembly.instantiate(mod, {
      ...go.importObject,
      workers: { ready: () => ready() },
    });
    const state = { binding, inflight: new Set(), alive: true };
    const exited = go.run(instance, { binding }).then(
      () => this.#onExit(state, new BridgeUnavailable(`bridge instance exited (code ${exitCode})`)),
      (err) => this.#onExit(state, new BridgeUnavailable('bridge instance crashed', { cause: err })),
    );
    await Promise.race([
      readyPromise,
      exited.then(() => { throw new BridgeUnavailable('bridge instance exited before it was ready'); }),
    ]);
    this.#running = state;
    return state;
  }

  #onExit(state, err) {
    if (!state.alive) return;
    state.alive = false;
    for (const reject of state.inflight) reject(err);
    state.inflight.clear();
    this.#instance = null;
    if (this.#running === state) this.#running = null;
    const now = Date.now();
    this.#restarts = this.#restarts.filter((t) => now - t < 60_000);
    if (this.#restarts.length < MAX_RESTARTS_PER_MINUTE) {
      this.#restarts.push(now);
      console.warn('twinkey: bridge instance ended; starting a new one:', err.message);
      this.start().catch(() => {});
    } else {
      console.error('twinkey: bridge instance keeps ending; next start on the next request:', err.message);
    }
  }

  /** call sends one request to the running instance. */
  async call(route, body) {
    let state;
    try {
      state = await this.start();
    } catch (err) {
      throw new BridgeUnavailable('bridge instance could not start', { cause: err });
    }
    let reject;
    const ended = new Promise((_, r) => { reject = r; });
    state.inflight.add(reject);
    try {
      let pending;
      try {
        pending = state.binding.handleRequest(bridgeRequest(route, body));
      } catch (err) {
        // A trap inside Go surfaces here: the instance is unusable.
        this.#onExit(state, new BridgeUnavailable('bridge instance crashed', { cause: err }));
        throw new BridgeUnavailable('bridge instance crashed', { cause: err });
      }
      const response = await Promise.race([pending, ended]);
      return await readAnswer(response);
    } finally {
      state.inflight.delete(reject);
    }
  }
}

/**
 * benchmarkSign answers the mean time in ms of one core/keys.Sign in the running Go instance, over n signatures
 * made in one synchronous call (wasm/sw exposeBenchmarkSign). For measurements only (self.twinkey.benchmarkSign).
 */
export async function benchmarkSign(host, n) {
  const { binding } = await host.start();
  if (typeof binding.benchmarkSign !== 'function') throw new Error('this build has no benchmarkSign');
  binding.benchmarkSign(5); // warm-up
  const t0 = performance.now();
  const failure = binding.benchmarkSign(n);
  const ms = (performance.now() - t0) / n;
  if (failure) throw new Error(failure);
  return ms;
}

/**
 * benchmarkBridge times n calls of route through the kept instance and n through a fresh instance per call (the
 * generated glue's behaviour), alternating the two so that both see the same machine load; in milliseconds. For
 * measurements only (self.twinkey.benchmark).
 */
export async function benchmarkBridge(host, route, n) {
  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return { n: s.length, min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
  };
  const time = async (fn) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  const kept = () => host.call(route, {});
  const fresh = async () => readAnswer(await freshInstanceGlue.fetch(bridgeRequest(route, {})));
  await kept();
  await fresh();
  const keptTimes = [];
  const freshTimes = [];
  for (let i = 0; i < n; i++) {
    keptTimes.push(await time(kept));
    freshTimes.push(await time(fresh));
  }
  return { route, kept: stats(keptTimes), fresh: stats(freshTimes) };
}
