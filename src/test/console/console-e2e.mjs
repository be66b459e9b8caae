// The admin console in a real browser (Debian's chromium, headless, driven by playwright-core), as a tenant uses
// it. Run by ConsoleBrowserTest, which starts Asterline and drives the calls; the two talk over stdin/stdout,
// one line each way per step:
//   script -> test: READY (signed in, Live page empty), SEEN (live call shown), GONE (it left the page),
//                   DONE (everything passed), FAIL <why>
//   test -> script: LIVE <call id> <other tenant's call id>, ENDED, STORED
// Environment: BASE_URL, TENANT_TOKEN, ADMIN_TOKEN, SCREENSHOTS (a folder), PROFILE (a fresh, empty folder).

import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const BASE = process.env.BASE_URL;
const TENANT_TOKEN = process.env.TENANT_TOKEN;
const ADMIN_TOKEN = process.env.ADMIN_TOKEN;
const SHOTS = process.env.SCREENSHOTS;
const WAIT = 20000;

const lines = createInterface({ input: process.stdin });
const queue = [];
const waiters = [];
lines.on('line', (l) => (waiters.length ? waiters.shift()(l) : queue.push(l)));
function next(expected) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no ' + expected + ' from the test within 30 s')), 30000);
    const take = (l) => {
      clearTimeout(timer);
      if (!l.startsWith(expected)) {
        reject(new Error('expected ' + expected + ' from the test, got ' + l));
      }
      resolve(l.split(' ').slice(1));
    };
    queue.length ? take(queue.shift()) : waiters.push(take);
  });
}
function say(line) {
  process.stdout.write(line + '\n');
}
function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

const context = await chromium.launchPersistentContext(process.env.PROFILE, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--autoplay-policy=no-user-gesture-required'],
  viewport: { width: 1280, height: 900 },
  acceptDownloads: true,
});
const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(WAIT);
const urls = [];
const media = [];
page.on('request', (r) => {
  urls.push(r.url());
  if (r.url().includes('/media/recording')) {
    media.push(r);
  }
});
const consoleErrors = [];
page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
page.on('pageerror', (e) => consoleErrors.push(String(e)));
const shot = (name) => page.screenshot({ path: join(SHOTS, name + '.png'), fullPage: true });

try {
  // sign in with the tenant's token; keyboard only
  await page.goto(BASE + '/console');
  await page.getByLabel('API token').fill(TENANT_TOKEN);
  await page.keyboard.press('Enter');
  await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
  await page.getByText('Signed in as tenant acme').waitFor();
  await page.getByText('No calls in progress.').waitFor();
  await shot('login-live-empty');
  say('READY');

  // a call appears on the Live page without a reload; the other tenant's call, live at the same time, does not
  const [callId, otherId] = await next('LIVE');
  const row = page.locator(`a[data-call-id="${callId}"]`);
  await row.waitFor();
  const live = page.locator('table').first();
  await live.getByText('15557654321', { exact: true }).waitFor();
  // the agent's last words reach the page while the call goes on (call_event, written as they are spoken)
  await live.getByText('Your balance is 42 dollars.').waitFor();
  check(await page.locator(`a[data-call-id="${otherId}"]`).count() === 0, 'another tenant\'s live call is shown');
  check(await page.locator('a[data-call-id]').count() === 1, 'expected exactly one live call row');
  await page.getByText('1 / 5').waitFor(); // acme's admission: one slot of five
  check(await page.getByText('globex').count() === 0, 'the other tenant appears on the tenant\'s Live page');
  await shot('live');
  say('SEEN');

  await next('ENDED');
  await row.waitFor({ state: 'detached' });
  await page.getByText('No calls in progress.').waitFor();
  say('GONE');

  // the call's page: its story and its recording, played in the page
  await next('STORED');
  await page.getByRole('link', { name: 'Calls', exact: true }).click();
  await page.getByRole('search', { name: 'Search calls' }).waitFor();
  await page.locator(`a[href="#/calls/${callId}"]`).waitFor();
  await page.getByLabel('Number').fill('5557654321');
  await page.keyboard.press('Enter'); // the search form works from the keyboard
  await page.locator(`a[href="#/calls/${callId}"]`).waitFor();
  await shot('calls');
  // who carried the call: this one came through Asterisk, so a search for Twilio's calls finds none
  await page.getByLabel('Carried by').selectOption('twilio');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('No calls match.').waitFor();
  await page.getByLabel('Carried by').selectOption('asterisk');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator(`a[href="#/calls/${callId}"]`).click();
  await page.getByRole('heading', { name: 'Inbound call from 15557654321' }).waitFor();
  await page.locator('dl.facts').getByText('Asterisk', { exact: true }).waitFor();
  const timeline = page.locator('ol.timeline');
  for (const text of ['call offered', 'admitted', 'answered', 'agent leg connected over audiosocket',
    'greeting heard after', 'caller: I would like to know my balance', 'agent: Your balance is 42 dollars.',
    'caller barged in; the agent stopped within', 'tool end_call {}', 'agent leg ended: end_call, decision hangup',
    'ended: ANSWER, hangup cause 16']) {
    await timeline.getByText(text, { exact: false }).first().waitFor();
  }
  await page.locator('p.transcript', { hasText: 'I would like to know my balance.' }).waitFor();
  const audio = page.locator('audio');
  await audio.waitFor();
  await page.waitForFunction(() => document.querySelector('audio').readyState >= 1 && document.querySelectorAll('.marks button').length > 0);
  // the turn marks are buttons: reached and pressed from the keyboard, they play from that turn
  await page.locator('.marks button').first().focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('audio').currentTime > 0.5, null, { timeout: WAIT });
  const played = await page.evaluate(() => document.querySelector('audio').currentTime);
  check(media.length > 0, 'the audio was not fetched from /media/recording');
  const ranged = media.filter((r) => r.headers().range);
  check(ranged.length > 0, 'the audio element made no range request');
  const answer = await ranged[0].response();
  check(answer && answer.status() === 206, 'a range request was answered ' + (answer && answer.status()) + ', not 206');
  await page.evaluate(() => document.querySelector('audio').pause());
  await shot('call');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('call-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // another tenant's call: the API refuses it, and the page says so
  await page.goto(BASE + '/console/#/calls/' + otherId);
  await page.getByRole('alert').filter({ hasText: 'HTTP 404' }).waitFor();
  const refused = await page.evaluate(async (id) => {
    const h = { Authorization: 'Bearer ' + sessionStorage.getItem('asterline.token') };
    const story = await fetch('/api/calls/' + id + '/story', { headers: h });
    const link = await fetch('/api/calls/' + id + '/recording/link', { method: 'POST', headers: h });
    const one = await fetch('/api/calls/' + id, { headers: h });
    return [story.status, link.status, one.status];
  }, otherId);
  check(refused.every((s) => s === 404), 'another tenant\'s call answered ' + refused.join(', '));
  await shot('call-refused');

  // a report as a table and a chart, then its CSV
  await page.getByRole('link', { name: 'Reports', exact: true }).click();
  await page.locator('#report-name').selectOption('time_to_first_audio');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('svg.chart').waitFor();
  await page.locator('table caption', { hasText: '1 row' }).waitFor();
  await shot('reports');
  const [download] = await Promise.all([page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click()]);
  check(download.suggestedFilename() === 'time_to_first_audio.csv', 'downloaded ' + download.suggestedFilename());
  const csv = (await readFile(await download.path(), 'utf8')).trim().split('\n');
  check(csv[0].includes('day') && csv[0].includes('p50_ms'), 'CSV header: ' + csv[0]);
  check(csv.length === 2 && /^\d{4}-\d{2}-\d{2},1,/.test(csv[1]), 'CSV rows: ' + csv.slice(1).join(' | '));

  // DIDs: the pool, its usage chart, a move to another segment and a CSV import with progress
  await page.getByRole('link', { name: 'DIDs', exact: true }).click();
  await page.locator('table caption', { hasText: 'Segments' }).waitFor();
  await page.locator('svg.chart').waitFor();
  await page.getByLabel('Select +15551230000').check();
  await page.getByLabel('Move the selected numbers to segment').fill('moved-pool');
  await page.getByRole('button', { name: 'Move', exact: true }).click();
  await page.getByText('1 moved.').waitFor();
  await page.locator('table').first().getByText('moved-pool').waitFor();
  await page.getByLabel('CSV file (a header row naming the number column)').setInputFiles({ name: 'numbers.csv', mimeType: 'text/csv',
    buffer: Buffer.from('phone_number;status\n+15551239001;active\n+15551239002;available\n') });
  await page.getByLabel('Trunk').fill('TWILIO');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByText('2 created, 0 already there, 0 refused.').waitFor();
  check(await page.locator('progress').evaluate((p) => p.value === p.max && p.max === 2), 'progress did not reach 2 of 2');
  await page.getByLabel('Select +15551239002').waitFor();
  await shot('dids');

  // Health as the tenant: parts, no cluster metrics
  await page.getByRole('link', { name: 'Health', exact: true }).click();
  await page.locator('#service-state').waitFor();
  await page.getByText('The metrics cover every tenant').waitFor();
  await shot('health-tenant');

  // the admin sees every tenant and the metrics
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Signed in as admin').waitFor();
  await page.goto(BASE + '/console/#/health');
  await page.getByText('First audio p50 / p99').waitFor();
  await page.getByText('Recording jobs done').waitFor();
  await shot('health');
  await page.goto(BASE + '/console/#/calls');
  await page.locator(`a[href="#/calls/${otherId}"]`).waitFor();
  await shot('calls-admin');

  check(!urls.some((u) => u.includes(TENANT_TOKEN) || u.includes(ADMIN_TOKEN)), 'a token appeared in a URL');
  // the 404s are the other tenant's call, refused on purpose
  check(consoleErrors.filter((e) => !e.includes('status of 404')).length === 0, 'browser errors: ' + consoleErrors.join(' | '));
  say('DONE played ' + played.toFixed(2) + ' s, ' + media.length + ' media requests');
  await context.close();
  process.exit(0);
} catch (e) {
  try {
    await shot('failure');
  } catch (ignored) {
    // the page is gone
  }
  say('FAIL ' + String(e && e.stack ? e.stack : e).replace(/\n/g, ' | '));
  await context.close().catch(() => {});
  process.exit(1);
}
