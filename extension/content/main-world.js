// Twinkey page script: runs in the page's MAIN world at document_start, in every frame (about:blank included),
// before any page script. It is small on purpose: every frame of every page parses it, and a page that never
// calls WebAuthn or U2F pays only for this part.
//
// What it does:
//   - captures the built-ins the page script needs, before any page script can patch them;
//   - replaces CredentialsContainer.prototype.create/get: `publicKey` requests (mediation absent, "optional" or
//     "required") go to Twinkey, everything else to the browser untouched;
//   - defines `window.u2f` (FIDO U2F JS API 1.1, with the 1.0 call forms) and emulates the transports Google's
//     u2f-api.js uses to reach Chrome's removed CryptoToken extension (`chrome.runtime.sendMessage/connect` to
//     kmendfapggjehodndflmmgagdbamhnfd and the u2f-comms.html iframe);
//   - on the first such call in the frame, asks the relay for the full part (extension/content/page-impl.js,
//     injected by the service worker) and hands it the captured built-ins; every call then runs there.
//
// Trust: this script lives in the page's world. The page can read, patch or forge everything here, so nothing
// here decides anything: Go, behind the service worker, takes the caller's origin from the browser and applies
// every rule. The script only serialises, relays and rebuilds.
(() => {
  'use strict';

  // ---- Built-ins captured before page scripts run ---------------------------------------------------------

  const ObjectCreate = Object.create;
  const ObjectDefineProperty = Object.defineProperty;
  const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectKeys = Object.keys;
  const ObjectFreeze = Object.freeze;
  const ReflectApply = Reflect.apply;
  const ArrayIsArray = Array.isArray;
  const JSONStringify = JSON.stringify;
  const JSONParse = JSON.parse;
  const MathTrunc = Math.trunc;
  const MathMin = Math.min;
  const NumberIsFinite = Number.isFinite;
  const StringCharCodeAt = String.prototype.charCodeAt;
  const SymbolIterator = Symbol.iterator;
  const PromiseCtor = Promise;
  const TypeErrorCtor = TypeError;
  const DOMExceptionCtor = DOMException;
  const EventCtor = Event;
  const Uint8ArrayCtor = Uint8Array;
  const ArrayBufferIsView = ArrayBuffer.isView;
  const ArrayBufferByteLength = getter(ArrayBuffer.prototype, 'byteLength');
  const ArrayBufferResizable = getter(ArrayBuffer.prototype, 'resizable');
  const TypedArrayPrototype = ObjectGetPrototypeOf(Uint8Array.prototype);
  const TypedArrayBuffer = getter(TypedArrayPrototype, 'buffer');
  const TypedArrayByteOffset = getter(TypedArrayPrototype, 'byteOffset');
  const TypedArrayByteLength = getter(TypedArrayPrototype, 'byteLength');
  const TypedArraySet = TypedArrayPrototype.set;
  const DataViewBuffer = getter(DataView.prototype, 'buffer');
  const DataViewByteOffset = getter(DataView.prototype, 'byteOffset');
  const DataViewByteLength = getter(DataView.prototype, 'byteLength');
  const AbortSignalAborted = getter(AbortSignal.prototype, 'aborted');
  const AbortSignalReason = getter(AbortSignal.prototype, 'reason');
  const EventTargetAddEventListener = EventTarget.prototype.addEventListener;
  const EventTargetRemoveEventListener = EventTarget.prototype.removeEventListener;
  const EventTargetDispatchEvent = EventTarget.prototype.dispatchEvent;
  const EventStopImmediatePropagation = Event.prototype.stopImmediatePropagation;
  const MessageEventData = getter(MessageEvent.prototype, 'data');
  const MessageEventSource = getter(MessageEvent.prototype, 'source');
  const MessagePortPostMessage = MessagePort.prototype.postMessage;
  const MessagePortCtor = MessagePort;
  const CryptoGetRandomValues = Crypto.prototype.getRandomValues;
  const cryptoObject = crypto;
  const windowObject = window;
  const windowPostMessage = window.postMessage;
  const setTimer = setTimeout;
  const clearTimer = clearTimeout;
  const locationObject = location; // its members are [LegacyUnforgeable] own properties: pages cannot patch them
  const ArraySlice = Array.prototype.slice;
  const ArraySort = Array.prototype.sort;

  function getter(proto, name) {
    const descriptor = ObjectGetOwnPropertyDescriptor(proto, name);
    return descriptor ? descriptor.get : undefined;
  }

  const webAuthnAvailable = windowObject.isSecureContext === true &&
    typeof CredentialsContainer === 'function' && typeof PublicKeyCredential === 'function' &&
    typeof AuthenticatorAttestationResponse === 'function' && typeof AuthenticatorAssertionResponse === 'function';
  const nativeCreate = webAuthnAvailable ? CredentialsContainer.prototype.create : undefined;
  const nativeGet = webAuthnAvailable ? CredentialsContainer.prototype.get : undefined;
  // The browser's own JSON parsers (W3C §5.1.11, §5.1.12; Chrome 129+): they turn the converted options back into
  // what the browser's navigator.credentials takes when Twinkey hands a request back.
  const nativeParseCreation = webAuthnAvailable ? PublicKeyCredential.parseCreationOptionsFromJSON : undefined;
  const nativeParseRequest = webAuthnAvailable ? PublicKeyCredential.parseRequestOptionsFromJSON : undefined;
  const CRYPTOTOKEN_ID = 'kmendfapggjehodndflmmgagdbamhnfd';
  const CRYPTOTOKEN_ORIGIN = 'chrome-extension://' + CRYPTOTOKEN_ID;
  const CRYPTOTOKEN_COMMS_URL = CRYPTOTOKEN_ORIGIN + '/u2f-comms.html';

  // ---- Answers from the relay ------------------------------------------------------------------------------

  // Requests waiting for the relay's answer, by request id (the full part adds them). A null-prototype object, so
  // page changes to Map.prototype or Object.prototype cannot reach it. The listener is registered here, at
  // document_start, before any page listener: our answers never reach the page's message listeners.
  const pendingAnswers = ObjectCreate(null);

  function onRelayMessage(event) {
    if (ReflectApply(MessageEventSource, event, []) !== windowObject) return;
    const data = ReflectApply(MessageEventData, event, []);
    if (data === null || typeof data !== 'object' || data.__twinkey !== 1 || data.dir !== 'to-page') return;
    const id = data.id;
    if (typeof id !== 'string') return;
    const deliver = pendingAnswers[id];
    if (deliver === undefined) return;
    delete pendingAnswers[id];
    ReflectApply(EventStopImmediatePropagation, event, []);
    deliver(data.ok === true ? {ok: true, result: data.result} : {ok: false, error: data.error});
  }

  ReflectApply(EventTargetAddEventListener, windowObject, ['message', onRelayMessage, true]);

  // ---- The full part, loaded on first use -----------------------------------------------------------------

  const BOOT = '__twinkeyBootPageScript';
  // The one answer the page script gives of its own: the full part was injected but did not start (a page script
  // took the boot function first, or it threw). Every other failure is the relay's or the service worker's.
  const NOT_STARTED = ObjectFreeze({name: 'NotReadableError', u2fCode: 1, message: 'Twinkey could not start its page script.'});
  let full = null;

  /**
   * loadFull answers the full part (page-impl.js's {webAuthnCeremony, u2f, handleCryptoTokenMessage}). The first
   * call asks the relay, which asks the service worker to inject page-impl.js into this frame; that script calls
   * the one-shot boot function defined here, which hands it the built-ins captured above. The injected script runs
   * before the service worker's answer comes back through the relay (id "load"), so an answer that finds no boot
   * means the full part could not start. A failure rejects with the relay's error object ({name, u2fCode,
   * message}: the service worker's, or the relay's own when the extension is gone), which the entry points carry
   * to the page; a later call tries again.
   */
  function loadFull() {
    if (full !== null) return full;
    full = new PromiseCtor((resolve, reject) => {
      let booted = false;
      const bootOnce = (factory) => {
        delete windowObject[BOOT];
        booted = true;
        try {
          resolve(factory(ObjectFreeze({
        ObjectCreate, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor, ObjectGetPrototypeOf, ObjectKeys,
        ObjectFreeze, ReflectApply, ArrayIsArray, JSONStringify, JSONParse, MathTrunc, MathMin, NumberIsFinite,
        StringCharCodeAt, SymbolIterator, PromiseCtor, TypeErrorCtor, DOMExceptionCtor, EventCtor, Uint8ArrayCtor,
        ArrayBufferIsView, ArrayBufferByteLength, ArrayBufferResizable, TypedArrayPrototype, TypedArrayBuffer,
        TypedArrayByteOffset, TypedArrayByteLength, TypedArraySet, DataViewBuffer, DataViewByteOffset,
        DataViewByteLength, AbortSignalAborted, AbortSignalReason, EventTargetAddEventListener,
        EventTargetRemoveEventListener, EventTargetDispatchEvent, EventStopImmediatePropagation, MessageEventData,
        MessageEventSource, MessagePortPostMessage, MessagePortCtor, CryptoGetRandomValues, cryptoObject,
        windowObject, windowPostMessage, setTimer, clearTimer, locationObject, ArraySlice, ArraySort,
        pendingAnswers, webAuthnAvailable, nativeCreate, nativeGet, nativeParseCreation, nativeParseRequest,
        CRYPTOTOKEN_ID, CRYPTOTOKEN_ORIGIN, CRYPTOTOKEN_COMMS_URL,
          })));
        } catch (error) {
          reject(NOT_STARTED);
        }
      };
      ObjectDefineProperty(windowObject, BOOT, {value: bootOnce, writable: false, enumerable: false, configurable: true});
      // The relay's answer (id "load") arrives through the answer listener registered at document_start.
      pendingAnswers.load = (answer) => {
        delete windowObject[BOOT];
        if (booted) return;
        reject(answer.ok === true || answer.error === null || typeof answer.error !== 'object' ? NOT_STARTED : answer.error);
      };
      let targetOrigin = '*';
      try {
        if (locationObject.origin !== 'null') targetOrigin = locationObject.origin;
      } catch {
        // keep '*': the message is posted to this very window either way
      }
      ReflectApply(windowPostMessage, windowObject, [{__twinkey: 1, dir: 'to-relay', id: 'load', op: 'load'}, targetOrigin]);
    });
    full.catch(() => { full = null; });
    return full;
  }

  /** asException turns the relay's error object into what a WebAuthn caller gets (the full part's mapping). */
  function asException(error) {
    return new DOMExceptionCtor(String(error.message), String(error.name));
  }

  // ---- WebAuthn entry points --------------------------------------------------------------------------------

  /**
   * twinkeyPublicKey decides which calls are ours: `publicKey` present, with `mediation` absent, "optional" or
   * "required". It returns the `publicKey` member (read once), or undefined for calls that stay with the
   * browser: password, federated, identity, otp and digital credentials, `conditional`, `immediate` and
   * `silent` mediation, and invalid mediation values (which the native binding rejects).
   */
  function twinkeyPublicKey(options) {
    if (options === null || (typeof options !== 'object' && typeof options !== 'function')) return undefined;
    const publicKey = options.publicKey;
    if (publicKey === undefined) return undefined;
    const mediation = options.mediation;
    if (!(mediation === undefined || mediation === 'optional' || mediation === 'required')) return undefined;
    return {options, publicKey, mediationRead: mediation};
  }

  function rejectedWith(error) {
    return new PromiseCtor((resolve, reject) => reject(error));
  }

  // Method shorthand: named, not constructible, like the native operations.
  const credentialMethods = {
    create(options) {
      let call;
      try {
        call = twinkeyPublicKey(options);
      } catch (error) {
        return rejectedWith(error);
      }
      if (call === undefined) return ReflectApply(nativeCreate, this, arguments);
      const thisArg = this;
      return loadFull().then((f) => f.webAuthnCeremony('create', thisArg, call), (e) => { throw asException(e); });
    },
    get(options) {
      let call;
      try {
        call = twinkeyPublicKey(options);
      } catch (error) {
        return rejectedWith(error);
      }
      if (call === undefined) return ReflectApply(nativeGet, this, arguments);
      const thisArg = this;
      return loadFull().then((f) => f.webAuthnCeremony('get', thisArg, call), (e) => { throw asException(e); });
    },
  };

  /** replaceMethod swaps a prototype method keeping its descriptor flags and its declared length. */
  function replaceMethod(target, name, replacement) {
    const descriptor = ObjectGetOwnPropertyDescriptor(target, name);
    if (descriptor === undefined || typeof descriptor.value !== 'function') return;
    ObjectDefineProperty(replacement, 'length', {value: descriptor.value.length, configurable: true});
    ObjectDefineProperty(target, name, {
      value: replacement,
      writable: descriptor.writable,
      enumerable: descriptor.enumerable,
      configurable: descriptor.configurable,
    });
  }

  if (webAuthnAvailable) {
    replaceMethod(CredentialsContainer.prototype, 'create', credentialMethods.create);
    replaceMethod(CredentialsContainer.prototype, 'get', credentialMethods.get);
  }

  // ---- FIDO U2F JavaScript API ------------------------------------------------------------------------------

  /** U2F JS API ErrorCode values (U2F JS API v1.1 §3.2.4). */
  const U2F_ERROR_CODES = ObjectFreeze({
    OK: 0, OTHER_ERROR: 1, BAD_REQUEST: 2, CONFIGURATION_UNSUPPORTED: 3, DEVICE_INELIGIBLE: 4, TIMEOUT: 5,
  });
  const U2F_JS_API_VERSION = 1.1;

  /** callLater invokes a page callback on a fresh task, never synchronously (U2F callbacks are async). */
  function callLater(callback, argument) {
    if (typeof callback !== 'function') return;
    setTimer(() => callback(argument), 0);
  }

  // window.u2f: register and sign run in the full part; a failed load carries the relay's error to the callback.
  function u2fCall(method, args) {
    loadFull().then((f) => ReflectApply(f.u2f[method], f.u2f, args), (error) => {
      const callback = ArrayIsArray(args[0]) ? args[method === 'register' ? 2 : 1] : args[3];
      callLater(callback, {errorCode: error.u2fCode, errorMessage: error.message});
    });
  }

  const u2f = {
    /**
     * register(appId, registerRequests, registeredKeys, callback, opt_timeoutSeconds)   (1.1), or
     * register(registerRequests, signRequests, callback, opt_timeoutSeconds)            (1.0: first arg an array)
     */
    register(appId, registerRequests, registeredKeys, callback, opt_timeoutSeconds) {
      u2fCall('register', [appId, registerRequests, registeredKeys, callback, opt_timeoutSeconds]);
    },
    /**
     * sign(appId, challenge, registeredKeys, callback, opt_timeoutSeconds)   (1.1), or
     * sign(signRequests, callback, opt_timeoutSeconds)                       (1.0: first arg an array)
     */
    sign(appId, challenge, registeredKeys, callback, opt_timeoutSeconds) {
      u2fCall('sign', [appId, challenge, registeredKeys, callback, opt_timeoutSeconds]);
    },
    getApiVersion(callback, opt_timeoutSeconds) {
      callLater(callback, {js_api_version: U2F_JS_API_VERSION});
    },
    ErrorCodes: U2F_ERROR_CODES,
  };
  // Firefox's U2F interface also exposes the codes as constants on the object (FFX U2F.webidl).
  const errorNames = ObjectKeys(U2F_ERROR_CODES);
  for (let i = 0; i < errorNames.length; i++) u2f[errorNames[i]] = U2F_ERROR_CODES[errorNames[i]];

  // A plain, writable, configurable property: Google's u2f-api.js assigns into it in strict mode.
  ObjectDefineProperty(windowObject, 'u2f', {value: u2f, writable: true, enumerable: true, configurable: true});

  // ---- CryptoToken transport emulation ----------------------------------------------------------------------

  /** handleCryptoTokenMessage answers one low-level CryptoToken request in the full part. */
  function handleCryptoTokenMessage(message) {
    return loadFull().then((f) => f.handleCryptoTokenMessage(message), (error) => ({
      type: 'u2f_error_response', requestId: message !== null && typeof message === 'object' ? message.requestId : undefined,
      responseData: {errorCode: error.u2fCode, errorMessage: error.message},
    }));
  }

  function deepCopyJSON(value) {
    return JSONParse(JSONStringify(value));
  }


  function copyMessage(message) {
    return message === undefined ? undefined : deepCopyJSON(message);
  }

  /** makeEvent returns a chrome.events.Event-like object over a listener list. */
  function makeEvent(listeners) {
    return {
      addListener(listener) {
        if (typeof listener === 'function' && !listeners.includes(listener)) listeners.push(listener);
      },
      removeListener(listener) {
        const index = listeners.indexOf(listener);
        if (index >= 0) listeners.splice(index, 1);
      },
      hasListener(listener) {
        return listeners.includes(listener);
      },
      hasListeners() {
        return listeners.length > 0;
      },
    };
  }

  /** cryptoTokenPort returns a runtime.Port-like object whose messages are answered by the emulation. */
  function cryptoTokenPort(name) {
    const messageListeners = [];
    const disconnectListeners = [];
    let connected = true;
    const port = {
      name,
      onMessage: makeEvent(messageListeners),
      onDisconnect: makeEvent(disconnectListeners),
      postMessage(message) {
        if (!connected) throw new Error('Attempting to use a disconnected port object');
        const copy = copyMessage(message);
        (async () => {
          const reply = await handleCryptoTokenMessage(copy);
          if (!connected) return;
          const listeners = messageListeners.slice();
          for (let i = 0; i < listeners.length; i++) listeners[i](copyMessage(reply), port);
        })();
      },
      disconnect() {
        connected = false;
      },
    };
    return port;
  }

  const NO_RECEIVER = 'Could not establish connection. Receiving end does not exist.';

  /**
   * installCryptoTokenRuntime makes chrome.runtime.sendMessage/connect reach the emulation for the CryptoToken
   * extension ID. An existing chrome.runtime (present when some extension is externally connectable) is
   * wrapped and keeps serving every other ID; a missing one is created, answering other IDs as Chrome does
   * when no extension listens.
   */
  function installCryptoTokenRuntime() {
    let chromeObject = windowObject.chrome;
    if (chromeObject === undefined || chromeObject === null) {
      chromeObject = {};
      ObjectDefineProperty(windowObject, 'chrome',
        {value: chromeObject, writable: true, enumerable: true, configurable: true});
    }
    if (typeof chromeObject !== 'object') return;
    let runtime;
    try {
      runtime = chromeObject.runtime;
    } catch {
      return;
    }
    const created = runtime === undefined || runtime === null;
    if (created) runtime = {};
    const originalSendMessage = created ? undefined : runtime.sendMessage;
    const originalConnect = created ? undefined : runtime.connect;

    function withLastError(callback, args) {
      runtime.lastError = {message: NO_RECEIVER};
      try {
        ReflectApply(callback, undefined, args);
      } finally {
        delete runtime.lastError;
      }
    }

    const methods = {
      sendMessage(...args) {
        if (args[0] !== CRYPTOTOKEN_ID) {
          if (typeof originalSendMessage === 'function') return ReflectApply(originalSendMessage, this, args);
          const callback = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined;
          if (callback === undefined) return rejectedWith(new Error(NO_RECEIVER));
          setTimer(() => withLastError(callback, []), 0);
          return undefined;
        }
        const message = copyMessage(args[1]);
        const callback = args.length > 2 && typeof args[args.length - 1] === 'function' ? args[args.length - 1] :
          undefined;
        const replied = handleCryptoTokenMessage(message);
        if (callback === undefined) return replied;
        (async () => {
          const reply = await replied;
          setTimer(() => callback(reply), 0);
        })();
        return undefined;
      },
      connect(...args) {
        const connectInfo = typeof args[0] === 'string' ? args[1] : args[0];
        const name = connectInfo !== null && typeof connectInfo === 'object' && typeof connectInfo.name === 'string' ?
          connectInfo.name : '';
        if (args[0] === CRYPTOTOKEN_ID) return cryptoTokenPort(name);
        if (typeof originalConnect === 'function') return ReflectApply(originalConnect, this, args);
        const port = cryptoTokenPort(name);
        port.disconnect();
        const disconnectListeners = [];
        port.onDisconnect = makeEvent(disconnectListeners);
        setTimer(() => {
          const listeners = disconnectListeners.slice();
          for (let i = 0; i < listeners.length; i++) withLastError(listeners[i], [port]);
        }, 0);
        return port;
      },
    };
    for (const name of ['sendMessage', 'connect']) {
      try {
        ObjectDefineProperty(runtime, name,
          {value: methods[name], writable: true, enumerable: true, configurable: true});
      } catch {
        // a non-configurable binding: leave it alone
      }
    }
    if (created) {
      ObjectDefineProperty(chromeObject, 'runtime',
        {value: runtime, writable: true, enumerable: true, configurable: true});
    }
  }

  /**
   * Iframe transport (GRC u2f-api.js getIframePort_): the shim creates
   * <iframe src="chrome-extension://kmendf…/u2f-comms.html">, waits for its `load`, posts 'init' with a
   * MessageChannel port to it, and expects 'ready' on that port before sending §2.5 requests. No extension
   * serves that URL any more, so such an iframe is kept on its initial about:blank document, its window's
   * postMessage takes the 'init', and the port is answered here.
   */
  function installCryptoTokenIframe() {
    if (typeof HTMLIFrameElement !== 'function') return;
    const srcDescriptor = ObjectGetOwnPropertyDescriptor(HTMLIFrameElement.prototype, 'src');
    if (srcDescriptor === undefined || typeof srcDescriptor.set !== 'function' || !srcDescriptor.configurable) return;
    const nativeSetSrc = srcDescriptor.set;
    const accessors = {
      set src(value) {
        if (typeof value === 'string' && value === CRYPTOTOKEN_COMMS_URL) {
          emulateCommsIframe(this);
          return;
        }
        ReflectApply(nativeSetSrc, this, [value]);
      },
    };
    ObjectDefineProperty(HTMLIFrameElement.prototype, 'src', {
      get: srcDescriptor.get,
      set: ObjectGetOwnPropertyDescriptor(accessors, 'src').set,
      enumerable: srcDescriptor.enumerable,
      configurable: true,
    });
  }

  function emulateCommsIframe(iframe) {
    let attempts = 0;
    const attach = () => {
      const frameWindow = iframe.isConnected ? iframe.contentWindow : null;
      if (frameWindow === null) {
        if (++attempts < 100) setTimer(attach, 50);
        return;
      }
      const originalPostMessage = frameWindow.postMessage;
      frameWindow.postMessage = function postMessage(message, targetOrigin, transfer) {
        let ports = transfer;
        let origin = targetOrigin;
        if (targetOrigin !== null && typeof targetOrigin === 'object') {
          origin = targetOrigin.targetOrigin;
          ports = targetOrigin.transfer;
        }
        if (message === 'init' && origin === CRYPTOTOKEN_ORIGIN && ArrayIsArray(ports) &&
            ports[0] instanceof MessagePortCtor) {
          serveCommsPort(ports[0]);
          return;
        }
        return ReflectApply(originalPostMessage, this, arguments);
      };
      ReflectApply(EventTargetDispatchEvent, iframe, [new EventCtor('load')]);
    };
    setTimer(attach, 0);
  }

  function serveCommsPort(port) {
    ReflectApply(EventTargetAddEventListener, port, ['message', async (event) => {
      const reply = await handleCryptoTokenMessage(copyMessage(ReflectApply(MessageEventData, event, [])));
      ReflectApply(MessagePortPostMessage, port, [reply]);
    }]);
    port.start();
    ReflectApply(MessagePortPostMessage, port, ['ready']);
  }

  installCryptoTokenRuntime();
  installCryptoTokenIframe();
})();
