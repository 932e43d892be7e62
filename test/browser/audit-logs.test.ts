/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createLogger } from '../../src/log.ts';
import { ensureWebBuilt } from '../../src/web/web-page.ts';
import { artifactPath, browserSkipReason, launchBrowser } from '../helpers/browser.ts';
import { PASSWORD, sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';

const skip = browserSkipReason();
if (skip) console.log(`# ${skip}`);

const DAY = 86_400_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

describe('Audit Logs page in Chromium', { skip: skip ?? false, timeout: 240_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let zanzibarId: string;
  const pageErrors: string[] = [];

  before(async () => {
    await ensureWebBuilt(createLogger('silent'));
    t = await startTestApp();
    await t.createUser(t.org.id, 'admin@acme.test', 'admin');
    await t.createUser(t.org.id, 'member@acme.test', 'member');
    await t.createUser(t.org.id, 'owner@acme.test', 'owner');
    const events = [
      sampleEvent({ type: 'user.login', actor: { id: 'u-ada', email: 'ada@example.com' }, action: 'Ada signed in', occurred_at: ago(2 * DAY) }),
      sampleEvent({ type: 'flow.created', actor: { id: 'u-ada', email: 'ada@example.com' }, action: 'Ada created the nightly flow', project: { id: 'p-1', name: 'Checkout' }, occurred_at: ago(3 * DAY) }),
      sampleEvent({ type: 'flow.created', actor: { id: 'u-bob', email: 'bob@example.com' }, action: 'Bob created a flow', occurred_at: ago(1 * DAY) }),
      sampleEvent({ type: 'user.login', actor: { id: 'u-ada', email: 'ada@example.com' }, action: 'Ada signed in long ago', occurred_at: ago(20 * DAY) }),
      sampleEvent({ type: 'api_key.created', actor: { id: 'k-1', type: 'api_key', name: 'deploy bot', on_behalf_of: { id: 'u-ada', email: 'ada@example.com' } }, action: 'Created API key', result: 'approved', occurred_at: ago(5 * 3600_000) }),
      sampleEvent({
        type: 'guardrail.created',
        actor: { id: 'u-cy', email: 'cy@example.com' },
        action: 'Created guardrail for agent',
        result: 'denied',
        occurred_at: ago(2 * 3600_000),
        request: { method: 'POST', path: '/api/agents/a-7/guardrails', body: { rule: 'no-pii' }, status: 403, response: { error: 'quota-exceeded-xyz' } },
        metadata: { agent: { id: 'a-7', codename: 'zanzibar' }, tags: ['pii', 'beta'] },
      }),
    ];
    const res = await t.request('POST', '/v1/events', { body: { events } });
    assert.equal(res.status, 201);
    zanzibarId = res.body.events[5].id;
    // A signed checkpoint covering the seeded entries, so the drawer can prove inclusion in it.
    await t.app.services.checkpoints.create(t.org.id);
    browser = await launchBrowser();
    // Reduced motion: Mantine then skips its transitions, so screenshots show settled states.
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'America/New_York', locale: 'en-US', reducedMotion: 'reduce' });
    page = await context.newPage();
    // Failed requests (the 401 before signing in) are expected; script errors and CSP violations are not.
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && pageErrors.push(m.text()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const rows = () => page.getByRole('table', { name: 'Audit log entries' }).locator('tbody tr:not([aria-hidden])');
  async function rowTexts(): Promise<string[]> {
    await page.waitForFunction(() => !document.querySelector('tbody tr[aria-hidden]'));
    return rows().allInnerTexts();
  }
  const shot = (name: string) => page.screenshot({ path: artifactPath(`${name}.png`), fullPage: true });

  it('signs in and shows the seeded events of the last 24 hours', async () => {
    // The server's root is the page (with its security headers); signed out, it leads to the sign-in.
    const root = await fetch(`${t.url}/`, { headers: { accept: 'text/html' } });
    assert.equal(root.status, 200);
    assert.match(root.headers.get('content-type')!, /text\/html/);
    assert.match(root.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
    await page.goto(`${t.url}/`);
    await page.waitForURL(/\/login/);
    await page.getByLabel('Email').fill('admin@acme.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/audit-logs/);
    await page.getByRole('heading', { name: 'Audit Logs' }).waitFor();
    const texts = await rowTexts();
    // Last 24 hours by default: the two recent seeded events, newest first (plus the sign-in itself).
    assert.ok(texts.some((r) => r.includes('guardrail.created') && /denied/i.test(r)), texts.join('\n'));
    assert.ok(texts.some((r) => r.includes('api_key.created') && /api key/i.test(r) && r.includes('on behalf of ada@example.com')), texts.join('\n'));
    assert.ok(!texts.some((r) => r.includes('long ago')));
    await page.getByRole('link', { name: 'Audit Logs' }).waitFor();
    await shot('01-audit-logs');
  });

  it('filters by two event types, an actor and the last 7 days, in the URL and after reload', async () => {
    const types = page.getByRole('textbox', { name: 'Event types' });
    for (const type of ['user.login', 'flow.created']) {
      await types.click();
      await types.fill(type);
      await page.getByRole('option', { name: type, exact: true }).click();
    }
    await page.keyboard.press('Escape');
    const actor = page.getByRole('textbox', { name: 'Actor' });
    await actor.fill('ada@example.com');
    await actor.press('Enter');
    await page.getByRole('textbox', { name: 'Time range' }).click();
    await page.getByRole('option', { name: 'Last 7 days' }).click();
    await page.waitForURL(/range=7d/);
    const url = new URL(page.url());
    assert.deepEqual(url.searchParams.getAll('type').sort(), ['flow.created', 'user.login']);
    assert.equal(url.searchParams.get('actor'), 'ada@example.com');
    const expected = ['Ada signed in', 'Ada created the nightly flow'];
    const check = async () => {
      const texts = await rowTexts();
      assert.equal(texts.length, 2, texts.join('\n'));
      assert.ok(texts[0]!.includes(expected[0]!) && texts[1]!.includes(expected[1]!), texts.join('\n'));
    };
    await page.waitForFunction(() => document.querySelectorAll('tbody tr:not([aria-hidden])').length === 2);
    await check();
    await shot('02-filtered');
    await page.reload();
    await page.getByRole('heading', { name: 'Audit Logs' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr:not([aria-hidden])').length === 2);
    await check();
    assert.equal(await page.getByRole('textbox', { name: 'Actor' }).inputValue(), 'ada@example.com');
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.waitForURL((u) => !u.search.includes('range='));
  });

  it('searches a word that only appears inside one entry\'s metadata', async () => {
    await page.getByRole('textbox', { name: 'Search audit events' }).fill('zanzibar');
    await page.waitForURL(/q=zanzibar/);
    await page.waitForFunction(() => document.querySelectorAll('tbody tr:not([aria-hidden])').length === 1);
    const texts = await rowTexts();
    assert.equal(texts.length, 1);
    assert.ok(texts[0]!.includes('guardrail.created'));
    await shot('03-search');
  });

  it('opens the details drawer with the request path and response, as a shareable deep link', async () => {
    await page.getByRole('button', { name: 'View details' }).first().click();
    await page.waitForURL(new RegExp(`/audit-logs/events/${zanzibarId}`));
    const drawer = page.getByRole('dialog');
    await drawer.getByText('POST /api/agents/a-7/guardrails').waitFor();
    await drawer.getByText('"quota-exceeded-xyz"').waitFor();
    await drawer.getByText('Integrity verified').waitFor();
    await drawer.getByText(/Included in checkpoint #1/).waitFor();
    assert.ok((await drawer.innerText()).includes(zanzibarId));
    await shot('04-drawer');
    await page.reload();
    await page.getByRole('dialog').getByText('POST /api/agents/a-7/guardrails').waitFor();
    await page.getByRole('button', { name: 'Close details' }).click();
    await page.waitForURL((u) => !u.pathname.includes('/events/'));
  });

  it('shows a newly ingested entry with live tail on', async () => {
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.getByRole('switch', { name: 'Live tail' }).click();
    await page.waitForURL(/live=1/);
    const res = await t.request('POST', '/v1/events', { body: sampleEvent({ type: 'flow.executed', action: 'live-tail-arrival' }) });
    assert.equal(res.status, 201);
    // Streamed: on the page within 2 s of being acknowledged, with no reload.
    await page.getByRole('table', { name: 'Audit log entries' }).getByText('live-tail-arrival').waitFor({ timeout: 2_000 });
    assert.ok((await rowTexts())[0]!.includes('live-tail-arrival'), 'newest first');
    await shot('05-live-tail');

    // Scrolled down, new entries wait behind a button instead of moving the rows being read.
    await page.setViewportSize({ width: 1280, height: 420 });
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.waitForFunction(() => window.scrollY > 120);
    const before = await rowTexts();
    const more = Array.from({ length: 2 }, (_, i) => sampleEvent({ type: 'flow.executed', action: `while-scrolled-${i}` }));
    assert.equal((await t.request('POST', '/v1/events', { body: { events: more } })).status, 201);
    const button = page.getByRole('button', { name: '2 new entries' });
    await button.waitFor({ timeout: 2_000 });
    assert.deepEqual(await rowTexts(), before, 'the rows did not move');
    await shot('05b-live-tail-waiting');
    await button.click();
    await page.getByRole('table', { name: 'Audit log entries' }).getByText('while-scrolled-1').waitFor();
    await button.waitFor({ state: 'detached' });
    await page.waitForFunction(() => window.scrollY < 120);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('is usable at a narrow 390 px width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('heading', { name: 'Audit Logs' }).waitFor();
    await page.getByRole('button', { name: 'Toggle navigation' }).waitFor();
    // Nothing but the table's own scroll box may be wider than the screen.
    await page.waitForFunction(() => document.documentElement.scrollWidth <= 390);
    // The navigation is folded away: the page's content starts at the left edge.
    await page.waitForFunction(() => document.querySelector('h2')!.getBoundingClientRect().left < 24);
    await shot('06-narrow');
    await page.getByRole('button', { name: 'Toggle navigation' }).click();
    await page.getByRole('link', { name: 'Audit Logs' }).waitFor();
    await shot('06b-narrow-navigation');
    await page.getByRole('button', { name: 'Toggle navigation' }).click();
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('follows the OS dark preference', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.getAttribute('data-mantine-color-scheme') === 'dark');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = background.match(/\d+/g)!.map(Number);
    assert.ok(r! + g! + b! < 200, `dark background expected, got ${background}`);
    await shot('08-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('creates an API key that is shown once, works, and is never rendered again', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel('Key name').fill('ci deploy');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const secret = (await page.locator('code').filter({ hasText: /^adt_/ }).innerText()).trim();
    await page.getByRole('button', { name: 'Copy API key' }).waitFor();
    await shot('09-api-key-once');
    const use = await t.request('POST', '/v1/events', { key: secret, body: sampleEvent({ type: 'flow.executed', action: 'sent with the new key' }) });
    assert.equal(use.status, 201, 'the key shown works');
    await page.reload();
    await page.getByRole('table', { name: 'API keys' }).getByText('ci deploy').waitFor();
    assert.ok(!(await page.content()).includes(secret), 'the secret is not rendered after creation');
    await page.getByRole('link', { name: 'Audit Logs' }).click();
    await page.getByRole('table', { name: 'Audit log entries' }).getByText('api_key.created').first().waitFor();
  });

  it('verifies the chain and leaves retention to owners', async () => {
    await page.getByRole('link', { name: 'Retention & integrity' }).click();
    await page.getByRole('heading', { name: 'Retention & integrity' }).waitFor();
    await page.getByText('Only organization owners can change retention and legal hold.').waitFor();
    assert.equal(await page.getByLabel('Retention period (days)').isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Save retention' }).count(), 0);
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByText('Chain verified').waitFor();
    await shot('10-retention-admin');

    const ownerContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
    const owner = await ownerContext.newPage();
    try {
      await owner.goto(`${t.url}/login?next=/settings/retention`);
      await owner.getByLabel('Email').fill('owner@acme.test');
      await owner.getByLabel('Password').fill(PASSWORD);
      await owner.getByRole('button', { name: 'Sign in' }).click();
      await owner.getByRole('heading', { name: 'Retention & integrity' }).waitFor();
      const days = owner.getByLabel('Retention period (days)');
      await days.fill('90');
      await owner.getByRole('switch', { name: 'Legal hold' }).click();
      await owner.getByRole('button', { name: 'Save retention' }).click();
      await owner.getByText('Saved. The change is recorded in the audit log.').waitFor();
      const stored = await t.request('GET', '/v1/settings/retention');
      assert.equal(stored.body.retention_days, 90);
      assert.equal(stored.body.legal_hold, true);
      await owner.reload();
      await owner.getByRole('heading', { name: 'Retention & integrity' }).waitFor();
      for (let i = 0; i < 50 && (await owner.getByLabel('Retention period (days)').inputValue()) !== '90'; i++) await owner.waitForTimeout(100);
      assert.equal(await owner.getByLabel('Retention period (days)').inputValue(), '90');
      assert.equal(await owner.getByRole('switch', { name: 'Legal hold' }).isChecked(), true);
      await owner.screenshot({ path: artifactPath('11-retention-owner.png') });
    } finally {
      await ownerContext.close();
    }
  });

  it('refuses a member: no Audit Logs entry, and a clear message at the URL', async () => {
    const memberContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const member = await memberContext.newPage();
    try {
      await member.goto(`${t.url}/login`);
      await member.getByLabel('Email').fill('member@acme.test');
      await member.getByLabel('Password').fill(PASSWORD);
      await member.getByRole('button', { name: 'Sign in' }).click();
      await member.getByText('Only organization owners and admins can view audit logs').waitFor();
      assert.equal(await member.getByRole('link', { name: 'Audit Logs' }).count(), 0);
      await member.goto(`${t.url}/audit-logs`);
      await member.getByText('Only organization admins can view audit logs').waitFor();
      await member.screenshot({ path: artifactPath('07-member-refused.png') });
      const api = await member.request.get(`${t.url}/v1/events`);
      assert.equal(api.status(), 403);
    } finally {
      await memberContext.close();
    }
  });

  it('ran without script errors or content-security-policy violations', () => {
    assert.deepEqual(pageErrors, []);
  });
});
