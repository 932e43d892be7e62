import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyBaseLogger } from 'fastify';
import type { App } from '../http/types.ts';

const WEB_DIR = fileURLToPath(new URL('../../web', import.meta.url));
export const WEB_DIST = path.join(WEB_DIR, 'dist');

const isBuilt = () => fs.existsSync(path.join(WEB_DIST, 'index.html'));

/** The newest modification time among the page's sources (web/ without dist/). */
function newestSource(dir = WEB_DIR): number {
  let newest = 0;
  for (const item of fs.readdirSync(dir, { withFileTypes: true })) {
    if (item.name === 'dist' || item.name === 'node_modules' || item.name === '.dist.lock') continue;
    const full = path.join(dir, item.name);
    newest = Math.max(newest, item.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

const BUILD_LOCK = path.join(WEB_DIR, '.dist.lock');
const LOCK_WAIT_MS = 10 * 60_000;
const upToDate = () => isBuilt() && fs.statSync(path.join(WEB_DIST, 'index.html')).mtimeMs >= newestSource();

/** Whether the process that wrote the lock file is gone (it crashed while building). */
function lockIsStale(): boolean {
  const pid = Number(fs.readFileSync(BUILD_LOCK, 'utf8'));
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Runs `fn` holding a lock file shared by every process of this installation: Vite empties the
 * output directory when it starts, so a second build at once would take the page away from a
 * server (or a test) already serving the first one.
 */
async function withBuildLock(fn: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.writeFileSync(BUILD_LOCK, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (lockIsStale()) fs.rmSync(BUILD_LOCK, { force: true });
      else if (Date.now() > deadline) throw new Error(`another process has been building the web page for 10 minutes (${BUILD_LOCK})`);
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    await fn();
  } finally {
    fs.rmSync(BUILD_LOCK, { force: true });
  }
}

/** Builds the React page with Vite when it is missing or older than its sources (first start, after an update). */
export async function ensureWebBuilt(log: FastifyBaseLogger): Promise<void> {
  if (upToDate()) return;
  await withBuildLock(async () => {
    if (upToDate()) return; // built by the process we waited for
    log.info('building the web page (about a minute the first time)');
    const { build } = await import('vite');
    await build({ configFile: path.join(WEB_DIR, 'vite.config.ts'), logLevel: 'warn' });
  });
}

/**
 * Serves the built page at / with its assets; any other GET that accepts HTML and is not an API
 * path gets index.html (client-side routes such as /audit-logs/events/:id). Only /embed may be framed.
 */
export async function webPageRoutes(app: App): Promise<void> {
  if (!isBuilt()) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/plain').send('The web page is not built: run `npm run build:web` (npm start does it on first start).'));
    return;
  }
  await app.register(fastifyStatic, { root: WEB_DIST, prefix: '/', index: false, wildcard: true, cacheControl: false });
  // The page itself at /: the static plugin serves files only (index: false), so the root is a route.
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html').sendFile('index.html'));
  app.addHook('onSend', async (request, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'same-origin');
      reply.header('cache-control', 'no-cache');
      // Scripts only from this origin; Mantine sets inline styles. Only the embed may be framed.
      const embed = request.url.startsWith('/embed');
      reply.header('content-security-policy', `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors ${embed ? '*' : "'none'"}`);
      if (!embed) reply.header('x-frame-options', 'DENY');
    } else if (request.url.startsWith('/assets/')) {
      reply.header('cache-control', 'public, max-age=31536000, immutable');
    }
    return payload;
  });
}

/** Whether a request that matched no route should get the page (a client-side route). */
export function wantsPage(method: string, url: string, accept: string | undefined): boolean {
  return (method === 'GET' || method === 'HEAD') && !/^\/(v1|oauth)(\/|$)/.test(url) && (accept ?? '').includes('text/html') && isBuilt();
}
