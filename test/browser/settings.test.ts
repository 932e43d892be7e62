/// <reference lib="dom" />
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createLogger } from '../../src/log.ts';
import { ensureWebBuilt } from '../../src/web/web-page.ts';
import { artifactPath, browserSkipReason, launchBrowser } from '../helpers/browser.ts';
import { startOtlpReceiver, waitFor, type OtlpReceiver } from '../helpers/otlp-receiver.ts';
import { PASSWORD, sampleEvent, startTestApp, type TestApp } from '../helpers/test-app.ts';

const skip = browserSkipReason();
if (skip) console.log(`# ${skip}`);

describe('Settings, OTEL drawer, invitations and the embedded page in Chromium', { skip: skip ?? false, timeout: 240_000 }, () => {
  let t: TestApp;
  let browser: Browser;
  let receiver: OtlpReceiver;

  before(async () => {
    await ensureWebBuilt(createLogger('silent'));
    t = await startTestApp();
    await t.createUser(t.org.id, 'owner@acme.test', 'owner');
    receiver = await startOtlpReceiver();
    // Recorded out of time order (the later one first), as clients that retry or batch send them.
    const events = [
      sampleEvent({
        type: 'flow.executed', action: 'deploy finished', occurred_at: new Date(Date.now() - 60 * 60_000).toISOString(),
        actor: { id: 'u-ci', email: 'ci@acme.test', name: 'CI Robot', on_behalf_of: { id: 'u-dana', email: 'dana@acme.test' } },
        request: { method: 'POST', path: '/deploys/7', status: 201 },
      }),
      sampleEvent({ type: 'flow.executed', action: 'deploy started', occurred_at: new Date(Date.now() - 2 * 60 * 60_000).toISOString() }),
    ];
    assert.equal((await t.request('POST', '/v1/events', { body: { events } })).status, 201);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await receiver?.stop();
    await t?.close();
  });

  async function signedIn(email: string, path: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
    const page = await context.newPage();
    await page.goto(`${t.url}/login?next=${encodeURIComponent(path)}`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Signed in once the page has gone on to `path`: a navigation before that would lose the sign-in.
    await page.waitForURL((url) => url.pathname === path.split('?')[0]);
    return page;
  }

  it('configures OTEL export in its drawer, sends a test record, and masks the header afterwards', async () => {
    const page = await signedIn('owner@acme.test', '/audit-logs');
    await page.getByRole('button', { name: 'Configure OTEL Export' }).click();
    const drawer = page.getByRole('dialog');
    await drawer.getByLabel('Endpoint URL').fill(receiver.url);
    await drawer.getByRole('button', { name: 'Add header' }).click();
    await drawer.getByLabel('Header 1 name').fill('Authorization');
    await drawer.getByLabel('Header 1 value').fill('Bearer otel-secret-123');
    await drawer.getByRole('button', { name: 'Save' }).click();
    await drawer.getByText('Saved.').waitFor();
    await drawer.getByRole('button', { name: 'Send test record' }).click();
    await drawer.getByText('Test record delivered.').waitFor();
    await waitFor('a test record at the receiver', () => receiver.requests.some((r) => r.headers.authorization === 'Bearer otel-secret-123'));
    await page.screenshot({ path: artifactPath('20-otel-drawer.png') });
    await drawer.getByRole('button', { name: 'Close OTEL export' }).click();
    await page.reload();
    await page.getByRole('button', { name: 'Configure OTEL Export' }).click();
    assert.equal(await page.getByRole('dialog').getByLabel('Header 1 value').inputValue(), '****');
    assert.ok(!(await page.content()).includes('otel-secret-123'), 'the header value is never shown again');
    await page.context().close();
  });

  it('invites a member whose link sets a password and signs them in without the Audit Logs', async () => {
    const page = await signedIn('owner@acme.test', '/settings/members');
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByLabel('Invite by email').fill('newbie@acme.test');
    await page.getByRole('button', { name: 'Invite' }).click();
    const link = (await page.locator('code').filter({ hasText: '/invite?token=' }).innerText()).trim();
    await page.getByRole('table', { name: 'Invitations' }).getByText('newbie@acme.test').waitFor();
    await page.screenshot({ path: artifactPath('21-members-invite.png') });
    await page.context().close();

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const invitee = await context.newPage();
    await invitee.goto(link);
    await invitee.getByRole('status').getByText(/You are invited to/).waitFor();
    await invitee.getByLabel('Password').fill('a long enough password');
    await invitee.getByRole('button', { name: 'Accept invitation' }).click();
    await invitee.getByText('Only organization owners and admins can view audit logs').waitFor();
    assert.equal(await invitee.getByRole('link', { name: 'Audit Logs' }).count(), 0);
    await context.close();
  });

  it('asks in a dialog before revoking an API key: Cancel and Escape keep it, Revoke revokes it', async () => {
    // Not named after anything the export test below searches for: revoking it is recorded.
    const apiKeys = t.app.services.apiKeys;
    const { key, info } = await apiKeys.create(t.org.id, { name: 'nightly sync', scopes: ['events:read'] });
    const revokedAt = async () => (await apiKeys.list(t.org.id)).find((k) => k.id === info.id)?.revoked_at;
    const page = await signedIn('owner@acme.test', '/settings/api-keys');
    const row = page.getByRole('table', { name: 'API keys' }).locator('tbody tr').filter({ hasText: 'nightly sync' });
    const dialog = page.getByRole('dialog', { name: 'Revoke API key' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await dialog.waitFor();
    const question = await dialog.getByText(/^Revoke nightly sync/).textContent();
    assert.equal(question, 'Revoke nightly sync? Requests using it fail at once.', 'the same words as before');
    // Focus lands in the dialog.
    await page.waitForFunction(() => document.activeElement?.closest('[role="dialog"]') != null, null, { timeout: 5000 });
    await page.screenshot({ path: artifactPath('25-confirm-revoke.png') });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    await row.getByRole('button', { name: 'Revoke' }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await revokedAt(), null, 'Cancel and Escape revoke nothing');
    assert.equal(await row.getByText('active', { exact: true }).count(), 1);
    assert.equal((await t.request('GET', '/v1/events?limit=1', { key })).status, 200, 'the key still works');

    await row.getByRole('button', { name: 'Revoke' }).click();
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('status').filter({ hasText: 'nightly sync was revoked; requests using it are refused.' }).waitFor();
    await row.getByText('revoked', { exact: true }).waitFor();
    assert.notEqual(await revokedAt(), null);
    assert.equal((await t.request('GET', '/v1/events?limit=1', { key })).status, 401, 'the key is refused');
    await page.context().close();
  });

  it('shows the embedded Audit Logs with a viewer token, keyboard first, and drops the token from the address', async () => {
    const admin = (await t.app.services.apiKeys.create(t.org.id, { name: 'host app', scopes: ['admin'] })).key;
    const minted = await t.request('POST', '/v1/viewer-tokens', { key: admin, body: { viewer: { id: 'cust-9', email: 'auditor@customer.test' } } });
    assert.equal(minted.status, 201);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
    const page = await context.newPage();
    await page.goto(minted.body.url);
    await page.getByRole('table', { name: 'Audit log entries' }).getByText('deploy finished').waitFor();
    assert.ok(!page.url().includes('token='), 'the token left the address bar');
    assert.equal(await page.getByRole('link', { name: 'Audit Logs' }).count(), 0, 'no navigation inside the embed');
    assert.equal(await page.getByRole('button', { name: 'Configure OTEL Export' }).count(), 0);

    // Keyboard only: Tab to the first "View details" button, open with Enter, close with Escape.
    let focused = '';
    for (let i = 0; i < 60 && focused !== 'View details'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    }
    assert.equal(focused, 'View details');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').getByText('Event overview').waitFor();
    await page.screenshot({ path: artifactPath('22-embed-drawer.png') });
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });

    const views = (await t.app.services.query.list(t.org.id, { types: ['audit_log.viewed'] }, 50)).entries;
    assert.ok(views.some((e) => e.actor.id === 'cust-9' && e.actor.email === 'auditor@customer.test'), 'the viewer is recorded as the one who viewed');
    await context.close();
  });

  it('raises one alert for five failed sign-ins, about a person: nav badge, view the entries, acknowledge', async () => {
    const mallory = { id: 'b1d0f633-4c1e-4f7a-9d55-3f0a1e2b7c10', email: 'mallory@evil.test', name: 'Mallory Evil' };
    const events = Array.from({ length: 5 }, (_, i) =>
      sampleEvent({ type: 'login.failure', result: 'failed', action: `bad password ${i}`, actor: mallory, ip: '203.0.113.9' }),
    );
    assert.equal((await t.request('POST', '/v1/events', { body: { events } })).status, 201);
    const page = await signedIn('owner@acme.test', '/alerts');
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    const badge = page.getByLabel(/^\d+ open alerts$/);
    await badge.waitFor({ timeout: 20_000 });
    assert.equal(await badge.getAttribute('aria-label'), '1 open alerts', 'one attack, per actor and per IP, is one alert');
    const alerts = page.getByRole('table', { name: 'open alerts' });
    await alerts.getByText(/login|sign-in/i).first().waitFor({ timeout: 20_000 });
    const row = alerts.locator('tbody tr').first();
    await row.getByText('Mallory Evil <mallory@evil.test>').waitFor();
    await row.getByText('also IP 203.0.113.9').waitFor();
    assert.equal(await row.getByText('high', { exact: true }).count(), 1, 'the severity is shown');
    assert.ok(!(await row.textContent())!.includes(mallory.id), 'the row names the person, not the id');
    await page.screenshot({ path: artifactPath('23-alerts.png') });

    await alerts.getByRole('link', { name: 'View entries' }).first().click();
    await page.waitForURL(/\/audit-logs\?/);
    await page.getByRole('table', { name: 'Audit log entries' }).getByText('bad password 4').waitFor();
    const shown = await page.getByRole('table', { name: 'Audit log entries' }).locator('tbody tr:not([aria-hidden])').allInnerTexts();
    assert.ok(shown.every((row) => row.includes('login.failure')), shown.join('\n'));
    assert.equal(await page.getByRole('textbox', { name: 'Actor' }).inputValue(), 'mallory@evil.test', 'the Actor filter holds the email');

    await page.getByRole('link', { name: /^Alerts/ }).click();
    await page.getByRole('table', { name: 'open alerts' }).getByRole('button', { name: 'Acknowledge' }).first().waitFor();
    await page.getByRole('table', { name: 'open alerts' }).getByRole('button', { name: 'Acknowledge' }).click();
    await badge.waitFor({ state: 'detached', timeout: 10_000 });
    const acknowledged = (await t.app.services.query.list(t.org.id, { types: ['alert.acknowledged'] }, 10)).entries;
    assert.ok(acknowledged.length >= 1 && acknowledged.every((e) => e.actor.email === 'owner@acme.test'), 'acknowledgement recorded with the real user');
    await page.context().close();
  });

  it('exports the filtered page from the Export Log dialog and downloads the CSV', async () => {
    const page = await signedIn('owner@acme.test', '/audit-logs?q=deploy');
    await page.getByRole('table', { name: 'Audit log entries' }).getByText('deploy finished').waitFor();
    await page.getByRole('button', { name: 'Export Log' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export Log' });
    const suggested = await dialog.getByLabel('Export name').inputValue();
    assert.match(suggested, /^Audit log, .+ – .+, search "deploy"$/, 'the default name says what the export holds');
    assert.equal(await dialog.getByRole('textbox', { name: 'Row order' }).inputValue(), 'Time order, newest first');
    await dialog.getByLabel('Export name').fill('Deploys "Q4"');
    await dialog.getByText('CSV', { exact: true }).click();
    await dialog.getByRole('button', { name: 'Start export' }).click();
    const recent = dialog.getByRole('table', { name: 'Recent exports' });
    await recent.getByText('completed').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: artifactPath('24-export-dialog.png') });
    const [download] = await Promise.all([page.waitForEvent('download'), recent.getByText('Download').first().click()]);
    assert.match(download.suggestedFilename(), /^Deploys.*Q4.* \(time order\)\.csv$/);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    const rows = parse(csv.replace(/^\uFEFF/, ''), { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(rows.map((r) => r.action), ['deploy finished', 'deploy started'], 'the page\'s search, newest first');
    const [finished, started] = rows as [Record<string, string>, Record<string, string>];
    assert.equal(finished.actor_name, 'CI Robot');
    assert.equal(finished.on_behalf_of_email, 'dana@acme.test');
    assert.equal(finished.response_status, '201');
    assert.ok(Date.parse(finished.received_at!) > Date.parse(finished.timestamp!), 'received after it occurred');
    assert.match(finished.prev_hash!, /^[0-9a-f]{64}$/);
    assert.ok(Number(finished.seq) < Number(started.seq), 'time order, not chain order');
    await page.context().close();
  });
  it('asks in a dialog before every other risky action: Cancel changes nothing, the red button does it', async () => {
    const owner = await t.quietSession('owner@acme.test');
    const get = async (path: string) => (await t.request('GET', path, { as: owner })).body;
    const send = async (method: string, path: string, body: unknown) =>
      assert.ok((await t.request(method, path, { as: owner, body })).status < 300, `${method} ${path}`);
    const erinId = await t.createUser(t.org.id, 'erin@acme.test', 'member');
    await send('POST', '/v1/invites', { email: 'frank@acme.test' });
    await send('POST', '/v1/oauth-clients', { name: 'nightly etl', scopes: ['events:read'] });
    await send('PUT', '/v1/alert-webhook', { url: 'http://127.0.0.1:9/hook', enabled: false });
    const ruleNames = async () => ((await get('/v1/alert-rules')).rules as Array<{ name: string }>).map((r) => r.name);
    const rule = (await ruleNames())[0]!;
    const page = await signedIn('owner@acme.test', '/settings/members');
    const inRow = (table: string, text: string, button: string) => {
      const row = page.getByRole('table', { name: table }).locator('tbody tr').filter({ hasText: text });
      return row.getByRole('button', { name: button });
    };
    const cases = [
      {
        path: '/settings/members',
        trigger: () => inRow('Members', 'erin@acme.test', 'Remove'),
        title: 'Remove member', question: 'Remove erin@acme.test?', action: 'Remove',
        done: async () => !(await get('/v1/members')).members.some((m: any) => m.user_id === erinId),
        notice: 'erin@acme.test was removed.',
      },
      {
        path: '/settings/members',
        trigger: () => inRow('Invitations', 'frank@acme.test', 'Revoke'),
        title: 'Revoke invitation', question: 'Revoke the invitation of frank@acme.test?', action: 'Revoke',
        done: async () => (await get('/v1/invites')).invites.some((i: any) => i.email === 'frank@acme.test' && i.status === 'revoked'),
        notice: 'The invitation was revoked; its link no longer works.',
      },
      {
        path: '/settings/oauth-clients',
        trigger: () => inRow('OAuth2 clients', 'nightly etl', 'Revoke'),
        title: 'Revoke OAuth2 client', question: 'Revoke nightly etl? Tokens it holds stop working at once.',
        action: 'Revoke',
        done: async () => (await get('/v1/oauth-clients')).oauth_clients.some((c: any) => c.name === 'nightly etl' && c.revoked_at),
        notice: 'nightly etl was revoked; its tokens stop working.',
      },
      {
        path: '/settings/alerts',
        trigger: () => inRow('Alert rules', rule, 'Delete'),
        title: 'Delete rule', question: `Delete the rule "${rule}"?`, action: 'Delete',
        done: async () => !(await ruleNames()).includes(rule),
      },
      {
        path: '/settings/alerts',
        trigger: () => page.getByRole('button', { name: 'Rotate secret' }),
        title: 'Rotate signing secret', question: 'Generate a new signing secret? The old one stops working at once.',
        action: 'Rotate secret',
        // The new secret is shown once; nothing else on the page says it changed.
        done: async () => (await page.getByText('Copy it now: it will not be shown again.').count()) === 1,
      },
    ];
    for (const c of cases) {
      await page.goto(`${t.url}${c.path}`);
      const dialog = page.getByRole('dialog', { name: c.title });
      await c.trigger().click();
      await dialog.waitFor();
      const asked = await dialog.getByText(c.question, { exact: true }).count();
      assert.equal(asked, 1, `${c.title}: the same words as before`);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      assert.equal(await c.done(), false, `${c.title}: Cancel changes nothing`);

      await c.trigger().click();
      await dialog.getByRole('button', { name: c.action, exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      if (c.notice) await page.getByRole('status').filter({ hasText: c.notice }).waitFor();
      await waitFor(`${c.title}: done once confirmed`, c.done);
    }
    await page.context().close();
  });
});
