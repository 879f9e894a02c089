// Auto-lock: the vault locks after settings.autoLockMinutes without use (chrome.alarms, which survive service
// worker restarts) and at browser start-up.

import { loadSettings } from './settings.js';

export const AUTO_LOCK_ALARM = 'twinkey.autolock';

export class AutoLock {
  #lockVault;

  /** lockVault: () => Promise, locks the vault through the bridge. */
  constructor(lockVault) {
    this.#lockVault = lockVault;
  }

  /** touch restarts the idle countdown: called whenever the unlocked vault is used. */
  async touch() {
    const { autoLockMinutes } = await loadSettings();
    if (autoLockMinutes === 0) {
      await chrome.alarms.clear(AUTO_LOCK_ALARM);
      return;
    }
    await chrome.alarms.create(AUTO_LOCK_ALARM, { delayInMinutes: autoLockMinutes });
  }

  /** cancel stops the countdown (the vault was locked or erased). */
  async cancel() {
    await chrome.alarms.clear(AUTO_LOCK_ALARM);
  }

  /** onAlarm is the chrome.alarms.onAlarm listener. */
  async onAlarm(alarm) {
    if (alarm.name !== AUTO_LOCK_ALARM) return;
    await this.#lockVault();
  }

  /**
   * onStartup is the chrome.runtime.onStartup listener. chrome.storage.session (the vault key) is already empty
   * after a real browser restart; locking again makes that explicit and covers session restore.
   */
  async onStartup() {
    await this.#lockVault();
    await this.cancel();
  }
}
