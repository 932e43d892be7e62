import pg from 'pg';
import type { Listener } from './database.ts';

/** Waits between attempts to get the listening connection back: 250 ms, doubling up to 5 s. */
const RETRY_BASE_MS = 250;
const RETRY_MAX_MS = 5000;

/**
 * LISTEN on a dedicated connection (notifications need a session of their own, outside the pool).
 * When that connection breaks it is opened again with backoff, and `onMessage(undefined)` says
 * that notifications may have been missed meanwhile, so listeners poll once.
 */
export function listenPostgres(
  clientConfig: pg.ClientConfig,
  channel: string,
  onMessage: (payload: string | undefined) => void,
): Listener {
  let client: pg.Client | undefined;
  let closed = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    if (closed) return;
    const next = new pg.Client(clientConfig);
    next.on('error', () => reconnect(next));
    next.on('end', () => reconnect(next));
    next.on('notification', (message) => {
      if (message.channel === channel) onMessage(message.payload);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch {
      reconnect(next);
      return;
    }
    if (closed) return void next.end().catch(() => {});
    client = next;
    if (failures > 0) onMessage(undefined);
    failures = 0;
  }

  function reconnect(broken: pg.Client): void {
    broken.removeAllListeners('end');
    broken.end().catch(() => {});
    if (closed || (client && client !== broken) || timer) return;
    client = undefined;
    failures += 1;
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (failures - 1));
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
    timer.unref();
  }

  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      await client?.end().catch(() => {});
    },
  };
}
