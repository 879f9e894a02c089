// The activity log: the service worker's own entry in chrome.storage.local (MESSAGES.md "Storage"). Settings are
// Go's (core/settings, bridge /v1/settings/get and /v1/settings/set): normalised and interpreted in one place.

const ACTIVITY_KEY = 'activity';

/** ACTIVITY_LIMIT: the activity log keeps the last this many events. */
export const ACTIVITY_LIMIT = 200;

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

