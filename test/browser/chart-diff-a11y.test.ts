/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createLogger } from '../../src/log.ts';
import { ensureWebBuilt } from '../../src/web/web-page.ts';
import { seriousViolations } from '../helpers/axe.ts';
import { artifactPath, browserSkipReason, launchBrowser, signInToAuditLogs } from '../helpers/browser.ts';
import { PASSWORD, sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';

const skip = browserSkipReason();
const FROM = '2026-11-20T00:00:00.000Z';
const TO = '2026-11-21T00:00:00.000Z';
const at = (hhmm: string) => `2026-11-20T${hhmm}:00.000Z`;

/** The activity chart, the change diff, and accessibility of every page (issue 18, part 2). */
describe('activity chart, change diffs and accessibility in Chromium', { skip: skip ?? false, timeout: 240_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let memberId: string;
  const range = `range=custom&from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(TO)}`;

  before(async () => {
    await ensureWebBuilt(createLogger('silent'));
    t = await startTestApp();
    await t.createUser(t.org.id, 'owner@acme.test', 'owner');
    memberId = await t.createUser(t.org.id, 'dana@acme.test', 'member');
    const events = [
      ...['10:01', '10:07', '10:29'].map((hhmm) => sampleEvent({ type: 'user.login', action: `in ${hhmm}`, occurred_at: at(hhmm) })),
      sampleEvent({ type: 'login.failure', result: 'failed', action: 'wrong password', occurred_at: at('10:15') }),
      ...['15:40', '15:45'].map((hhmm) => sampleEvent({ type: 'api_key.used', result: 'denied', action: `denied ${hhmm}`, occurred_at: at(hhmm) })),
    ];
    assert.equal((await t.request('POST', '/v1/events', { body: { events } })).status, 201);
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'America/New_York', locale: 'en-US', reducedMotion: 'reduce' });
    page = await context.newPage();
    await signInToAuditLogs(page, t.url, 'owner@acme.test', PASSWORD);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const periods = async () =>
    page.getByRole('list', { name: 'Activity per period', includeHidden: true }).locator('li').allTextContents();

  it('counts the seeded entries per half hour and result, in the viewer\'s time zone', async () => {
    await page.goto(`${t.url}/audit-logs?${range}`);
    await page.getByRole('img', { name: /^Activity: 6 entries over 48 periods$/ }).waitFor();
    assert.deepEqual(await periods(), ['Nov 20, 5:00 AM: 3 success, 1 failed', 'Nov 20, 10:30 AM: 2 denied']);
    await page.screenshot({ path: artifactPath('30-activity-chart.png') });
  });

  it('narrows the time range by dragging across the chart, and Back undoes it', async () => {
    const box = (await page.locator('.recharts-surface').first().boundingBox())!;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, y, { steps: 8 });
    await page.mouse.move(box.x + box.width * 0.55, y, { steps: 8 });
    await page.mouse.up();
    await page.waitForURL((u) => u.searchParams.get('from') !== FROM);
    const url = new URL(page.url());
    const from = Date.parse(url.searchParams.get('from')!);
    const to = Date.parse(url.searchParams.get('to')!);
    assert.equal(url.searchParams.get('range'), 'custom');
    assert.ok(from > Date.parse(FROM) && to < Date.parse(TO) && from < to, `${new Date(from).toISOString()} – ${new Date(to).toISOString()}`);
    assert.equal(from % 1_800_000, 0, 'the range starts at a bucket boundary');
    await page.goBack();
    await page.waitForURL((u) => u.searchParams.get('from') === FROM);
  });

  it('asks in a dialog before making a member an admin: Cancel keeps the role, the dialog passes axe', async () => {
    await page.goto(`${t.url}/settings/members`);
    const role = page.getByRole('textbox', { name: 'Role of dana@acme.test' });
    await role.click();
    await page.getByRole('option', { name: 'Admin' }).click();
    const confirm = page.getByRole('dialog', { name: 'Change role' });
    await confirm.waitFor();
    assert.equal(
      await confirm.getByText(/^Make dana@acme.test/).textContent(),
      'Make dana@acme.test an admin? They will see the whole audit log.',
    );
    await confirm.getByRole('button', { name: 'Make admin' }).waitFor();
    // Focus is in the dialog, on the answer that changes nothing.
    await page.waitForFunction(() => {
      const focused = document.activeElement;
      return focused?.closest('[role="dialog"]') !== null && focused?.textContent === 'Cancel';
    });
    assert.deepEqual(await seriousViolations(page), [], 'the confirmation dialog');
    await page.screenshot({ path: artifactPath('33-confirm-role.png') });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await role.inputValue(), 'Member', 'the select keeps the role it had');
    assert.equal(await page.getByRole('status').count(), 0, 'nothing is said to be done');
    const members = (await t.request('GET', '/v1/members', { as: await t.quietSession('owner@acme.test') })).body.members;
    assert.equal(members.find((m: any) => m.user_id === memberId).role, 'member');
  });

  it('shows a role change as a readable diff, with the raw JSON a click away', async () => {
    // Made an admin on the Members page: it asks first, then says it is done.
    await page.goto(`${t.url}/settings/members`);
    await page.getByRole('textbox', { name: 'Role of dana@acme.test' }).click();
    await page.getByRole('option', { name: 'Admin' }).click();
    await page.getByRole('dialog', { name: 'Change role' }).getByRole('button', { name: 'Make admin' }).click();
    await page.getByRole('status').filter({ hasText: 'dana@acme.test is now an admin.' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Role of dana@acme.test' }).inputValue(), 'Admin');
    const members = (await t.request('GET', '/v1/members', { as: await t.quietSession('owner@acme.test') })).body.members;
    assert.equal(members.find((m: any) => m.user_id === memberId).role, 'admin');
    await page.goto(`${t.url}/audit-logs?type=user.role_changed`);
    await page.getByRole('table', { name: 'Audit log entries' }).getByText('Changed role from member to admin').click();
    const changes = page.getByRole('table', { name: 'Changes' });
    await changes.waitFor();
    const cells = await changes.locator('tbody tr').first().locator('td').allTextContents();
    assert.deepEqual(cells, ['role', 'Changed', '"member"', '"admin"']);
    await page.getByRole('button', { name: 'Show raw JSON' }).click();
    await page.getByRole('button', { name: 'Hide raw JSON' }).waitFor();
    await page.screenshot({ path: artifactPath('31-change-diff.png') });
    assert.deepEqual(await seriousViolations(page), [], 'the drawer');
    await page.keyboard.press('Escape');
  });

  it('says the server cannot be reached when the network is gone, and Retry loads once it is back', async () => {
    await page.goto(`${t.url}/audit-logs?${range}`);
    await page.getByRole('table', { name: 'Audit log entries' }).getByText('wrong password').waitFor();
    await page.context().setOffline(true);
    await page.getByRole('textbox', { name: 'Search audit events' }).fill('password');
    const alert = page.getByRole('alert').filter({ hasText: 'Could not load the audit log' });
    await alert.waitFor({ timeout: 15_000 });
    assert.match((await alert.textContent())!, /Could not reach the Auditum server/);
    await page.screenshot({ path: artifactPath('32-offline.png') });
    await page.context().setOffline(false);
    await alert.getByRole('button', { name: 'Retry' }).click();
    await alert.waitFor({ state: 'detached' });
    await page.getByRole('table', { name: 'Audit log entries' }).getByText('wrong password').waitFor();
  });

  it('has no serious or critical accessibility violations on any page', async () => {
    const found: string[] = [];
    const check = async (what: string) => found.push(...(await seriousViolations(page)).map((v) => `${what}: ${v}`));
    await page.goto(`${t.url}/audit-logs?${range}`);
    await page.getByRole('img', { name: /^Activity:/ }).waitFor();
    await check('Audit Logs');
    await page.getByRole('button', { name: 'Export Log' }).click();
    await page.getByRole('dialog', { name: 'Export Log' }).waitFor();
    await check('export dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Configure OTEL Export' }).click();
    await page.getByRole('dialog').waitFor();
    await check('OTEL drawer');
    await page.keyboard.press('Escape');
    for (const [path, heading] of [['/alerts', 'Alerts'], ['/settings/alerts', 'Alert settings'], ['/settings/members', 'Members'], ['/settings/api-keys', 'API keys'], ['/settings/oauth-clients', 'OAuth2'], ['/settings/retention', 'Retention']] as const) {
      await page.goto(`${t.url}${path}`);
      await page.getByRole('heading', { name: new RegExp(heading) }).first().waitFor();
      await check(path);
    }
    assert.deepEqual(found, []);
  });
});
