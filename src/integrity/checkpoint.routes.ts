import { z } from 'zod';
import type { AuthGuard } from '../http/auth.ts';
import { errorResponses, queryInt } from '../http/schemas.ts';
import type { App } from '../http/types.ts';
import type { CheckpointService } from './checkpoint.service.ts';
import {
  checkpointListViewSchema,
  checkpointViewSchema,
  consistencyProofViewSchema,
  inclusionProofViewSchema,
  signingKeyListViewSchema,
} from './integrity-view.schema.ts';
import type { SigningKeys } from './signing-keys.ts';

const size = queryInt(1, Number.MAX_SAFE_INTEGER);
const responses = { ...errorResponses, 410: errorResponses[404].describe('The proof needs entries removed by retention') };

/** Signed checkpoints, inclusion and consistency proofs, and the public keys, for the caller's organization. */
export function checkpointRoutes(app: App, deps: { checkpoints: CheckpointService; keys: SigningKeys; auth: AuthGuard }) {
  const tags = ['integrity'];
  const security = [{ bearer: [] }];

  app.get('/v1/integrity/checkpoints', {
    schema: {
      summary: 'The latest signed checkpoint and the ones before it',
      tags, security,
      querystring: z.object({ limit: queryInt(1, 1000).default(100) }).strict(),
      response: { 200: checkpointListViewSchema, ...errorResponses },
    },
    onRequest: deps.auth.requireScope('events:read'),
    handler: async (request) => deps.checkpoints.list(request.principal!.orgId, request.query.limit),
  });

  app.post('/v1/integrity/checkpoints', {
    schema: {
      summary: 'Sign a checkpoint at the current head now',
      tags, security,
      response: { 201: checkpointViewSchema, ...responses },
    },
    onRequest: deps.auth.requireScope('admin'),
    handler: async (request, reply) => reply.status(201).send(await deps.checkpoints.create(request.principal!.orgId)),
  });

  app.get('/v1/events/:id/proof', {
    schema: {
      summary: 'Inclusion proof of one entry (RFC 6962 audit path)',
      tags, security,
      params: z.object({ id: z.string().min(1).max(128) }),
      querystring: z.object({ tree_size: size.optional().describe('default: the latest checkpoint') }).strict(),
      response: { 200: inclusionProofViewSchema, ...responses },
    },
    onRequest: deps.auth.requireScope('events:read'),
    handler: async (request) => deps.checkpoints.inclusion(request.principal!.orgId, request.params.id, request.query.tree_size),
  });

  app.get('/v1/integrity/consistency', {
    schema: {
      summary: 'Consistency proof between two tree sizes (RFC 6962)',
      tags, security,
      querystring: z.object({ from: size, to: size }).strict(),
      response: { 200: consistencyProofViewSchema, ...responses },
    },
    onRequest: deps.auth.requireScope('events:read'),
    handler: async (request) => deps.checkpoints.consistency(request.principal!.orgId, request.query.from, request.query.to),
  });

  app.get('/v1/integrity/keys', {
    schema: {
      summary: 'Every checkpoint signing public key, old ones included',
      tags, security,
      response: { 200: signingKeyListViewSchema, ...errorResponses },
    },
    onRequest: deps.auth.requireScope('events:read'),
    handler: async () => ({ keys: await deps.keys.list() }),
  });
}
