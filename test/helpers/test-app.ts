import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';
import { startApp, type RunningApp } from '../../src/main.ts';
import { createLogger } from '../../src/log.ts';
import { after, before } from 'node:test';
import { databaseEnv, dropDatabase, freshDatabaseUrl, TEST_SECRET_KEY } from './test-database.ts';
import type { Scope } from '../../src/access/principal.ts';
import type { Role } from '../../src/db/tables.ts';

/** A fresh, empty data directory under the OS temp dir. */
export function freshDataDir(label = 'auditum'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
}

export interface TestOrg {
  id: string;
  slug: string;
  /** An API key with events:write and events:read. */
  key: string;
}

export const PASSWORD = 'correct horse battery staple';

export interface RequestOptions {
  /** API key (default: the org's key); null for none. Ignored when `as` is given. */
  key?: string | null;
  /** Send as this signed-in session (cookie, and CSRF token unless `csrf` is false). */
  as?: Session;
  csrf?: boolean;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface Session {
  cookie: string;
  csrf: string;
  me: any;
}

export interface TestApp {
  app: RunningApp;
  url: string;
  dataDir: string;
  config: Config;
  org: TestOrg;
  /** Creates another organization with its own key. */
  createOrg(slug: string, scopes?: Scope[]): Promise<TestOrg>;
  /** A real HTTP request on loopback; returns status and parsed JSON body. */
  request(method: string, urlPath: string, options?: RequestOptions): Promise<{ status: number; body: any; headers: Headers }>;
  /** Creates a user with `role` in `orgId` (password: PASSWORD). */
  createUser(orgId: string, email: string, role: Role): Promise<string>;
  /** Signs in through the API; the session's cookie and CSRF token go on later requests via `as`. */
  signIn(email: string, password?: string, org?: string): Promise<Session>;
  /** A session opened directly through the service: nothing is recorded in the audit log. */
  quietSession(email: string, org?: string): Promise<Session>;
  close(): Promise<void>;
}

/**
 * Starts the real server on 127.0.0.1 over a fresh database of the run's dialect (a SQLite file in
 * the data dir, or a new PostgreSQL database, with TEST_SECRET_KEY), with one organization and key.
 * Outbound requests may go to 127.0.0.1 (the loopback receivers) unless `outboundAllow` says otherwise.
 */
export async function startTestApp(overrides: Partial<Record<keyof Config, unknown>> = {}): Promise<TestApp> {
  const dataDir = (overrides.dataDir as string | undefined) ?? freshDataDir();
  const databaseUrl = 'databaseUrl' in overrides ? (overrides.databaseUrl as string | undefined) : await freshDatabaseUrl();
  const defaults = {
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    dataDir,
    databaseUrl,
    // PostgreSQL needs a key-encryption key; SQLite makes its own in the data dir.
    secretKey: databaseUrl ? TEST_SECRET_KEY : undefined,
    searchIndexIntervalMs: 20,
    outboundAllow: '127.0.0.1/32',
  };
  const config = loadConfig({}, { ...defaults, ...overrides });
  const app = await startApp(config, createLogger('silent'));

  async function createOrg(slug: string, scopes: Scope[] = ['events:write', 'events:read']): Promise<TestOrg> {
    const org = await app.services.orgs.create(slug);
    const { key } = await app.services.apiKeys.create(org.id, { name: 'test', scopes });
    return { id: org.id, slug, key };
  }
  const org = await createOrg('acme');

  const request: TestApp['request'] = async (method, urlPath, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.as) {
      headers.cookie = options.as.cookie;
      if (options.csrf !== false) headers['x-csrf-token'] = options.as.csrf;
    } else {
      const key = options.key === undefined ? org.key : options.key;
      if (key) headers.authorization = `Bearer ${key}`;
    }
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const response = await fetch(`${app.url}${urlPath}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: the raw text is returned so the assertion shows what came back
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };

  async function createUser(orgId: string, email: string, role: Role): Promise<string> {
    const user = await app.services.users.create(email, PASSWORD);
    await app.services.users.addMember(orgId, user.id, role);
    return user.id;
  }

  async function signIn(email: string, password = PASSWORD, orgSlug?: string): Promise<Session> {
    const res = await request('POST', '/v1/auth/login', { key: null, body: { email, password, ...(orgSlug ? { org: orgSlug } : {}) } });
    if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { cookie: cookieFrom(res.headers, 'auditum_session')!, csrf: res.body.csrf_token, me: res.body };
  }

  async function quietSession(email: string, orgSlug?: string): Promise<Session> {
    const session = await app.services.sessions.login({ email, password: PASSWORD, org: orgSlug, ip: '127.0.0.1' }, async () => {
      throw new Error(`quiet sign-in of ${email} failed`);
    });
    return { cookie: `auditum_session=${session.token}`, csrf: session.csrf, me: { user: { id: session.userId }, role: session.role } };
  }

  return {
    app,
    url: app.url,
    createUser,
    signIn,
    quietSession,
    dataDir,
    config,
    org,
    createOrg,
    request,
    async close() {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      await dropDatabase(databaseUrl);
    },
  };
}

/** `name=value` of the cookie `name` set by a response, ready for a Cookie header. */
export function cookieFrom(headers: Headers, name: string): string | undefined {
  return headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${name}=`));
}

/** Starts a new Auditum on the same data directory (the previous one must be closed), keeping the test's org and keys. */
export async function reopenTestApp(t: TestApp): Promise<Pick<TestApp, 'app' | 'url' | 'request' | 'close'>> {
  const config = loadConfig({}, { ...t.config, port: 0 });
  const app = await startApp(config, createLogger('silent'));
  const request: TestApp['request'] = async (method, urlPath, options = {}) => {
    const key = options.key === undefined ? t.org.key : options.key;
    const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}) };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const response = await fetch(`${app.url}${urlPath}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
  };
  const close = async () => {
    await app.close();
    fs.rmSync(t.dataDir, { recursive: true, force: true });
    await dropDatabase(t.config.databaseUrl);
  };
  return { app, url: app.url, request, close };
}

/** A minimal valid event, with overrides. */
export function sampleEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'user.login', actor: { id: 'user-1', email: 'ada@example.com' }, ...overrides };
}

/** Where a suite that runs Auditum as processes keeps its data: a data dir and, on PostgreSQL, a database. */
export interface ProcessStore {
  dataDir: string;
  databaseUrl?: string;
  /** The environment of a server or CLI process on this store. */
  env(): Record<string, string>;
}

/** A fresh ProcessStore for the current suite, made before its tests and removed after them. */
export function processStore(label: string): ProcessStore {
  const store: ProcessStore = {
    dataDir: freshDataDir(label),
    env: () => ({ AUDITUM_DATA_DIR: store.dataDir, ...databaseEnv(store.databaseUrl) }),
  };
  before(async () => {
    store.databaseUrl = await freshDatabaseUrl();
  });
  after(async () => {
    fs.rmSync(store.dataDir, { recursive: true, force: true });
    await dropDatabase(store.databaseUrl);
  });
  return store;
}
