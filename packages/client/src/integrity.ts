import type { Transport } from './transport.ts';
import type { CheckpointView, ServerVerifyReport, SigningKeyView } from './types.ts';

type CheckpointList = { latest: CheckpointView | null; history: CheckpointView[] };

/** The server's integrity endpoints: its own chain check, signed checkpoints and their public keys. */
export function createIntegrity(transport: Transport) {
  return {
    /** GET /v1/integrity/verify: the server's check of the chain and its latest checkpoint. */
    verify: () => transport.json<ServerVerifyReport>('GET', '/v1/integrity/verify'),
    /** GET /v1/integrity/checkpoints: the latest signed checkpoint (null before the first) and earlier ones. */
    checkpoints: (limit?: number) =>
      transport.json<CheckpointList>('GET', '/v1/integrity/checkpoints', { query: { limit } }),
    /** POST /v1/integrity/checkpoints (scope admin): a checkpoint at the current head. */
    createCheckpoint: () => transport.json<CheckpointView>('POST', '/v1/integrity/checkpoints', { json: {} }),
    /** GET /v1/integrity/keys: every checkpoint signing key, with its PEM and C2SP verifier key. */
    keys: async () => (await transport.json<{ keys: SigningKeyView[] }>('GET', '/v1/integrity/keys')).keys,
  };
}
