/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createLogger } from '../../src/log.ts';
import { ensureWebBuilt } from '../../src/web/web-page.ts';
import { artifactPath, browserSkipReason, launchBrowser, signInToAuditLogs } from '../helpers/browser.ts';
import { PASSWORD, sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';

const skip = browserSkipReason();
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const LONG_ACTION = 'Changed the role of the member from member to admin after the quarterly access review of the workspace';

/** What an auditor reads in a row and the drawer, at laptop widths and on a phone (issue 18, part 1). */
describe('the Audit Logs table and drawer for auditors', { skip: skip ?? false, timeout: 240_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const ids: string[] = [];
  const hashes: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    await ensureWebBuilt(createLogger('silent'));
    t = await startTestApp();
    await t.createUser(t.org.id, 'admin@acme.test', 'admin');
    const events = [
      sampleEvent({ type: 'oauth_client.secret_rotated', result: 'approved', actor: { id: 'u-1', email: 'grace.hopper@example.com', name: 'Grace Hopper' }, action: LONG_ACTION, target: { type: 'oauth_client', id: 'oc-1', name: 'Billing integration' }, project: { id: 'p-9', name: 'Mobile app' }, ip: '203.0.113.77', occurred_at: ago(6 * HOUR) }),
      sampleEvent({ type: 'project.settings_updated', result: 'warning', actor: { id: 'u-2', email: 'bob@example.com' }, action: 'Line one\nLine two', target: { type: 'project', id: 'p-4', name: 'Checkout' }, project: { id: 'p-4', name: 'Checkout' }, ip: '198.51.100.12', occurred_at: ago(5 * HOUR) }),
      sampleEvent({ type: 'user.role_changed', result: 'success', category: 'security', actor: { id: 'u-1', email: 'grace.hopper@example.com', name: 'Grace Hopper' }, action: LONG_ACTION, target: { type: 'user', id: 'u-3', name: 'Dana Scully' }, ip: '203.0.113.77', occurred_at: ago(4 * HOUR) }),
      sampleEvent({ type: 'login.failure', result: 'failed', actor: { id: 'u-2', email: 'bob@example.com' }, action: 'Wrong password', ip: '198.51.100.12', occurred_at: ago(3 * HOUR) }),
      sampleEvent({ type: 'guardrail.triggered', result: 'denied', actor: { id: 'k-1', type: 'api_key', name: 'deploy bot' }, action: 'Blocked a prompt', target: { type: 'agent', id: 'a-7', name: 'Nightly agent' }, ip: '192.0.2.5', occurred_at: ago(2 * HOUR) }),
      sampleEvent({ type: 'user.login', actor: { id: 'u-4', email: 'old@example.com' }, action: 'Signed in last year', occurred_at: '2025-03-04T15:00:00.000Z' }),
    ];
    const res = await t.request('POST', '/v1/events', { body: { events } });
    assert.equal(res.status, 201);
    for (const e of res.body.events) {
      ids.push(e.id);
      hashes.push(e.hash);
    }
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'America/New_York', locale: 'en-US', reducedMotion: 'reduce' });
    page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && pageErrors.push(m.text()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await signInToAuditLogs(page, t.url, 'admin@acme.test', PASSWORD);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const table = () => page.getByRole('table', { name: 'Audit log entries' });
  const shot = (name: string) => page.screenshot({ path: artifactPath(`auditor-${name}.png`), fullPage: true });
  const row = (text: string) => table().locator('tbody tr', { hasText: text });
  const headers = async () => (await table().locator('thead th').allInnerTexts()).map((h) => h.trim()).filter(Boolean);
  async function showRows(n: number) {
    await page.waitForFunction((count) => document.querySelectorAll('tbody tr:not([aria-hidden])').length >= count, n);
  }
  /** Waits until the table holds exactly `n` rows, the first of them containing `text`. */
  async function showOnly(n: number, text: string) {
    await page.waitForFunction(([count, first]) => {
      const rows = document.querySelectorAll('tbody tr:not([aria-hidden])');
      return rows.length === count && rows[0]!.textContent!.includes(first as string);
    }, [n, text] as const);
  }

  /** Badges whose text is cut (scrollWidth over clientWidth), and whether the page scrolls sideways. */
  const cutBadges = () =>
    page.evaluate(() => ({
      cut: Array.from(document.querySelectorAll('tbody .mantine-Badge-label'))
        .filter((label) => label.scrollWidth > label.clientWidth + 0.5 || label.getBoundingClientRect().width < 1)
        .map((label) => label.textContent),
      badges: document.querySelectorAll('tbody .mantine-Badge-label').length,
      sideways: document.documentElement.scrollWidth > window.innerWidth,
    }));

  /** Every column from 1440 px; below it, Project and IP start hidden (the picker shows them). */
  const COLUMNS_AT: Record<number, string[]> = {
    1280: ['Timestamp', 'Event type', 'Actor', 'Target', 'Action', 'Result', 'Details'],
    1440: ['Timestamp', 'Event type', 'Actor', 'Target', 'Action', 'Project', 'IP address', 'Result', 'Details'],
  };
  for (const width of [1280, 1440]) {
    it(`reads every event type and result whole at ${width} px, with the Target column`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await showRows(5);
      await page.waitForFunction((n) => document.querySelectorAll('thead th').length === n, COLUMNS_AT[width]!.length);
      assert.deepEqual(await headers(), COLUMNS_AT[width]);
      const measured = await cutBadges();
      assert.ok(measured.badges >= 12, `badges rendered: ${measured.badges}`);
      assert.deepEqual(measured.cut, [], `cut at ${width} px`);
      assert.equal(measured.sideways, false, 'the page does not scroll sideways');
      const rotated = await row('oauth_client.secret_rotated').innerText();
      const parts = ['Grace Hopper', 'grace.hopper@example.com', 'Billing integration', 'EST', ...(width >= 1440 ? ['Mobile app', '203.0.113.77'] : [])];
      for (const part of parts) assert.ok(rotated.includes(part), `${part} in: ${rotated}`);
      await shot(`table-${width}`);
    });
  }

  it('keeps red for failed and denied results, not for categories or other results', async () => {
    const reds = await page.evaluate(() =>
      Array.from(document.querySelectorAll('tbody .mantine-Badge-root'))
        .filter((badge) => {
          // Red: a saturated colour whose hue is within 20 degrees of pure red (orange and brown are not).
          const [r, g, b] = getComputedStyle(badge).color.match(/\d+/g)!.slice(0, 3).map((c) => Number(c) / 255) as [number, number, number];
          const max = Math.max(r, g, b);
          const min = Math.min(r, g, b);
          if (max - min < 0.3 || max !== r) return false;
          const hue = (60 * (g - b)) / (max - min);
          return hue > -20 && hue < 20;
        })
        .map((badge) => badge.textContent!.trim().toLowerCase()),
    );
    assert.deepEqual(reds.sort(), ['denied', 'failed']);
  });

  it('hides a column from the picker and remembers it after reload', async () => {
    await page.getByRole('button', { name: 'Columns' }).click();
    await page.getByRole('checkbox', { name: 'IP address' }).uncheck();
    assert.equal(await page.getByRole('checkbox', { name: 'Event type' }).isDisabled(), true);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !Array.from(document.querySelectorAll('thead th')).some((th) => th.textContent === 'IP address'));
    await page.reload();
    await showRows(5);
    assert.ok(!(await headers()).includes('IP address'));
    assert.ok((await headers()).includes('Target'));
    await page.getByRole('button', { name: 'Columns' }).click();
    await page.getByRole('checkbox', { name: 'IP address' }).check();
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('thead th')).some((th) => th.textContent === 'IP address'));
  });

  it('applies a project typed by its name, without Enter, and suggests targets by name', async () => {
    await page.getByRole('textbox', { name: 'Project' }).fill('Mobile app');
    await page.waitForURL(/project=p-9/);
    await showOnly(1, 'oauth_client.secret_rotated');
    // The id the name stands for, under the field.
    await page.locator('.mantine-Autocomplete-description', { hasText: 'p-9' }).waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.waitForURL((u) => !u.search.includes('project='));
    const target = page.getByRole('textbox', { name: 'Target' });
    await target.fill('nightly');
    await page.getByRole('option', { name: /Nightly agent/ }).click();
    await page.waitForURL(/target=agent%3Aa-7/);
    await showOnly(1, 'guardrail.triggered');
    await shot('target-suggested');
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.waitForURL((u) => !u.search.includes('target='));
    await showRows(7);
  });

  it('opens a row by clicking it, steps with j and k, shows the previous hash, and filters by a value', async () => {
    await row('project.settings_updated').locator('td').nth(4).click();
    const drawer = page.getByRole('dialog');
    await page.waitForURL(new RegExp(`/events/${ids[1]}`));
    await drawer.getByText(hashes[0]!).waitFor(); // the previous hash is the entry before it in the chain
    assert.ok((await drawer.innerText()).includes('Line one\nLine two'), 'the action keeps its line break');
    assert.ok((await drawer.textContent())!.includes('Target'));
    assert.ok(!(await drawer.textContent())!.includes('Resource'));
    await page.keyboard.press('k'); // newer: the role change
    await page.waitForURL(new RegExp(`/events/${ids[2]}`));
    await drawer.getByText('Dana Scully').waitFor();
    await page.keyboard.press('j');
    await page.waitForURL(new RegExp(`/events/${ids[1]}`));
    // The URL changes before the drawer renders the entry; its buttons step from the one shown.
    await drawer.getByText(hashes[0]!).waitFor();
    await page.getByRole('button', { name: 'Previous entry' }).click();
    await page.waitForURL(new RegExp(`/events/${ids[2]}`));
    await shot('drawer');
    await drawer.getByRole('button', { name: 'Filter by this ip address' }).click();
    await page.waitForURL((u) => u.searchParams.get('ip') === '203.0.113.77' && !u.pathname.includes('/events/'));
    await showOnly(2, 'user.role_changed');
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.waitForURL((u) => !u.search.includes('ip='));
  });

  it('shows the year for an entry from another year', async () => {
    await page.goto(`${t.url}/audit-logs?range=custom&from=2025-03-01T00:00:00.000Z&to=2025-03-31T00:00:00.000Z`);
    await showRows(1);
    const text = await row('Signed in last year').innerText();
    assert.match(text, /Mar 4, 2025/);
    assert.match(text, /10:00:00 AM EST/);
  });

  it('jumps past the navigation with a skip link', async () => {
    await page.goto(`${t.url}/audit-logs`);
    await page.getByRole('heading', { name: 'Audit Logs' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  });

  it('shows one card per entry at 390 px, with the filters folded and every action on screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${t.url}/audit-logs?result=failed&result=denied`);
    const cards = page.getByRole('list', { name: 'Audit log entries' }).getByRole('listitem');
    await cards.first().waitFor();
    assert.equal(await cards.count(), 2);
    assert.equal(await page.getByRole('textbox', { name: 'Event types' }).isVisible(), false, 'filters folded');
    await page.getByRole('button', { name: /Filters/ }).getByLabel('1 filters in force').waitFor();
    const offscreen = await page.evaluate(() =>
      Array.from(document.querySelectorAll('button'))
        .filter((b) => b.offsetParent !== null)
        .filter((b) => b.getBoundingClientRect().right > window.innerWidth + 1)
        .map((b) => b.textContent),
    );
    assert.deepEqual(offscreen, []);
    const first = await cards.first().innerText();
    assert.ok(first.includes('guardrail.triggered') && first.includes('Nightly agent'), first);
    await shot('phone');
    await cards.first().getByRole('button', { name: 'View details' }).click();
    await page.getByRole('dialog').getByText('Blocked a prompt').first().waitFor();
    await page.getByRole('button', { name: 'Close details' }).click();
    await page.getByRole('button', { name: /Filters/ }).click();
    await page.getByRole('textbox', { name: 'Event types' }).waitFor();
    await shot('phone-filters');
  });

  it('ran without script errors or content-security-policy violations', () => {
    assert.deepEqual(pageErrors, []);
  });
});
