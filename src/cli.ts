import fs from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { verifyExport } from './integrity/offline-verify.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { openDatabase } from './db/database.ts';
import { DatabaseStartError } from './db/postgres.ts';
import { runDbCopy } from './db/copy-command.ts';
import { runTail } from './query/tail-command.ts';
import { parseScopes } from './access/api-key.service.ts';
import { AppError, errorCode, storageFailure } from './errors.ts';
import { inTransaction } from './db/unit-of-work.ts';
import type { AdminActor } from './access/self-audit.ts';
import { randomToken } from './access/secrets.ts';
import { ROLES } from './access/user.service.ts';
import type { Role } from './db/tables.ts';
import { createServices, startApp, type Services } from './main.ts';
import { createLogger } from './log.ts';
import { ensureWebBuilt } from './web/web-page.ts';
import { missingArguments, USAGE, usageOf } from './cli-usage.ts';
import { runEventsList } from './query/events-command.ts';
import { runExport } from './exports/export-command.ts';

type Output = { out: (line: string) => void; err: (line: string) => void };
const stdio: Output = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

/** Runs one CLI command against a fresh service graph over the configured data dir. */
async function withServices<T>(config: Config, run: (services: Services) => Promise<T>): Promise<T> {
  const database = await openDatabase({ dataDir: config.dataDir, url: config.databaseUrl, sync: config.sqliteSync });
  try {
    return await run(await createServices(database, config));
  } finally {
    await database.close();
  }
}

/** Who a CLI action is recorded as: the user named by --as (an existing account), else the system actor `cli`. */
async function operator(s: Services, as: string | undefined): Promise<AdminActor> {
  if (as === undefined) return { id: 'cli', type: 'system' };
  const user = await s.users.byEmail(as);
  if (!user) throw new AppError(400, 'invalid_request', `--as ${as}: no user has that email`);
  return { id: user.id, type: 'user', email: user.email };
}

async function serve(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel);
  await ensureWebBuilt(logger);
  const app = await startApp(config, logger);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await app.close();
  return 0;
}

type Flags = Partial<Record<'org' | 'out' | 'file' | 'checkpoint' | 'key' | 'key-out' | 'as', string>>;

/** A count of entries on stderr when it is a terminal (rewritten in place), nothing otherwise. */
function terminalProgress(verb: string): ((entries: number) => void) & { done(): void } {
  const tty = process.stderr.isTTY;
  let shown = false;
  const show = (entries: number) => {
    if (!tty) return;
    process.stderr.write(`\r${entries.toLocaleString('en')} entries ${verb}`);
    shown = true;
  };
  return Object.assign(show, { done: () => shown && process.stderr.write('\n') });
}

/** `verify --file`: the offline verifier, needing no database. */
async function verifyFile(values: Flags, io: Output): Promise<number> {
  if (!fs.existsSync(values.file!)) throw new AppError(400, 'invalid_request', `no such file ${values.file}`);
  if ((values.checkpoint === undefined) !== (values.key === undefined)) throw new AppError(400, 'invalid_request', '--checkpoint and --key go together');
  const checkpoint = values.checkpoint ? { note: fs.readFileSync(values.checkpoint, 'utf8'), publicKeyPem: fs.readFileSync(values.key!, 'utf8') } : undefined;
  const progress = terminalProgress('verified');
  const report = await verifyExport({ file: values.file!, checkpoint, progress });
  progress.done();
  io.out(JSON.stringify(report));
  return report.ok ? 0 : 1;
}

/** `integrity export | checkpoint | rotate-key`; undefined when the arguments match none. */
async function integrityCommand(s: Services, sub: string | undefined, values: Flags, io: Output): Promise<number | undefined> {
  if (sub === 'rotate-key') {
    const actor = await operator(s, values.as);
    const keyId = await s.keys.rotate();
    // The key signs every organization's checkpoints: each one's log records the change.
    const action = 'Rotated the checkpoint signing key from the command line';
    const event = { type: 'checkpoint_key.rotated', action, metadata: { key_id: keyId } };
    for (const orgId of await s.orgs.ids()) await s.selfAudit(orgId, actor, event);
    io.out(`now signing with key ${keyId}`);
    return 0;
  }
  if (!values.org) return undefined;
  const orgId = (await s.orgs.bySlug(values.org)).id;
  if (sub === 'export' && values.out) {
    const out = fs.createWriteStream(values.out);
    const progress = terminalProgress('written');
    let count = 0;
    for (let after = (await s.retention.chainStart(orgId))?.seq ?? 0; ; ) {
      const page = await s.store.bySeq(orgId, after, 1000);
      if (page.length === 0) break;
      for (const entry of page) if (!out.write(`${JSON.stringify(entry)}\n`)) await once(out, 'drain');
      count += page.length;
      progress(count);
      after = page[page.length - 1]!.seq;
    }
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    progress.done();
    io.out(`wrote ${count} entries to ${values.out}`);
    return 0;
  }
  if (sub === 'checkpoint') {
    const cp = await s.checkpoints.create(orgId);
    const key = (await s.keys.list()).find((k) => k.key_id === cp.key_id)!;
    if (values.out) fs.writeFileSync(values.out, cp.note);
    else io.out(cp.note);
    if (values['key-out']) fs.writeFileSync(values['key-out'], key.public_key_pem);
    return 0;
  }
  return undefined;
}

const CLI_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  org: { type: 'string' },
  name: { type: 'string' },
  scopes: { type: 'string' },
  'expires-days': { type: 'string' },
  email: { type: 'string' },
  role: { type: 'string' },
  file: { type: 'string' },
  checkpoint: { type: 'string' },
  key: { type: 'string' },
  out: { type: 'string' },
  'key-out': { type: 'string' },
  as: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'from-secret-key-file': { type: 'string' },
  type: { type: 'string', multiple: true },
  result: { type: 'string', multiple: true },
  actor: { type: 'string' },
  project: { type: 'string' },
  ip: { type: 'string' },
  q: { type: 'string' },
  'after-seq': { type: 'string' },
  range: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  format: { type: 'string' },
  order: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses argv and runs the command; returns the exit code. */
export async function runCli(argv: string[], io: Output = stdio): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: CLI_OPTIONS });
  } catch (error) {
    // An unknown option or a missing value: one line and the command's usage, never a stack trace.
    io.err(`auditum: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    io.err(usageOf(argv.filter((a) => !a.startsWith('-'))));
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, sub, arg] = positionals;
  if (values.help) {
    io.out(usageOf(positionals));
    return 0;
  }
  if (!command) {
    io.err(USAGE);
    return 2;
  }
  let dataDir: string | undefined;
  try {
    const overrides = { port: values.port, host: values.host, dataDir: values['data-dir'], databaseUrl: values['database-url'] };
    const config = loadConfig(process.env, overrides);
    dataDir = config.dataDir;
    if (command === 'serve') return await serve(config);
    if (command === 'migrate') {
      // Opening the database applies every pending migration (under an advisory lock on PostgreSQL).
      await (await openDatabase({ dataDir: config.dataDir, url: config.databaseUrl, sync: config.sqliteSync })).close();
      io.out('the database schema is up to date');
      return 0;
    }
    if (command === 'org' && sub === 'create' && arg) {
      const org = await withServices(config, async (s) => {
        const actor = await operator(s, values.as);
        return inTransaction(s.database.db, async (tx) => {
          const created = await s.orgs.create(arg, values.name, tx);
          const target = { type: 'organization', id: created.id, name: created.name };
          const event = { type: 'org.created', action: 'Created the organization from the command line', target };
          await s.selfAudit(created.id, actor, event, undefined, tx);
          return created;
        });
      });
      io.out(`created organization ${org.slug} (${org.id})`);
      return 0;
    }
    if (command === 'apikey' && sub === 'create' && values.org) {
      const scopes = parseScopes(values.scopes ?? 'events:write,events:read');
      const days = values['expires-days'] === undefined ? undefined : Number(values['expires-days']);
      if (days !== undefined && !(Number.isInteger(days) && days > 0)) throw new AppError(400, 'invalid_request', '--expires-days must be a positive whole number');
      const expiresAt = days ? Date.now() + days * 86_400_000 : undefined;
      const { key, info } = await withServices(config, async (s) => {
        const org = await s.orgs.bySlug(values.org!);
        const actor = await operator(s, values.as);
        return inTransaction(s.database.db, async (tx) => {
          const created = await s.apiKeys.create(org.id, { name: values.name, scopes, expiresAt }, tx);
          const { info } = created;
          const event = {
            type: 'api_key.created',
            action: `Created API key "${info.name}" from the command line`,
            target: { type: 'api_key', id: info.id, name: info.name },
            metadata: { scopes: info.scopes, expires_at: info.expires_at },
          };
          await s.selfAudit(org.id, actor, event, undefined, tx);
          return created;
        });
      });
      io.out(`created API key ${info.prefix} with scopes ${info.scopes.join(',')} for ${values.org}; it is shown only once:`);
      io.out(key);
      return 0;
    }
    if (command === 'user' && sub === 'create' && values.org && values.email) {
      const role = values.role ?? 'owner';
      if (!(ROLES as readonly string[]).includes(role)) throw new AppError(400, 'invalid_request', `--role must be one of ${ROLES.join(', ')}`);
      const generated = process.env.AUDITUM_PASSWORD ? undefined : randomToken(18);
      const user = await withServices(config, async (s) => {
        const org = await s.orgs.bySlug(values.org!);
        const actor = await operator(s, values.as);
        return inTransaction(s.database.db, async (tx) => {
          const created = await s.users.create(values.email!, process.env.AUDITUM_PASSWORD ?? generated!, values.name, tx);
          await s.users.addMember(org.id, created.id, role as Role, tx);
          const event = {
            type: 'user.created',
            action: `Created user ${created.email} as ${role} from the command line`,
            target: { type: 'user', id: created.id, name: created.email },
            metadata: { role },
          };
          await s.selfAudit(org.id, actor, event, undefined, tx);
          return created;
        });
      });
      io.out(`created user ${user.email} (${role} of ${values.org})${generated ? '; the generated password is shown only once:' : ''}`);
      if (generated) io.out(generated);
      return 0;
    }
    if (command === 'verify' && values.org) {
      const report = await withServices(config, async (s) => s.checkpoints.verify((await s.orgs.bySlug(values.org!)).id));
      io.out(JSON.stringify(report));
      return report.ok ? 0 : 1;
    }
    if (command === 'verify' && values.file) return await verifyFile(values, io);
    if (command === 'db' && sub === 'copy' && values.from && values.to) {
      const fromSecretKeyFile = values['from-secret-key-file'];
      const progress = process.stderr.isTTY ? process.stderr : undefined;
      io.out(await runDbCopy({ from: values.from, to: values.to, fromSecretKeyFile, config, progress }));
      return 0;
    }
    if (command === 'retention' && sub === 'run') {
      const results = await withServices(config, async (s) => {
        const ids = values.org ? [(await s.orgs.bySlug(values.org)).id] : await s.orgs.ids();
        const out = [];
        for (const id of ids) out.push(await s.retention.run(id));
        return out;
      });
      for (const result of results) io.out(JSON.stringify(result));
      return 0;
    }
    if (command === 'tail' && values.org) {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await withServices(config, async (s) => runTail(s.store, (await s.orgs.bySlug(values.org!)).id, values, io.out, stop.signal));
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      return 0;
    }
    if (command === 'cluster' && sub === 'status') {
      const status = await withServices(config, async (s) =>
        s.cluster.status(values.org ? [(await s.orgs.bySlug(values.org)).id] : await s.orgs.ids()));
      io.out(JSON.stringify(status, null, 2));
      return 0;
    }
    if (command === 'events' && sub === 'list' && values.org) {
      await withServices(config, async (s) => runEventsList(s.query, (await s.orgs.bySlug(values.org!)).id, values, io.out));
      return 0;
    }
    if (command === 'export' && values.org) {
      const progress = process.stderr.isTTY ? process.stderr : undefined;
      io.out(await withServices(config, async (s) => {
        const orgId = (await s.orgs.bySlug(values.org!)).id;
        return runExport(s, config, orgId, await operator(s, values.as), values, progress);
      }));
      return 0;
    }
    if (command === 'integrity') {
      const code = await withServices(config, (s) => integrityCommand(s, sub, values, io));
      if (code !== undefined) return code;
    }
    io.err(`auditum: ${missingArguments(positionals, values)}`);
    io.err(usageOf(positionals));
    return 2;
  } catch (error) {
    // A full or read-only data directory is the installation's problem, not a bug: one line, no stack.
    const storage = storageFailure(error);
    if (storage) {
      io.err(`auditum: ${storage.message} (data directory ${dataDir}; ${describeCause(storage.cause)})`);
      return 1;
    }
    if (error instanceof ConfigError || error instanceof AppError || error instanceof DatabaseStartError) {
      io.err(`auditum: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

/** The driver's or system's own words for a storage failure, on one line: "SQLITE_READONLY: attempt to write a readonly database". */
function describeCause(cause: unknown): string {
  const code = errorCode(cause);
  const message = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!;
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}
