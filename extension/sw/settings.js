// Settings and the activity log: the service worker's own entries in chrome.storage.local (MESSAGES.md "Storage").

const SETTINGS_KEY = 'settings';
const ACTIVITY_KEY = 'activity';

/** ACTIVITY_LIMIT: the activity log keeps the last this many events. */
export const ACTIVITY_LIMIT = 200;

export const DEFAULT_AUTO_LOCK_MINUTES = 15;
const MAX_AUTO_LOCK_MINUTES = 24 * 60;

/**
 * User verification for userVerification "preferred": UV is reported when the passphrase was entered within this
 * many minutes (0: only when it was typed for this very request). "required" always asks for it.
 */
export const DEFAULT_UV_WINDOW_MINUTES = 5;
const MAX_UV_WINDOW_MINUTES = 60;

/** CounterPolicy values of bridge/PROTOCOL.md. */
export const CounterPolicy = Object.freeze({ TWIN: 'twin', ZERO: 'zero' });

// A site key is a host name: lower case letters, digits, dots, hyphens (IDNs arrive as punycode).
const SITE_KEY = /^[a-z0-9.-]{1,253}$/;

/**
 * normalizeSettings turns stored or page-sent settings into the one shape the service worker uses:
 *   {autoLockMinutes: 0..1440 (0 = never), uvWindowMinutes: 0..60, sites: {host: {hardwareOnly, off, counterPolicy}}}
 * Unknown fields are dropped; invalid values fall back to defaults.
 */
export function normalizeSettings(untrusted) {
  const s = untrusted && typeof untrusted === 'object' ? untrusted : {};
  const minutes = Number.isInteger(s.autoLockMinutes) && s.autoLockMinutes >= 0 && s.autoLockMinutes <= MAX_AUTO_LOCK_MINUTES
    ? s.autoLockMinutes : DEFAULT_AUTO_LOCK_MINUTES;
  const uvWindow = Number.isInteger(s.uvWindowMinutes) && s.uvWindowMinutes >= 0 && s.uvWindowMinutes <= MAX_UV_WINDOW_MINUTES
    ? s.uvWindowMinutes : DEFAULT_UV_WINDOW_MINUTES;
  const sites = {};
  if (s.sites && typeof s.sites === 'object') {
    for (const [host, v] of Object.entries(s.sites)) {
      if (!SITE_KEY.test(host) || !v || typeof v !== 'object') continue;
      sites[host] = {
        hardwareOnly: v.hardwareOnly === true,
        off: v.off === true,
        counterPolicy: v.counterPolicy === CounterPolicy.ZERO ? CounterPolicy.ZERO : CounterPolicy.TWIN,
      };
    }
  }
  return { autoLockMinutes: minutes, uvWindowMinutes: uvWindow, sites };
}

export async function loadSettings() {
  const items = await chrome.storage.local.get(SETTINGS_KEY);
  return normalizeSettings(items[SETTINGS_KEY]);
}

/**
 * saveSettings merges a partial settings object into the stored one (top-level fields replace; `sites`, when
 * given, replaces the whole map) and answers the stored result.
 */
export async function saveSettings(partial) {
  const current = await loadSettings();
  const p = partial && typeof partial === 'object' ? partial : {};
  const next = normalizeSettings({
    autoLockMinutes: 'autoLockMinutes' in p ? p.autoLockMinutes : current.autoLockMinutes,
    uvWindowMinutes: 'uvWindowMinutes' in p ? p.uvWindowMinutes : current.uvWindowMinutes,
    sites: 'sites' in p ? p.sites : current.sites,
  });
  await chrome.storage.local.set({ [SETTINGS_KEY]: next });
  return next;
}

/**
 * siteKeys lists the settings keys that apply to a request, most specific first: the caller's host and each of
 * its parent domains, then the site's (RP ID or AppID host) when it is not among them. A setting for
 * "example.com" so covers "login.example.com". Keys are only ever written by the person through extension pages,
 * so matching a parent domain cannot widen anything a web page controls.
 */
export function siteKeys(originHost, site) {
  const keys = [];
  for (const host of [originHost, site]) {
    for (let h = host; h; h = h.includes('.') ? h.slice(h.indexOf('.') + 1) : '') {
      if (!keys.includes(h)) keys.push(h);
    }
  }
  return keys;
}

/** siteSettings answers the most specific site entry for keys, or the defaults. */
export function siteSettings(settings, keys) {
  for (const k of keys) {
    if (settings.sites[k]) return settings.sites[k];
  }
  return { hardwareOnly: false, off: false, counterPolicy: CounterPolicy.TWIN };
}

/** ActivityLog is the capped activity log in chrome.storage.local `activity` (oldest first in storage). */
export class ActivityLog {
  // Writes are read-modify-write on one key: they are serialised on this chain.
  #chain = Promise.resolve();

  /** record appends {site, op, time, result}, keeping the last ACTIVITY_LIMIT entries. */
  record(entry) {
    this.#chain = this.#chain.then(async () => {
      const items = await chrome.storage.local.get(ACTIVITY_KEY);
      const list = Array.isArray(items[ACTIVITY_KEY]) ? items[ACTIVITY_KEY] : [];
      list.push({ site: entry.site, op: entry.op, time: entry.time ?? Date.now(), result: entry.result });
      await chrome.storage.local.set({ [ACTIVITY_KEY]: list.slice(-ACTIVITY_LIMIT) });
    }).catch((e) => console.warn('twinkey: activity not recorded:', e?.message));
    return this.#chain;
  }

  /** list answers the log newest first. */
  async list() {
    await this.#chain;
    const items = await chrome.storage.local.get(ACTIVITY_KEY);
    return (Array.isArray(items[ACTIVITY_KEY]) ? items[ACTIVITY_KEY] : []).slice().reverse();
  }

  async clear() {
    this.#chain = this.#chain.then(() => chrome.storage.local.remove(ACTIVITY_KEY));
    await this.#chain;
  }
}

// The moment the passphrase was last verified (consent prompt or unlock page), in storage.session: it lives only
// as long as the browser session, like the vault key.
const UV_AT_KEY = 'uvAt';

// The latest moment this worker itself recorded; storage.session has only this worker as writer, so the later
// of this and a value read earlier is the current one (a request reads uvAt before its prompt, not on approve).
let verifiedHere = 0;

/** markUserVerified records that the passphrase was just verified. */
export async function markUserVerified() {
  verifiedHere = Date.now();
  await chrome.storage.session.set({ [UV_AT_KEY]: verifiedHere });
}

/** userVerifiedAt answers when the passphrase was last verified (epoch ms), 0 if never in this session. */
export async function userVerifiedAt() {
  const { [UV_AT_KEY]: at } = await chrome.storage.session.get(UV_AT_KEY);
  return Math.max(typeof at === 'number' ? at : 0, verifiedHere);
}

/**
 * verifiedWithin answers whether the passphrase was verified within the last `minutes`, now; readAt is what
 * userVerifiedAt answered earlier (a verification recorded since by this worker counts too).
 */
export function verifiedWithin(minutes, readAt) {
  const at = Math.max(readAt, verifiedHere);
  return minutes > 0 && at > 0 && Date.now() - at <= minutes * 60_000;
}
