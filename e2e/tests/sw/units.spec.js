// Unit tests of the service worker's pure modules (no browser): caller identification, error mapping, settings.
'use strict';

const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { test, expect } = require('@playwright/test');

const swDir = path.resolve(__dirname, '..', '..', '..', 'extension', 'sw');
const load = (name) => import(pathToFileURL(path.join(swDir, name)).href);

const TAB = { id: 7, url: 'https://top.example/page' };
const frame = (ancestorOrigins = [], permissions = { create: true, get: true }) => ({ ancestorOrigins, permissions });

test('identifyCaller: top frames, secure contexts, opaque origins', async () => {
  const { identifyCaller } = await load('caller.js');
  const top = (origin, extra = {}) => ({ id: 'x', origin, frameId: 0, tab: { id: 7, url: `${origin}/p` }, ...extra });
  expect(identifyCaller(top('https://top.example'), frame(), 'webauthn.get'))
    .toEqual({ caller: { origin: 'https://top.example', crossOrigin: false, tabId: 7, frameId: 0 } });
  expect(identifyCaller(top('http://localhost:8080'), frame(), 'u2f.sign').caller.origin).toBe('http://localhost:8080');
  expect(identifyCaller(top('http://127.0.0.1:9'), frame(), 'u2f.sign').caller).toBeDefined();
  expect(identifyCaller(top('http://example.com'), frame(), 'webauthn.get')).toEqual({ refusal: 'insecure' });
  expect(identifyCaller(top('null'), frame(), 'webauthn.get')).toEqual({ refusal: 'opaque-origin' });
  // No sender.origin: the URL's origin; a data: URL is opaque.
  expect(identifyCaller({ url: 'https://a.example/x', frameId: 0, tab: { id: 1, url: 'https://a.example/x' } }, frame(), 'webauthn.get').caller.origin)
    .toBe('https://a.example');
  expect(identifyCaller({ url: 'data:text/html,hi', frameId: 0 }, frame(), 'webauthn.get')).toEqual({ refusal: 'opaque-origin' });
  // A top frame that claims ancestors, or whose tab shows another origin, is refused.
  expect(identifyCaller(top('https://top.example'), frame(['https://x.example']), 'webauthn.get')).toEqual({ refusal: 'frame' });
  expect(identifyCaller({ ...top('https://top.example'), tab: { id: 7, url: 'https://other.example/' } }, frame(), 'webauthn.get'))
    .toEqual({ refusal: 'frame' });
  // Malformed frame facts.
  expect(identifyCaller(top('https://top.example'), { ancestorOrigins: 'x' }, 'webauthn.get')).toEqual({ refusal: 'bad-request' });
  expect(identifyCaller(top('https://top.example'), frame([1]), 'webauthn.get')).toEqual({ refusal: 'bad-request' });
});

test('identifyCaller: subframes and Permissions Policy', async () => {
  const { identifyCaller } = await load('caller.js');
  const sub = (origin) => ({ id: 'x', origin, frameId: 3, tab: TAB });
  expect(identifyCaller(sub('https://top.example'), frame(['https://top.example']), 'webauthn.create').caller)
    .toEqual({ origin: 'https://top.example', crossOrigin: false, tabId: 7, frameId: 3 });
  expect(identifyCaller(sub('https://w.example'), frame(['https://top.example']), 'webauthn.get').caller)
    .toEqual({ origin: 'https://w.example', crossOrigin: true, topOrigin: 'https://top.example', tabId: 7, frameId: 3 });
  // Same origin as its parent but below a cross-origin ancestor: still cross-origin.
  expect(identifyCaller(sub('https://w.example'), frame(['https://w.example', 'https://top.example']), 'webauthn.get').caller.crossOrigin).toBe(true);
  // Cross-origin needs the feature explicitly allowed; a disallowed feature is refused even same-origin.
  expect(identifyCaller(sub('https://w.example'), frame(['https://top.example'], { get: true }), 'webauthn.create')).toEqual({ refusal: 'frame' });
  expect(identifyCaller(sub('https://w.example'), frame(['https://top.example'], { create: true }), 'u2f.register').caller).toBeDefined();
  expect(identifyCaller(sub('https://top.example'), frame(['https://top.example'], { get: false }), 'webauthn.get')).toEqual({ refusal: 'frame' });
  // Ancestry must end at the tab's origin; every ancestor must be secure; no tab, no subframe.
  expect(identifyCaller(sub('https://w.example'), frame(['https://evil.example']), 'webauthn.get')).toEqual({ refusal: 'frame' });
  expect(identifyCaller(sub('https://w.example'), frame(['http://mid.example', 'https://top.example']), 'webauthn.get')).toEqual({ refusal: 'insecure' });
  expect(identifyCaller({ origin: 'https://w.example', frameId: 3 }, frame(['https://top.example']), 'webauthn.get')).toEqual({ refusal: 'frame' });
  expect(identifyCaller(sub('https://w.example'), frame([]), 'webauthn.get')).toEqual({ refusal: 'frame' });
});

test('errors: refusals and bridge errors map to page-facing names and U2F codes', async () => {
  const { refusalError, bridgeError, Refusal } = await load('errors.js');
  expect(refusalError(Refusal.DENIED, 'webauthn.create')).toMatchObject({ name: 'NotAllowedError' });
  expect(refusalError(Refusal.DENIED, 'u2f.register').u2fCode).toBe(5);
  expect(refusalError(Refusal.DENIED, 'u2f.sign').u2fCode).toBe(4);
  expect(refusalError(Refusal.TIMEOUT, 'u2f.sign')).toMatchObject({ name: 'NotAllowedError', u2fCode: 5 });
  expect(refusalError(Refusal.PENDING, 'webauthn.get')).toMatchObject({ name: 'OperationError', u2fCode: 1 });
  expect(refusalError(Refusal.INSECURE, 'u2f.sign')).toMatchObject({ name: 'SecurityError', u2fCode: 2 });
  expect(refusalError(Refusal.BAD_REQUEST, 'webauthn.get').name).toBe('TypeError');
  expect(refusalError(Refusal.EXCLUDED, 'webauthn.create')).toMatchObject({ name: 'InvalidStateError', u2fCode: 4 });
  expect(bridgeError({ name: 'SecurityError', u2fCode: 2, message: 'm' })).toEqual({ name: 'SecurityError', u2fCode: 2, message: 'm' });
  expect(bridgeError({ name: 'WrongPassphrase', u2fCode: 9 })).toMatchObject({ name: 'NotAllowedError', u2fCode: 1 });
  expect(bridgeError(null)).toMatchObject({ name: 'NotAllowedError', u2fCode: 1 });
});

test('settings: normalisation and site keys', async () => {
  const { normalizeSettings, siteKeys, siteSettings } = await load('settings.js');
  expect(normalizeSettings(undefined)).toEqual({ autoLockMinutes: 15, uvWindowMinutes: 5, sites: {} });
  expect(normalizeSettings({ autoLockMinutes: 2000, sites: { 'a.example': { off: 1, counterPolicy: 'bogus' } } }))
    .toEqual({ autoLockMinutes: 15, uvWindowMinutes: 5, sites: { 'a.example': { hardwareOnly: false, off: false, counterPolicy: 'twin' } } });
  expect(siteKeys('login.example.com', 'example.com')).toEqual(['login.example.com', 'example.com', 'com']);
  expect(siteKeys('www.example.com', 'u2f.example.com')).toEqual(['www.example.com', 'example.com', 'com', 'u2f.example.com']);
  const s = normalizeSettings({ sites: { 'example.com': { off: true }, 'login.example.com': { hardwareOnly: true } } });
  expect(siteSettings(s, siteKeys('login.example.com', 'example.com'))).toMatchObject({ hardwareOnly: true, off: false });
  expect(siteSettings(s, siteKeys('www.example.com', 'example.com'))).toMatchObject({ off: true });
  expect(siteSettings(s, siteKeys('other.test', 'other.test'))).toEqual({ hardwareOnly: false, off: false, counterPolicy: 'twin' });
});
