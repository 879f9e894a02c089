// Issue 3 scenarios: legacy U2F (Google's u2f-api.js, as sites bundle it) through the real extension, verified by
// the Go RP (tstranex/u2f), and the same registration used from WebAuthn with the appid extension.
'use strict';
const { test, expect } = require('../../fixtures');
const { newUser, ready, ceremony } = require('./helpers');

test('legacy U2F register and sign with u2f-api.js, then WebAuthn with appid', async ({ twinkey, rp }) => {
  const { context } = await ready(twinkey);
  const page = await twinkey.newPage();
  const user = newUser('u2f');
  await page.goto(rp.url(`/u2f.html?username=${user}`, { origin: 'https' }));
  const reg = await ceremony(page, context, '#register', { site: 'rp.example.test' });
  expect(reg, JSON.stringify(reg)).toMatchObject({ status: 'ok' });
  for (let i = 0; i < 2; i++) {
    const sign = await ceremony(page, context, '#sign');
    expect(sign, JSON.stringify(sign)).toMatchObject({ status: 'ok' });
  }
  await page.goto(rp.url(`/u2f-then-webauthn.html?username=${user}`, { origin: 'https' }));
  const login = await ceremony(page, context, '#login');
  expect(login, JSON.stringify(login)).toMatchObject({ status: 'ok' });
  expect(login.detail.client.extensions).toEqual({ appid: true });
});

test('legacy U2F: registering the same key twice is DEVICE_INELIGIBLE; deny is an error callback', async ({ twinkey, rp }) => {
  const { context } = await ready(twinkey);
  const page = await twinkey.newPage();
  const user = newUser('u2f-twice');
  await page.goto(rp.url(`/u2f.html?username=${user}`, { origin: 'https' }));
  expect(await ceremony(page, context, '#register')).toMatchObject({ status: 'ok' });
  const again = await ceremony(page, context, '#register');
  expect(again).toMatchObject({ status: 'error', code: '4' });
  const denied = await ceremony(page, context, '#sign', { click: '#deny' });
  expect(denied.status).toBe('error');
});
