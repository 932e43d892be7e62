import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from './otlp-receiver.ts';

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  /** The raw body, exactly as received (signatures are over these bytes). */
  raw: string;
  body: any;
  status: number;
  /** When it arrived (Date.now()). */
  receivedAt: number;
}

/**
 * A real webhook receiver on 127.0.0.1. Answers 200 unless told otherwise (`setStatus(503)`);
 * `stop()` closes the port (connections refused) and `start()` opens the same port again.
 */
export async function startWebhookReceiver() {
  const received: ReceivedWebhook[] = [];
  let status = 200;
  let server: http.Server | undefined;
  let port = 0;

  async function start() {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown = raw;
        try {
          body = JSON.parse(raw);
        } catch {
          // kept raw: the assertion shows what arrived
        }
        received.push({ headers: req.headers, raw, body, status, receivedAt: Date.now() });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'unavailable');
      });
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  }

  await start();
  return {
    received,
    get url() {
      return `http://127.0.0.1:${port}/hooks/auditum`;
    },
    /** Requests answered 2xx. */
    accepted: () => received.filter((r) => r.status >= 200 && r.status < 300),
    setStatus(next: number) {
      status = next;
    },
    async stop() {
      if (!server) return;
      const s = server;
      server = undefined;
      await closeServer(s);
    },
    start,
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
