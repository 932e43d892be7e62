import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve('test-artifacts');

/** Why browser tests cannot run here, or null when Chromium is installed. */
export function browserSkipReason(): string | null {
  return fs.existsSync(CHROMIUM) ? null : `Chromium not found at ${CHROMIUM} (apt-get install -y chromium); browser tests skipped`;
}

/** Debian's Chromium, headless, with the flags this sandbox needs (no sandbox, no background networking). */
export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export function artifactPath(name: string): string {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/** Signs in through the page's own form and waits for the Audit Logs. */
export async function signInToAuditLogs(page: import('playwright-core').Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login?next=/audit-logs`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Audit Logs' }).waitFor();
}
