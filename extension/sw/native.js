// The native messaging host (`twinkey-host`, nativehost/PROTOCOL.md): USB security keys.
//
// One long-lived chrome.runtime.connectNative port, opened on demand and reopened after a disconnect. Each request
// gets an id unique among those in flight, any number of progress events and exactly one final reply (result or
// error). A disconnect fails every request in flight: with chrome.runtime.lastError "Specified native messaging
// host not found." (or "forbidden") the host is not installed for this browser, anything else means it exited.

export const HOST_NAME = 'com.twinkey.host';
export const HOST_PROTOCOL = 1;

/** Codes of host errors (nativehost/PROTOCOL.md "error") plus the two the port itself produces. */
export const HostCode = Object.freeze({
  NOT_INSTALLED: 'not-installed', // connectNative found no host manifest (or it does not list this extension)
  DISCONNECTED: 'disconnected',   // the host exited mid-request
  CANCELLED: 'cancelled',
  KEY_REMOVED: 'key-removed',
});

/** Progress events the host sends (nativehost/PROTOCOL.md "progress"). */
export const HostEvent = Object.freeze({
  INSERT_KEY: 'insert-key',
  TOUCH: 'touch',
  PIN_NEEDED: 'pin-needed',
  PIN_WRONG: 'pin-wrong',
  KEY_REMOVED: 'key-removed',
  CHOOSE_ACCOUNT: 'choose-account',
});

export const NOT_INSTALLED_MESSAGE = "Twinkey's USB helper is not installed: run twinkey-host install.";

/** HostError is a host's error reply, or a port failure (HostCode.NOT_INSTALLED, HostCode.DISCONNECTED). */
export class HostError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'HostError';
    this.code = code;
  }
}

// An open native port keeps the service worker alive (Chrome 105+) and the host process running: the port is
// closed after this long without a request in flight, and reopened by the next one.
const IDLE_DISCONNECT_MS = 60_000;

// The host answers hello quickly; a host that says nothing for this long is treated as broken.
const HELLO_TIMEOUT_MS = 5_000;

/**
 * NativeHost talks to twinkey-host. connect is chrome.runtime.connectNative (injectable for tests).
 *   request(type, params, onProgress) -> {id, done: Promise<result>} (rejects with HostError)
 *   cancel(id), pin(id, pin), choose(id, index), status()
 */
export class NativeHost {
  #connect;
  #port = null;
  #seq = 0;
  #pending = new Map(); // id -> {resolve, reject, onProgress}
  #lastHello = null;
  #idleTimer = undefined;

  constructor(connect = (name) => chrome.runtime.connectNative(name)) {
    this.#connect = connect;
  }

  #ensurePort() {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (this.#port) return this.#port;
    const port = this.#connect(HOST_NAME);
    port.onMessage.addListener((msg) => this.#onMessage(msg));
    port.onDisconnect.addListener(() => {
      // Reading lastError here is what tells "not installed" apart from "exited" (and keeps Chrome from logging
      // an unchecked error).
      const why = chrome.runtime.lastError?.message ?? '';
      if (this.#port === port) this.#port = null;
      const notInstalled = /not found|forbidden/i.test(why);
      const error = notInstalled
        ? new HostError(HostCode.NOT_INSTALLED, NOT_INSTALLED_MESSAGE)
        : new HostError(HostCode.DISCONNECTED, `Twinkey's USB helper stopped${why ? ` (${why})` : ''}.`);
      const pending = [...this.#pending.values()];
      this.#pending.clear();
      for (const p of pending) p.reject(error);
    });
    this.#port = port;
    return port;
  }

  #onMessage(msg) {
    if (!msg || typeof msg !== 'object' || typeof msg.id !== 'string') return;
    const p = this.#pending.get(msg.id);
    if (!p) return; // a reply to a request already given up (or id "" for a frame the host could not read)
    switch (msg.type) {
      case 'progress':
        if (msg.progress && typeof msg.progress.event === 'string') p.onProgress?.(msg.progress);
        return;
      case 'result':
        this.#pending.delete(msg.id);
        this.#idleLater();
        p.resolve(msg.result ?? {});
        return;
      case 'error': {
        this.#pending.delete(msg.id);
        this.#idleLater();
        const e = msg.error && typeof msg.error === 'object' ? msg.error : {};
        p.reject(new HostError(typeof e.code === 'string' ? e.code : 'internal',
          typeof e.message === 'string' ? e.message.slice(0, 300) : ''));
      }
    }
  }

  // #idleLater closes the port once nothing has been in flight for IDLE_DISCONNECT_MS.
  #idleLater() {
    if (this.#pending.size > 0 || !this.#port) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#pending.size > 0 || !this.#port) return;
      const port = this.#port;
      this.#port = null;
      port.disconnect(); // the host sees EOF and exits 0
    }, IDLE_DISCONNECT_MS);
  }

  /** request sends {id, type, params}; done settles with the final reply. */
  request(type, params, onProgress) {
    const id = `n${++this.#seq}`;
    const done = new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress });
      try {
        const msg = { id, type };
        if (params !== undefined) msg.params = params;
        this.#ensurePort().postMessage(msg);
      } catch (e) {
        this.#pending.delete(id);
        reject(new HostError(HostCode.DISCONNECTED, `Twinkey's USB helper is not reachable (${e?.message}).`));
      }
    });
    return { id, done };
  }

  /** cancel asks the host to end request id (its reply is then `cancelled`); harmless when id is finished. */
  cancel(id) {
    if (!this.#pending.has(id)) return;
    this.request('cancel', { target: id }).done.catch(() => {});
  }

  /** pin answers a pin-needed / pin-wrong question of request id. The PIN is not kept here. */
  pin(id, pin) {
    return this.request('pin', { target: id, pin }).done;
  }

  /** choose answers a choose-account question of request id with the index of the chosen account. */
  choose(id, index) {
    return this.request('choose', { target: id, index }).done;
  }

  /**
   * status answers {installed: true, hello, devices} or {installed: false, message}: hello and devices as the
   * host sends them (nativehost/PROTOCOL.md), devices' error text included.
   */
  async status() {
    try {
      const hello = await this.hello();
      const { devices } = await this.request('devices').done;
      return { installed: true, hello, devices: Array.isArray(devices) ? devices : [] };
    } catch (e) {
      if (e instanceof HostError && e.code === HostCode.NOT_INSTALLED) return { installed: false, message: e.message };
      return { installed: true, error: e?.message ?? String(e) };
    }
  }

  /** lastHello is the last hello result (null before the first), e.g. to say loudly that the key is simulated. */
  get lastHello() {
    return this.#lastHello;
  }

  /** hello answers the host's hello result; rejects with HostError (NOT_INSTALLED when it is not installed). */
  hello() {
    const { id, done } = this.request('hello');
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new HostError(HostCode.DISCONNECTED, "Twinkey's USB helper did not answer."));
      }, HELLO_TIMEOUT_MS);
    });
    return Promise.race([done, timeout]).then((hello) => {
      this.#lastHello = hello;
      return hello;
    }).finally(() => clearTimeout(timer));
  }

  /** available says whether the host answers hello (connecting if needed). */
  async available() {
    try {
      const hello = await this.hello();
      return hello?.protocol === HOST_PROTOCOL;
    } catch {
      return false;
    }
  }
}
