// Twinkey page script, its full part: WebIDL conversion of the WebAuthn dictionaries, the channel to the relay,
// the PublicKeyCredential objects built from Go's answers, the U2F JS API calls and the CryptoToken messages.
//
// The service worker injects it (chrome.scripting, MAIN world) into a frame the first time a page there calls
// navigator.credentials or window.u2f: extension/content/main-world.js, the small part that runs in every frame at
// document_start, installs the entry points and hands this part the built-ins it captured before any page script
// ran (through its one-shot boot function), so a page that patched them since breaks neither part by accident.
//
// Trust: as main-world.js: this runs in the page's world, decides nothing, and only converts and rebuilds.
(() => {
  'use strict';

  const boot = window.__twinkeyBootPageScript;
  if (typeof boot !== 'function') return;
  boot((shared) => {
    const {
      ObjectCreate, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor, ObjectGetPrototypeOf, ObjectKeys,
      ObjectFreeze, ReflectApply, ArrayIsArray, JSONStringify, JSONParse, MathTrunc, MathMin, NumberIsFinite,
      StringCharCodeAt, SymbolIterator, PromiseCtor, TypeErrorCtor, DOMExceptionCtor, EventCtor,
      Uint8ArrayCtor, ArrayBufferIsView, ArrayBufferByteLength, ArrayBufferResizable, TypedArrayPrototype,
      TypedArrayBuffer, TypedArrayByteOffset, TypedArrayByteLength, TypedArraySet, DataViewBuffer,
      DataViewByteOffset, DataViewByteLength, AbortSignalAborted, AbortSignalReason,
      EventTargetAddEventListener, EventTargetRemoveEventListener, EventTargetDispatchEvent,
      EventStopImmediatePropagation, MessageEventData, MessageEventSource, MessagePortPostMessage,
      MessagePortCtor, CryptoGetRandomValues, cryptoObject, windowObject, windowPostMessage, setTimer,
      clearTimer, locationObject, ArraySlice, ArraySort, pendingAnswers, webAuthnAvailable, nativeCreate, nativeGet,
      nativeParseCreation, nativeParseRequest, CRYPTOTOKEN_ID, CRYPTOTOKEN_ORIGIN, CRYPTOTOKEN_COMMS_URL,
    } = shared;
    // ---- base64url (RFC 4648 §5, no padding) ----------------------------------------------------------------

    const B64U_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const B64U_VALUES = (() => {
      const table = new Int16Array(128).fill(-1);
      for (let i = 0; i < 64; i++) table[ReflectApply(StringCharCodeAt, B64U_ALPHABET, [i])] = i;
      return table;
    })();

    /** bytesToB64u encodes a Uint8Array as unpadded base64url. */
    function bytesToB64u(bytes) {
      let out = '';
      const n = bytes.length;
      let i = 0;
      for (; i + 2 < n; i += 3) {
        const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
        out += B64U_ALPHABET[v >> 18] + B64U_ALPHABET[(v >> 12) & 63] + B64U_ALPHABET[(v >> 6) & 63] +
          B64U_ALPHABET[v & 63];
      }
      if (n - i === 1) {
        const v = bytes[i] << 16;
        out += B64U_ALPHABET[v >> 18] + B64U_ALPHABET[(v >> 12) & 63];
      } else if (n - i === 2) {
        const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
        out += B64U_ALPHABET[v >> 18] + B64U_ALPHABET[(v >> 12) & 63] + B64U_ALPHABET[(v >> 6) & 63];
      }
      return out;
    }

    /**
     * b64uToBuffer decodes unpadded base64url into a fresh ArrayBuffer. It returns null for anything else
     * (wrong characters, padding, an impossible length, non-zero trailing bits are tolerated like atob does).
     */
    function b64uToBuffer(text) {
      if (typeof text !== 'string') return null;
      const n = text.length;
      if (n % 4 === 1) return null;
      const out = new Uint8ArrayCtor(((n * 3) >> 2));
      let acc = 0;
      let bits = 0;
      let o = 0;
      for (let i = 0; i < n; i++) {
        const c = ReflectApply(StringCharCodeAt, text, [i]);
        const v = c < 128 ? B64U_VALUES[c] : -1;
        if (v < 0) return null;
        acc = ((acc << 6) | v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          out[o++] = (acc >> bits) & 0xff;
        }
      }
      return out.buffer;
    }

    // ---- WebIDL conversions (WebIDL §3.2) for the WebAuthn dictionaries ---------------------------------------

    function typeError(message) {
      return new TypeErrorCtor(message);
    }

    /** toDictionary: WebIDL dictionary conversion of a value: undefined/null are the empty dictionary. */
    function toDictionary(value, what) {
      if (value === undefined || value === null) return {};
      if (typeof value !== 'object' && typeof value !== 'function') {
        throw typeError(`Failed to read '${what}': the value is not of type '${what}'.`);
      }
      return value;
    }

    function requiredMember(dictionary, name, what) {
      const value = dictionary[name];
      if (value === undefined) {
        throw typeError(`Failed to read the '${name}' property from '${what}': Required member is undefined.`);
      }
      return value;
    }

    /** toDOMString: ECMAScript ToString, which throws on symbols (WebIDL §3.2.10). */
    function toDOMString(value) {
      if (typeof value === 'symbol') throw typeError('Cannot convert a Symbol value to a string.');
      return `${value}`;
    }

    /** toLong: WebIDL `long` (§3.2.4, ConvertToInt with bit length 32, signed, no clamp/enforce). */
    function toLong(value) {
      const number = +value; // throws on Symbol and BigInt, as ToNumber does
      if (!NumberIsFinite(number)) return 0;
      return MathTrunc(number) | 0;
    }

    /** toUnsignedLong: WebIDL `unsigned long`. */
    function toUnsignedLong(value) {
      const number = +value;
      if (!NumberIsFinite(number)) return 0;
      return MathTrunc(number) >>> 0;
    }

    /**
     * bufferSourceBytes returns a copy of the bytes of an ArrayBuffer or ArrayBufferView (from any realm), or
     * null if the value is not a BufferSource. Shared and resizable buffers are not BufferSources (WebIDL §3.2.26).
     */
    function bufferSourceBytes(value) {
      if (value === null || typeof value !== 'object') return null;
      let buffer;
      let offset;
      let length;
      if (ArrayBufferIsView(value)) {
        try {
          buffer = ReflectApply(TypedArrayBuffer, value, []);
          offset = ReflectApply(TypedArrayByteOffset, value, []);
          length = ReflectApply(TypedArrayByteLength, value, []);
        } catch {
          buffer = ReflectApply(DataViewBuffer, value, []);
          offset = ReflectApply(DataViewByteOffset, value, []);
          length = ReflectApply(DataViewByteLength, value, []);
        }
      } else {
        try {
          length = ReflectApply(ArrayBufferByteLength, value, []); // brand check: throws for non-ArrayBuffers
        } catch {
          return null;
        }
        buffer = value;
        offset = 0;
      }
      try {
        ReflectApply(ArrayBufferByteLength, buffer, []);
        if (ArrayBufferResizable && ReflectApply(ArrayBufferResizable, buffer, [])) return null;
      } catch {
        return null; // a SharedArrayBuffer
      }
      const copy = new Uint8ArrayCtor(length);
      ReflectApply(TypedArraySet, copy, [new Uint8ArrayCtor(buffer, offset, length)]);
      return copy;
    }

    function toBufferSourceB64u(value, name, what) {
      const bytes = bufferSourceBytes(value);
      if (bytes === null) {
        throw typeError(`Failed to read the '${name}' property from '${what}': ` +
          "The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.");
      }
      return bytesToB64u(bytes);
    }

    /** toSequence: WebIDL sequence<T> conversion (§3.2.27): any iterable object. */
    function toSequence(value, name, what, convertItem) {
      if (value === null || (typeof value !== 'object' && typeof value !== 'function') ||
          typeof value[SymbolIterator] !== 'function') {
        throw typeError(`Failed to read the '${name}' property from '${what}': The object must have a callable ` +
          '@@iterator property.');
      }
      const out = [];
      for (const item of value) out[out.length] = convertItem(item);
      return out;
    }

    function optionalStringSequence(dictionary, name, what) {
      const value = dictionary[name];
      return value === undefined ? [] : toSequence(value, name, what, toDOMString);
    }

    function credentialDescriptorToJSON(value) {
      const what = 'PublicKeyCredentialDescriptor';
      const descriptor = toDictionary(value, what);
      const id = toBufferSourceB64u(requiredMember(descriptor, 'id', what), 'id', what);
      const transportsValue = descriptor.transports;
      const transports = transportsValue === undefined ? undefined :
        toSequence(transportsValue, 'transports', what, toDOMString);
      const type = toDOMString(requiredMember(descriptor, 'type', what));
      const out = {id, type};
      if (transports !== undefined) out.transports = transports;
      return out;
    }

    /**
     * The members of AuthenticationExtensionsClientInputs that Chromium 156's binding reads, in its order
     * (lexicographic, WebIDL §3.2.17). Other extension inputs are dropped, as the browser drops them (W3C §9).
     */
    const CLIENT_EXTENSION_INPUTS = ObjectFreeze(['appid', 'appidExclude', 'credBlob', 'credProps',
      'credentialProtectionPolicy', 'enforceCredentialProtectionPolicy', 'getCredBlob', 'hmacCreateSecret',
      'largeBlob', 'minPinLength', 'prf', 'uvm']);

    /**
     * extensionInputToJSON converts one extension input to its JSON form generically: every BufferSource
     * becomes base64url, dictionaries (members in lexicographic order) and arrays are walked, functions and
     * undefined are dropped. The service worker validates each extension it implements.
     */
    function extensionInputToJSON(value, depth) {
      if (depth > 8) throw typeError("Failed to read the 'extensions' property: nested too deeply.");
      if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
      if (typeof value === 'number') return NumberIsFinite(value) ? value : null;
      if (typeof value !== 'object') return undefined;
      const bytes = bufferSourceBytes(value);
      if (bytes !== null) return bytesToB64u(bytes);
      if (ArrayIsArray(value)) {
        const out = [];
        for (let i = 0; i < value.length; i++) {
          const item = extensionInputToJSON(value[i], depth + 1);
          out[out.length] = item === undefined ? null : item;
        }
        return out;
      }
      const out = {};
      const keys = ReflectApply(ArraySort, ObjectKeys(value), []);
      for (let i = 0; i < keys.length; i++) {
        const item = extensionInputToJSON(value[keys[i]], depth + 1);
        if (item !== undefined) out[keys[i]] = item;
      }
      return out;
    }

    function optionalExtensions(dictionary) {
      const value = dictionary.extensions;
      if (value === undefined) return undefined;
      const inputs = toDictionary(value, 'AuthenticationExtensionsClientInputs');
      const out = {};
      for (let i = 0; i < CLIENT_EXTENSION_INPUTS.length; i++) {
        const name = CLIENT_EXTENSION_INPUTS[i];
        const input = inputs[name];
        if (input === undefined) continue;
        const json = extensionInputToJSON(input, 1);
        if (json !== undefined) out[name] = json;
      }
      return out;
    }

    /**
     * creationOptionsToJSON converts PublicKeyCredentialCreationOptions (W3C §5.4) into
     * PublicKeyCredentialCreationOptionsJSON (§5.1.8), throwing TypeError where the WebIDL binding would.
     * Members are read in the binding's order (lexicographic), so page getters observe the same sequence.
     */
    function creationOptionsToJSON(value) {
      const what = 'PublicKeyCredentialCreationOptions';
      const options = toDictionary(value, what);
      const attestationValue = options.attestation;
      const attestation = attestationValue === undefined ? 'none' : toDOMString(attestationValue);
      // attestationFormats (L3) is not read: Chromium 156's binding does not know it, so it has no effect there.
      const selectionValue = options.authenticatorSelection;
      let authenticatorSelection;
      if (selectionValue !== undefined) {
        const selection = toDictionary(selectionValue, 'AuthenticatorSelectionCriteria');
        authenticatorSelection = {};
        const attachment = selection.authenticatorAttachment;
        if (attachment !== undefined) authenticatorSelection.authenticatorAttachment = toDOMString(attachment);
        authenticatorSelection.requireResidentKey = !!selection.requireResidentKey;
        const residentKey = selection.residentKey;
        if (residentKey !== undefined) authenticatorSelection.residentKey = toDOMString(residentKey);
        const userVerification = selection.userVerification;
        authenticatorSelection.userVerification =
          userVerification === undefined ? 'preferred' : toDOMString(userVerification);
      }
      const challenge = toBufferSourceB64u(requiredMember(options, 'challenge', what), 'challenge', what);
      const excludeValue = options.excludeCredentials;
      const excludeCredentials = excludeValue === undefined ? [] :
        toSequence(excludeValue, 'excludeCredentials', what, credentialDescriptorToJSON);
      const extensions = optionalExtensions(options);
      const hints = optionalStringSequence(options, 'hints', what);
      const pubKeyCredParams = toSequence(requiredMember(options, 'pubKeyCredParams', what), 'pubKeyCredParams',
        what, (item) => {
          const paramsWhat = 'PublicKeyCredentialParameters';
          const params = toDictionary(item, paramsWhat);
          const alg = toLong(requiredMember(params, 'alg', paramsWhat));
          const type = toDOMString(requiredMember(params, 'type', paramsWhat));
          return {type, alg};
        });
      const rpWhat = 'PublicKeyCredentialRpEntity';
      const rpValue = toDictionary(requiredMember(options, 'rp', what), rpWhat);
      const rpName = toDOMString(requiredMember(rpValue, 'name', rpWhat)); // inherited member first (WebIDL §3.2.17)
      const rpId = rpValue.id;
      const rp = {};
      if (rpId !== undefined) rp.id = toDOMString(rpId);
      rp.name = rpName;
      const timeoutValue = options.timeout;
      const timeout = timeoutValue === undefined ? undefined : toUnsignedLong(timeoutValue);
      const userWhat = 'PublicKeyCredentialUserEntity';
      const userValue = toDictionary(requiredMember(options, 'user', what), userWhat);
      const userName = toDOMString(requiredMember(userValue, 'name', userWhat));
      const displayName = toDOMString(requiredMember(userValue, 'displayName', userWhat));
      const userIdBytes = bufferSourceBytes(requiredMember(userValue, 'id', userWhat));
      if (userIdBytes === null) {
        throw typeError(`Failed to read the 'id' property from '${userWhat}': ` +
          "The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.");
      }
      // W3C §5.1.3 step 5: user.id must be 1 to 64 bytes.
      if (userIdBytes.length < 1 || userIdBytes.length > 64) {
        throw typeError('The `user.id` attribute must be between 1 and 64 bytes long.');
      }
      const json = {
        rp,
        user: {id: bytesToB64u(userIdBytes), name: userName, displayName},
        challenge,
        pubKeyCredParams,
      };
      if (timeout !== undefined) json.timeout = timeout;
      json.excludeCredentials = excludeCredentials;
      if (authenticatorSelection !== undefined) json.authenticatorSelection = authenticatorSelection;
      json.hints = hints;
      json.attestation = attestation;
      json.attestationFormats = [];
      if (extensions !== undefined) json.extensions = extensions;
      return json;
    }

    /** requestOptionsToJSON converts PublicKeyCredentialRequestOptions (W3C §5.5) to its JSON form (§5.1.9). */
    function requestOptionsToJSON(value) {
      const what = 'PublicKeyCredentialRequestOptions';
      const options = toDictionary(value, what);
      const allowValue = options.allowCredentials;
      const allowCredentials = allowValue === undefined ? [] :
        toSequence(allowValue, 'allowCredentials', what, credentialDescriptorToJSON);
      const challenge = toBufferSourceB64u(requiredMember(options, 'challenge', what), 'challenge', what);
      const extensions = optionalExtensions(options);
      const hints = optionalStringSequence(options, 'hints', what);
      const rpIdValue = options.rpId;
      const rpId = rpIdValue === undefined ? undefined : toDOMString(rpIdValue);
      const timeoutValue = options.timeout;
      const timeout = timeoutValue === undefined ? undefined : toUnsignedLong(timeoutValue);
      const userVerificationValue = options.userVerification;
      const userVerification = userVerificationValue === undefined ? 'preferred' : toDOMString(userVerificationValue);
      const json = {challenge};
      if (timeout !== undefined) json.timeout = timeout;
      if (rpId !== undefined) json.rpId = rpId;
      json.allowCredentials = allowCredentials;
      json.userVerification = userVerification;
      json.hints = hints;
      if (extensions !== undefined) json.extensions = extensions;
      return json;
    }

    /** toAbortSignal: the `signal` member, brand-checked so that signals from other same-origin realms pass. */
    function toAbortSignal(value) {
      if (value === undefined) return null;
      try {
        ReflectApply(AbortSignalAborted, value, []);
      } catch {
        throw typeError("Failed to read the 'signal' property: The provided value is not of type 'AbortSignal'.");
      }
      return value;
    }

    function signalAborted(signal) {
      return ReflectApply(AbortSignalAborted, signal, []);
    }

    function signalReason(signal) {
      return ReflectApply(AbortSignalReason, signal, []);
    }

    // ---- Page <-> relay channel (extension/MESSAGES.md §1) -------------------------------------------------

    function newRequestId() {
      const bytes = new Uint8ArrayCtor(12);
      ReflectApply(CryptoGetRandomValues, cryptoObject, [bytes]);
      return 'r-' + bytesToB64u(bytes);
    }

    function postToRelay(id, op, payload) {
      let targetOrigin = '*';
      try {
        const origin = locationObject.origin;
        if (origin !== 'null') targetOrigin = origin;
      } catch {
        // keep '*': the message is posted to this very window either way
      }
      ReflectApply(windowPostMessage, windowObject,
        [{__twinkey: 1, dir: 'to-relay', id, op, payload}, targetOrigin]);
    }

    // pendingAnswers (requests waiting for the relay's answer, by id) is the small part's: its listener, registered
    // at document_start before any page listener, delivers the answers and keeps them from the page.

    /**
     * exchange sends one request to the relay and resolves with its answer ({ok, result} or {ok, error}). It rejects
     * with `signal.reason` if the signal aborts first, and then tells the relay to abort the request (op "abort").
     * Timeouts are the service worker's: its answer says when one passed.
     */
    function exchange(op, payload, signal) {
      return new PromiseCtor((resolve, reject) => {
        const id = newRequestId();
        let settled = false;
        const finish = () => {
          settled = true;
          delete pendingAnswers[id];
          if (signal !== null) ReflectApply(EventTargetRemoveEventListener, signal, ['abort', onAbort]);
        };
        const onAbort = () => {
          if (settled) return;
          finish();
          postToRelay(id, 'abort', {});
          reject(signalReason(signal));
        };
        pendingAnswers[id] = (answer) => {
          if (settled) return;
          finish();
          resolve(answer);
        };
        if (signal !== null) ReflectApply(EventTargetAddEventListener, signal, ['abort', onAbort]);
        postToRelay(id, op, payload);
      });
    }

    // ---- WebAuthn ---------------------------------------------------------------------------------------------


    const WEBAUTHN_NOT_ALLOWED_MESSAGE = 'The operation either timed out or was not allowed. ' +
      'See: https://www.w3.org/TR/webauthn-2/#sctn-privacy-considerations-client.';


    /**
     * errorToException is the one mapping from a relayed error ({name, message}) to what the page sees:
     * TypeError for "TypeError", otherwise DOMException(message, name) (W3C §5.1.3/§5.1.4 error names).
     */
    function errorToException(error) {
      const name = error !== null && typeof error === 'object' && typeof error.name === 'string' ?
        error.name : 'NotAllowedError';
      const message = error !== null && typeof error === 'object' && typeof error.message === 'string' ?
        error.message : WEBAUTHN_NOT_ALLOWED_MESSAGE;
      if (name === 'TypeError') return new TypeErrorCtor(message);
      return new DOMExceptionCtor(message, name);
    }

    function malformedAnswer(what) {
      return new DOMExceptionCtor(`Twinkey returned a malformed ${what}.`, 'NotReadableError');
    }

    function decodeRequired(text, what) {
      const buffer = b64uToBuffer(text);
      if (buffer === null) throw malformedAnswer(what);
      return buffer;
    }

    function deepCopyJSON(value) {
      return JSONParse(JSONStringify(value));
    }

    /** defineReadOnly gives obj own enumerable accessors that shadow the native prototype getters. */
    function defineReadOnly(obj, values) {
      const names = ObjectKeys(values);
      for (let i = 0; i < names.length; i++) {
        const value = values[names[i]];
        ObjectDefineProperty(obj, names[i], {get: () => value, enumerable: true, configurable: true});
      }
    }

    /** defineMethods gives obj own non-constructible methods that shadow the native prototype methods. */
    function defineMethods(obj, methods) {
      const names = ObjectKeys(methods);
      for (let i = 0; i < names.length; i++) {
        ObjectDefineProperty(obj, names[i],
          {value: methods[names[i]], writable: true, enumerable: true, configurable: true});
      }
    }

    /**
     * clientExtensionResultsFromJSON turns AuthenticationExtensionsClientOutputsJSON into the native shape:
     * the base64url members defined as ArrayBuffers in L3 (prf.results.first/second, largeBlob.blob) are decoded.
     */
    function clientExtensionResultsFromJSON(json) {
      const results = json !== null && typeof json === 'object' ? deepCopyJSON(json) : {};
      const prf = results.prf;
      if (prf !== null && typeof prf === 'object' && prf.results !== null && typeof prf.results === 'object') {
        if (typeof prf.results.first === 'string') prf.results.first = decodeRequired(prf.results.first, 'prf result');
        if (typeof prf.results.second === 'string') {
          prf.results.second = decodeRequired(prf.results.second, 'prf result');
        }
      }
      const largeBlob = results.largeBlob;
      if (largeBlob !== null && typeof largeBlob === 'object' && typeof largeBlob.blob === 'string') {
        largeBlob.blob = decodeRequired(largeBlob.blob, 'largeBlob result');
      }
      return results;
    }

    /**
     * credentialFromJSON builds a PublicKeyCredential look-alike from RegistrationResponseJSON (W3C §5.1.8) or
     * AuthenticationResponseJSON (§5.1.9). instanceof holds (the prototypes are the native ones); every member
     * the native prototypes define as accessors or methods is shadowed by an own property, since the native ones
     * throw "Illegal invocation" on objects the browser did not create.
     */
    function credentialFromJSON(kind, untrustedJSON) {
      if (untrustedJSON === null || typeof untrustedJSON !== 'object') throw malformedAnswer('credential');
      const json = deepCopyJSON(untrustedJSON);
      const response = json.response;
      if (response === null || typeof response !== 'object' || json.type !== 'public-key') {
        throw malformedAnswer('credential');
      }
      const rawId = decodeRequired(json.rawId, 'credential id');
      if (json.id !== bytesToB64u(new Uint8ArrayCtor(rawId))) throw malformedAnswer('credential id');
      const attachment = json.authenticatorAttachment;
      if (attachment !== undefined && attachment !== null && typeof attachment !== 'string') {
        throw malformedAnswer('authenticatorAttachment');
      }
      const clientDataJSON = decodeRequired(response.clientDataJSON, 'clientDataJSON');
      const extensionResultsJSON = json.clientExtensionResults === undefined ? {} : json.clientExtensionResults;
      clientExtensionResultsFromJSON(extensionResultsJSON); // validates now, so a bad answer fails here
      let responseObject;
      if (kind === 'create') {
        const attestationObject = decodeRequired(response.attestationObject, 'attestationObject');
        const authenticatorData = decodeRequired(response.authenticatorData, 'authenticatorData');
        const publicKey = response.publicKey === undefined || response.publicKey === null ? null :
          decodeRequired(response.publicKey, 'publicKey');
        const algorithm = response.publicKeyAlgorithm;
        if (typeof algorithm !== 'number' || (algorithm | 0) !== algorithm) throw malformedAnswer('publicKeyAlgorithm');
        const transports = response.transports === undefined ? [] : response.transports;
        if (!ArrayIsArray(transports)) throw malformedAnswer('transports');
        for (let i = 0; i < transports.length; i++) {
          if (typeof transports[i] !== 'string') throw malformedAnswer('transports');
        }
        responseObject = ObjectCreate(AuthenticatorAttestationResponse.prototype);
        defineReadOnly(responseObject, {clientDataJSON, attestationObject});
        defineMethods(responseObject, {
          getTransports() { return ReflectApply(ArraySlice, transports, []); },
          // The same buffer on every call, as Chromium's native methods do.
          getAuthenticatorData() { return authenticatorData; },
          getPublicKey() { return publicKey; },
          getPublicKeyAlgorithm() { return algorithm; },
        });
      } else {
        const authenticatorData = decodeRequired(response.authenticatorData, 'authenticatorData');
        const signature = decodeRequired(response.signature, 'signature');
        const userHandle = response.userHandle === undefined || response.userHandle === null ? null :
          decodeRequired(response.userHandle, 'userHandle');
        responseObject = ObjectCreate(AuthenticatorAssertionResponse.prototype);
        defineReadOnly(responseObject, {clientDataJSON, authenticatorData, signature, userHandle});
      }
      const credential = ObjectCreate(PublicKeyCredential.prototype);
      defineReadOnly(credential, {
        id: json.id,
        type: 'public-key',
        rawId,
        authenticatorAttachment: attachment === undefined ? null : attachment,
        response: responseObject,
      });
      defineMethods(credential, {
        getClientExtensionResults() { return clientExtensionResultsFromJSON(extensionResultsJSON); },
        toJSON() { return deepCopyJSON(json); },
      });
      return credential;
    }

    /**
     * nativeOptions rebuilds, from the JSON this script already converted, the options the browser's own
     * navigator.credentials gets when Twinkey hands a request back: the page's objects are read once, by the
     * conversion, whoever answers (a page cannot tell from its getters whether a credential is Twinkey's).
     */
    function nativeOptions(kind, json, call, signal) {
      const parse = kind === 'create' ? nativeParseCreation : nativeParseRequest;
      const out = {publicKey: ReflectApply(parse, undefined, [json])};
      if (signal !== null) out.signal = signal;
      if (call.mediationRead !== undefined) out.mediation = call.mediationRead;
      return out;
    }

    async function webAuthnCeremony(kind, thisArg, call) {
      const json = kind === 'create' ? creationOptionsToJSON(call.publicKey) : requestOptionsToJSON(call.publicKey);
      const signal = toAbortSignal(call.options.signal);
      // W3C §5.1.3 step 16 / §5.1.4: an already aborted signal rejects with its reason.
      if (signal !== null && signalAborted(signal)) throw signalReason(signal);
      const op = kind === 'create' ? 'webauthn.create' : 'webauthn.get';
      const payload = {options: json};
      if (call.mediationRead !== undefined) payload.mediation = call.mediationRead;
      // The service worker runs the ceremony's timer (Go's timeout) and answers every outcome, timeout included.
      const answer = await exchange(op, payload, signal);
      if (!answer.ok) throw errorToException(answer.error);
      const result = answer.result;
      if (result !== null && typeof result === 'object' && result.fallback === true) {
        // Not Twinkey's request: the browser's own WebAuthn, with the options already converted.
        return ReflectApply(kind === 'create' ? nativeCreate : nativeGet, thisArg,
          [nativeOptions(kind, json, call, signal)]);
      }
      return credentialFromJSON(kind, result);
    }

    // ---- FIDO U2F JavaScript API v1.1 -----------------------------------------------------------------------

    /** U2F JS API ErrorCode values (U2F JS API v1.1 §3.2.4). */
    const U2F_ERROR_CODES = ObjectFreeze({
      OK: 0, OTHER_ERROR: 1, BAD_REQUEST: 2, CONFIGURATION_UNSUPPORTED: 3, DEVICE_INELIGIBLE: 4, TIMEOUT: 5,
    });
    const U2F_JS_API_VERSION = 1.1;
    const U2F_DEFAULT_TIMEOUT_SECONDS = 30; // GRC u2f.EXTENSION_TIMEOUT_SEC, CryptoToken default
    const U2F_MAX_TIMEOUT_SECONDS = 600;

    /** U2fBadRequest marks a call that cannot be expressed as a U2F 1.1 request: BAD_REQUEST, never relayed. */
    class U2fBadRequest {
      constructor(message) {
        this.message = message;
      }
    }

    function u2fError(errorCode, errorMessage) {
      return {errorCode, errorMessage};
    }

    function u2fTimeoutSeconds(value) {
      if (typeof value !== 'number' || !NumberIsFinite(value) || value <= 0) return U2F_DEFAULT_TIMEOUT_SECONDS;
      return MathMin(value, U2F_MAX_TIMEOUT_SECONDS);
    }

    function requireArray(value, name) {
      if (!ArrayIsArray(value)) throw new U2fBadRequest(`${name} must be an array.`);
      return value;
    }

    function requireString(value, name) {
      if (typeof value !== 'string') throw new U2fBadRequest(`${name} must be a string.`);
      return value;
    }

    function optionalString(value, name) {
      return value === undefined || value === null ? undefined : requireString(value, name);
    }

    function copyRegisterRequest(request) {
      if (request === null || typeof request !== 'object') throw new U2fBadRequest('Bad RegisterRequest.');
      return {
        version: requireString(request.version, 'version'),
        challenge: requireString(request.challenge, 'challenge'),
      };
    }

    /** copyRegisteredKey copies the RegisteredKey members (U2F JS API v1.1) the service worker reads. */
    function copyRegisteredKey(key) {
      if (key === null || typeof key !== 'object') throw new U2fBadRequest('Bad RegisteredKey.');
      const out = {version: requireString(key.version, 'version'), keyHandle: requireString(key.keyHandle, 'keyHandle')};
      if (key.transports !== undefined && key.transports !== null) {
        const transports = requireArray(key.transports, 'transports');
        out.transports = [];
        for (let i = 0; i < transports.length; i++) out.transports[i] = requireString(transports[i], 'transport');
      }
      const appId = optionalString(key.appId, 'appId');
      if (appId !== undefined) out.appId = appId;
      return out;
    }

    function registerPayload11(appId, registerRequests, registeredKeys, timeoutSeconds) {
      const payload = {type: 'register'};
      const checkedAppId = optionalString(appId, 'appId');
      if (checkedAppId !== undefined) payload.appId = checkedAppId;
      const requests = requireArray(registerRequests, 'registerRequests');
      if (requests.length === 0) throw new U2fBadRequest('No RegisterRequest.');
      payload.registerRequests = [];
      for (let i = 0; i < requests.length; i++) payload.registerRequests[i] = copyRegisterRequest(requests[i]);
      const keys = registeredKeys === undefined || registeredKeys === null ? [] :
        requireArray(registeredKeys, 'registeredKeys');
      payload.registeredKeys = [];
      for (let i = 0; i < keys.length; i++) payload.registeredKeys[i] = copyRegisteredKey(keys[i]);
      payload.timeoutSeconds = u2fTimeoutSeconds(timeoutSeconds);
      return payload;
    }

    function signPayload11(appId, challenge, registeredKeys, timeoutSeconds) {
      const payload = {type: 'sign'};
      const checkedAppId = optionalString(appId, 'appId');
      if (checkedAppId !== undefined) payload.appId = checkedAppId;
      payload.challenge = requireString(challenge, 'challenge');
      const keys = requireArray(registeredKeys, 'registeredKeys');
      payload.registeredKeys = [];
      for (let i = 0; i < keys.length; i++) payload.registeredKeys[i] = copyRegisteredKey(keys[i]);
      payload.timeoutSeconds = u2fTimeoutSeconds(timeoutSeconds);
      return payload;
    }

    /**
     * signRequestsToKeys normalises 1.0 SignRequests ({version, challenge, keyHandle, appId}) into 1.1
     * RegisteredKeys relative to a request-level appId and challenge. A key whose appId differs carries its own
     * `appId` (standard 1.1); one whose challenge differs carries its own `challenge` (MESSAGES.md §1: 1.0
     * servers such as php-u2flib-server issue one challenge per key).
     */
    function signRequestsToKeys(signRequests, appId, challenge, withChallenges) {
      const keys = [];
      for (let i = 0; i < signRequests.length; i++) {
        const request = signRequests[i];
        const key = copyRegisteredKey(request);
        const keyAppId = optionalString(request.appId, 'appId');
        if (keyAppId === undefined || keyAppId === appId) delete key.appId;
        if (withChallenges) {
          const keyChallenge = requireString(request.challenge, 'challenge');
          if (keyChallenge !== challenge) key.challenge = keyChallenge;
        }
        keys[i] = key;
      }
      return keys;
    }

    /** registerPayload10 normalises the 1.0 form: registerRequests carry the appId, signRequests the known keys. */
    function registerPayload10(registerRequests, signRequests, timeoutSeconds) {
      const requests = requireArray(registerRequests, 'registerRequests');
      if (requests.length === 0 || requests[0] === null || typeof requests[0] !== 'object') {
        throw new U2fBadRequest('No RegisterRequest.');
      }
      const appId = optionalString(requests[0].appId, 'appId');
      for (let i = 1; i < requests.length; i++) {
        if (requests[i] === null || typeof requests[i] !== 'object' || requests[i].appId !== requests[0].appId) {
          throw new U2fBadRequest('RegisterRequests name different appIds.');
        }
      }
      const known = signRequests === undefined || signRequests === null ? [] : requireArray(signRequests, 'signRequests');
      const payload = registerPayload11(appId, requests, [], timeoutSeconds);
      payload.registeredKeys = signRequestsToKeys(known, appId, undefined, false);
      return payload;
    }

    /** signPayload10 normalises the 1.0 form: every SignRequest carries its appId and challenge. */
    function signPayload10(signRequests, timeoutSeconds) {
      const requests = requireArray(signRequests, 'signRequests');
      if (requests.length === 0 || requests[0] === null || typeof requests[0] !== 'object') {
        throw new U2fBadRequest('No SignRequest.');
      }
      const appId = optionalString(requests[0].appId, 'appId');
      const challenge = requireString(requests[0].challenge, 'challenge');
      const payload = {type: 'sign'};
      if (appId !== undefined) payload.appId = appId;
      payload.challenge = challenge;
      payload.registeredKeys = signRequestsToKeys(requests, appId, challenge, true);
      payload.timeoutSeconds = u2fTimeoutSeconds(timeoutSeconds);
      return payload;
    }

    /**
     * u2fExchange sends a normalised U2F request and resolves with the callback argument: the relayed
     * RegisterResponse/SignResponse, or an Error ({errorCode, errorMessage}) whose code is the error's `u2fCode`
     * (OTHER_ERROR when missing; the service worker answers TIMEOUT when the request's timeout passes). It never
     * rejects.
     */
    async function u2fExchange(payload) {
      const op = payload.type === 'register' ? 'u2f.register' : 'u2f.sign';
      const answer = await exchange(op, payload, null);
      if (answer.ok) {
        const result = answer.result;
        if (result === null || typeof result !== 'object' || result.fallback === true) {
          return u2fError(U2F_ERROR_CODES.OTHER_ERROR, 'Twinkey returned a malformed response.');
        }
        const response = deepCopyJSON(result);
        delete response.errorCode;
        return response;
      }
      const error = answer.error !== null && typeof answer.error === 'object' ? answer.error : {};
      const code = error.u2fCode;
      const errorCode = typeof code === 'number' && code >= 1 && code <= 5 && (code | 0) === code ?
        code : U2F_ERROR_CODES.OTHER_ERROR;
      return u2fError(errorCode, typeof error.message === 'string' ? error.message : 'The request failed.');
    }

    /** runU2f builds the payload (BAD_REQUEST if that fails), exchanges it, and never throws. */
    async function runU2f(buildPayload) {
      let payload;
      try {
        payload = buildPayload();
      } catch (error) {
        if (error instanceof U2fBadRequest) return u2fError(U2F_ERROR_CODES.BAD_REQUEST, error.message);
        return u2fError(U2F_ERROR_CODES.BAD_REQUEST, 'Malformed request.');
      }
      return u2fExchange(payload);
    }

    /** callLater invokes a page callback on a fresh task, never synchronously (U2F callbacks are async). */
    function callLater(callback, argument) {
      if (typeof callback !== 'function') return;
      setTimer(() => callback(argument), 0);
    }

    async function u2fThenCall(buildPayload, callback) {
      const response = await runU2f(buildPayload);
      callLater(callback, response);
    }

    const u2f = {
      /**
       * register(appId, registerRequests, registeredKeys, callback, opt_timeoutSeconds)   (1.1), or
       * register(registerRequests, signRequests, callback, opt_timeoutSeconds)            (1.0: first arg an array)
       */
      register(appId, registerRequests, registeredKeys, callback, opt_timeoutSeconds) {
        if (ArrayIsArray(appId)) {
          // 1.0: (registerRequests, signRequests, callback, opt_timeoutSeconds)
          u2fThenCall(() => registerPayload10(appId, registerRequests, callback), registeredKeys);
          return;
        }
        u2fThenCall(() => registerPayload11(appId, registerRequests, registeredKeys, opt_timeoutSeconds), callback);
      },
      /**
       * sign(appId, challenge, registeredKeys, callback, opt_timeoutSeconds)   (1.1), or
       * sign(signRequests, callback, opt_timeoutSeconds)                       (1.0: first arg an array)
       */
      sign(appId, challenge, registeredKeys, callback, opt_timeoutSeconds) {
        if (ArrayIsArray(appId)) {
          // 1.0: (signRequests, callback, opt_timeoutSeconds)
          u2fThenCall(() => signPayload10(appId, registeredKeys), challenge);
          return;
        }
        u2fThenCall(() => signPayload11(appId, challenge, registeredKeys, opt_timeoutSeconds), callback);
      },
      getApiVersion(callback, opt_timeoutSeconds) {
        callLater(callback, {js_api_version: U2F_JS_API_VERSION});
      },
      ErrorCodes: U2F_ERROR_CODES,
    };
    // Firefox's U2F interface also exposes the codes as constants on the object (FFX U2F.webidl).
    const errorNames = ObjectKeys(U2F_ERROR_CODES);
    for (let i = 0; i < errorNames.length; i++) u2f[errorNames[i]] = U2F_ERROR_CODES[errorNames[i]];


    // ---- CryptoToken transport emulation (U2F JS API v1.1 MessagePort API; Google u2f-api.js) --------------
    /**
     * handleCryptoTokenMessage answers one low-level request as CryptoToken did: the reply is
     * {type: <type with _request -> _response>, requestId, responseData}. Unknown types get BAD_REQUEST.
     */
    async function handleCryptoTokenMessage(untrustedMessage) {
      const message = untrustedMessage !== null && typeof untrustedMessage === 'object' ? untrustedMessage : {};
      const type = typeof message.type === 'string' ? message.type : '';
      const reply = (responseData) => ({
        type: type.endsWith('_request') ? type.slice(0, -'_request'.length) + '_response' : 'u2f_error_response',
        requestId: message.requestId,
        responseData,
      });
      switch (type) {
        case 'u2f_get_api_version_request':
          return reply({js_api_version: U2F_JS_API_VERSION});
        case 'u2f_register_request':
          return reply(await runU2f(() => ArrayIsArray(message.registeredKeys) || !ArrayIsArray(message.signRequests) ?
            registerPayload11(message.appId, message.registerRequests, message.registeredKeys, message.timeoutSeconds) :
            registerPayload10(message.registerRequests, message.signRequests, message.timeoutSeconds)));
        case 'u2f_sign_request':
          return reply(await runU2f(() => ArrayIsArray(message.registeredKeys) ?
            signPayload11(message.appId, message.challenge, message.registeredKeys, message.timeoutSeconds) :
            signPayload10(message.signRequests, message.timeoutSeconds)));
        default:
          return reply(u2fError(U2F_ERROR_CODES.BAD_REQUEST, 'Unknown request type.'));
      }
    }

    const copyMessage = (message) => (message === undefined ? undefined : deepCopyJSON(message));

    return {webAuthnCeremony, u2f, handleCryptoTokenMessage};
  });
})();
