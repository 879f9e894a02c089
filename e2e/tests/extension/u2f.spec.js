// Issue 3 scenarios: legacy U2F refusals through the real extension (Google's u2f-api.js, as sites bundle it);
// the register/sign/appid path is in tests/extension-journeys.spec.js.
'use strict';
const { test, expect } = require('../../fixtures');
const { newUser, ready, ceremony } = require('./helpers');

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
