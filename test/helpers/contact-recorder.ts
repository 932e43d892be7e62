import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from './otlp-receiver.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface RecorderReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * An HTTP listener on 127.0.0.1 and, where the host has IPv6, on [::1] at the same port, that
 * records every TCP connection it accepts (so a test can show it was never contacted at all) and
 * every request, answering each with `reply` (default 200, empty).
 */
export async function startContactRecorder() {
  const connections: string[] = [];
  const requests: RecordedRequest[] = [];
  let reply: (request: RecordedRequest) => RecorderReply = () => ({ status: 200 });

  const serve = () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers };
        requests.push(recorded);
        const answer = reply(recorded);
        res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
      });
    });
    server.on('connection', (socket) => connections.push(socket.remoteAddress ?? '?'));
    return server;
  };
  const listen = (server: http.Server, port: number, host: string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });

  const v4 = serve();
  await listen(v4, 0, '127.0.0.1');
  const port = (v4.address() as AddressInfo).port;
  let v6: http.Server | undefined = serve();
  try {
    await listen(v6, port, '::1');
  } catch {
    v6 = undefined;
  }

  return {
    port,
    /** Whether [::1] is listened on too. */
    ipv6: v6 !== undefined,
    connections,
    requests,
    /** `http://<host>:<port><path>`; `host` as it goes in a URL (`[::1]`, `0x7f000001`, `localhost`). */
    url: (host = '127.0.0.1', path = '/v1/logs') => `http://${host}:${port}${path}`,
    setReply(next: typeof reply) {
      reply = next;
    },
    async close() {
      await closeServer(v4);
      if (v6) await closeServer(v6);
    },
  };
}

export type ContactRecorder = Awaited<ReturnType<typeof startContactRecorder>>;
