import http from 'node:http';
import type net from 'node:net';

/** A request as the proxy saw it, with the status the server answered (undefined while unanswered). */
export interface ProxiedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  status?: number;
  at: number;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of a real server: the network between a client and Auditum,
 * which a test can watch (every request and its status), hold (requests wait, unforwarded), point
 * at a restarted server, make lose an answer (the server answers, the client's connection is cut),
 * or cut (every open connection, streams included, dropped).
 */
export interface HttpProxy {
  url: string;
  requests: ProxiedRequest[];
  setTarget(url: string): void;
  hold(): void;
  release(): void;
  /** The next request `match` accepts is forwarded; once the server has answered, the client's connection is cut. */
  loseNextAnswer(match: (request: ProxiedRequest) => boolean): void;
  cutAll(): void;
  close(): Promise<void>;
}

export async function startHttpProxy(targetUrl: string): Promise<HttpProxy> {
  let target = new URL(targetUrl);
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<net.Socket>();
  let held: Promise<void> | undefined;
  let release = () => {};
  let loseAnswer: ((request: ProxiedRequest) => boolean) | undefined;

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const seen: ProxiedRequest = { method: req.method!, path: req.url!, headers: req.headers, body, at: Date.now() };
    requests.push(seen);
    if (held) await held;
    // A client that gave up while its request was held has gone: its request goes no further.
    if (res.destroyed || req.socket.destroyed) return;
    const lose = loseAnswer?.(seen) ?? false;
    if (lose) loseAnswer = undefined;
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        seen.status = answer.statusCode;
        if (lose) {
          answer.resume();
          answer.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    sockets.add(req.socket);
    upstream.on('socket', (socket) => sockets.add(socket));
    // A server that is down looks like one to the client: the connection ends without an answer.
    upstream.on('error', () => req.socket.destroy());
    res.on('close', () => upstream.destroy());
    upstream.end(seen.body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const releaseHeld = () => {
    held = undefined;
    release();
  };
  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests,
    setTarget(url) {
      target = new URL(url);
    },
    hold() {
      held ??= new Promise((resolve) => (release = resolve));
    },
    release: releaseHeld,
    loseNextAnswer(match) {
      loseAnswer = match;
    },
    cutAll,
    close() {
      releaseHeld();
      cutAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The events of a proxied POST /v1/events body. */
export const eventsOf = (request: ProxiedRequest): Array<{ id: string; [key: string]: unknown }> =>
  JSON.parse(request.body.toString()).events;

/** The POST /v1/events requests the proxy has seen. */
export const ingestRequests = (proxy: HttpProxy) =>
  proxy.requests.filter((r) => r.method === 'POST' && r.path === '/v1/events');
