import { once } from 'node:events';
import { z } from 'zod';
import { TooManyError, ValidationError } from '../errors.ts';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses, queryInt } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import type { EventStore } from '../events/event-store.ts';
import { followEntries } from './entry-follower.ts';
import { eventFilterQuerySchema, toEventFilter } from './event-filter.schemas.ts';
import type { ViewRecorder } from './view-recorder.ts';

export interface StreamOptions {
  maxPerOrg: number;
  keepAliveMs: number;
  /** How often a stream looks for entries appended by another server or process, ms. */
  pollMs?: number;
}

const streamQuerySchema = eventFilterQuerySchema.extend({
  after_seq: queryInt(0, Number.MAX_SAFE_INTEGER).optional().describe('send entries after this seq (Last-Event-ID wins when both are given)'),
});

/** Where a stream starts: Last-Event-ID (a reconnecting EventSource), else after_seq, else the head (only new entries). */
function startSeq(lastEventId: string | string[] | undefined, afterSeq: number | undefined): number | undefined {
  if (lastEventId === undefined) return afterSeq;
  const text = Array.isArray(lastEventId) ? lastEventId[0] : lastEventId;
  if (!text || !/^\d{1,15}$/.test(text)) throw new ValidationError('Last-Event-ID must be the seq of an entry this stream sent (digits)');
  return Number(text);
}

/**
 * GET /v1/events/stream: Server-Sent Events of newly committed entries matching the filters of
 * GET /v1/events, each with `id: <seq>`, so a reconnect with Last-Event-ID (or ?after_seq=)
 * resumes without a gap or a duplicate. A comment every keepAliveMs keeps idle connections open;
 * at most maxPerOrg streams per organization on this server (429 beyond). Stopping the server
 * ends every stream (clients reconnect with their last id).
 */
export function streamRoutes(app: App, deps: { store: EventStore; auth: AuthGuard; recordView?: ViewRecorder; options: StreamOptions }) {
  const { store, options } = deps;
  const open = new Map<string, number>();
  const stopping = new AbortController();
  app.addHook('preClose', async () => stopping.abort());

  app.get('/v1/events/stream', {
    schema: {
      summary: 'Stream new entries as they are committed (Server-Sent Events)',
      description: 'Each event is `id: <seq>` and `data: <entry JSON>`. Reconnect with Last-Event-ID (or after_seq) to get what '
        + `was missed. A ": keep-alive" comment is sent every ${options.keepAliveMs / 1000} s.`,
      tags: ['events'],
      querystring: streamQuerySchema,
      response: { 200: z.string().describe('text/event-stream'), ...errorResponses },
    },
    onRequest: deps.auth.requireScope('events:read'),
    handler: async (request, reply) => {
      const orgId = request.principal!.orgId;
      const { after_seq, ...filterQuery } = request.query;
      const filter = toEventFilter(filterQuery);
      const from = startSeq(request.headers['last-event-id'], after_seq) ?? (await store.head(orgId)).lastSeq;
      const count = open.get(orgId) ?? 0;
      if (count >= options.maxPerOrg) {
        throw new TooManyError('too_many_streams', `this organization already has ${count} open streams on this server; close one or retry later`);
      }
      open.set(orgId, count + 1);
      const release = () => {
        const left = (open.get(orgId) ?? 1) - 1;
        if (left > 0) open.set(orgId, left);
        else open.delete(orgId);
      };
      try {
        await deps.recordView?.(request.principal!, request);
      } catch (error) {
        release();
        throw error;
      }
      const done = new AbortController();
      const signal = AbortSignal.any([done.signal, stopping.signal]);
      const res = reply.raw;
      // The response closes when the client goes away (or the stream ends).
      res.once('close', () => done.abort());
      try {
        reply.hijack();
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-content-type-options': 'nosniff',
          // Proxies (nginx) must pass events on as they come.
          'x-accel-buffering': 'no',
        });
        const write = async (text: string) => {
          if (!res.write(text)) await once(res, 'drain', { signal });
        };
        await write(`retry: 2000\n: streaming entries after seq ${from}\n\n`);
        const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), options.keepAliveMs);
        try {
          for await (const entry of followEntries(store, orgId, filter, { afterSeq: from, signal, pollMs: options.pollMs })) {
            await write(`id: ${entry.seq}\ndata: ${JSON.stringify(entry)}\n\n`);
          }
        } finally {
          clearInterval(keepAlive);
        }
      } catch (error) {
        // The client going away mid-write is the normal end of a stream.
        if (!signal.aborted) request.log.warn({ err: error }, 'event stream ended by an error');
      } finally {
        release();
        if (!res.writableEnded) res.end();
      }
    },
  });
}
