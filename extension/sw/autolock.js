// Auto-lock: the vault locks after settings.autoLockMinutes without use (chrome.alarms, which survive service
// worker restarts) and at browser start-up.

export const AUTO_LOCK_ALARM = 'twinkey.autolock';

export class AutoLock {
  #bridge;

  /** bridge: the bridge (bridge-host.js call(route, body)); the lock and the settings are Go's. */
  constructor(bridge) {
    this.#bridge = bridge;
  }

  #lockVault() {
    return this.#bridge.call('/v1/vault/lock', {});
  }

  /** touch restarts the idle countdown: called whenever the unlocked vault is used. */
  async touch() {
    const { body } = await this.#bridge.call('/v1/settings/get', {});
    const autoLockMinutes = Number.isInteger(body?.autoLockMinutes) ? body.autoLockMinutes : 0;
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
