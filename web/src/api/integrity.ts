/** The integrity API: verifying the chain, signed checkpoints, and one entry's proof checked in the browser. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  CheckpointListView,
  CheckpointView,
  InclusionProofView,
  VerifyReportView,
} from '../../../src/integrity/integrity-view.schema.ts';
import { api, ApiError } from '../lib/api.ts';
import { verifyEntryHash, verifyInclusion } from '../lib/integrity.ts';
import type { Entry } from '../lib/types.ts';
import { keys } from './keys.ts';

export type Checkpoint = CheckpointView;

/** The latest signed checkpoint (the answer's history holds it alone). */
export function useLatestCheckpoint() {
  return useQuery({
    queryKey: keys.checkpoints.latest(),
    queryFn: () => api<CheckpointListView>('GET', '/v1/integrity/checkpoints?limit=1'),
  });
}

/** Walks the organization's whole chain on the server. */
export function useVerifyChain() {
  return useMutation({ mutationFn: () => api<VerifyReportView>('GET', '/v1/integrity/verify') });
}

/** Signs a checkpoint at the current head now. */
export function useSignCheckpoint() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api<Checkpoint>('POST', '/v1/integrity/checkpoints'),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.checkpoints.all() }),
  });
}

/** What the browser found about one entry: its own hash, and its inclusion in the first checkpoint covering it. */
export interface EntryIntegrity {
  hashOk: boolean;
  checkpoint: { number: number; signed: string; included: boolean } | null;
}

/** Checks the entry's own hash in the browser, and its inclusion in the first signed checkpoint that covers it. */
export function useEntryIntegrity(entry: Entry) {
  return useQuery({
    queryKey: keys.integrity(entry.id),
    queryFn: async (): Promise<EntryIntegrity> => {
      const hashOk = await verifyEntryHash(entry);
      const checkpoints = await api<CheckpointListView>('GET', '/v1/integrity/checkpoints?limit=1000');
      const covering = [...checkpoints.history]
        .filter((c) => c.tree_size >= entry.seq)
        .sort((a, b) => a.tree_size - b.tree_size);
      const first = covering[0];
      if (!first) return { hashOk, checkpoint: null };
      try {
        const path = `/v1/events/${encodeURIComponent(entry.id)}/proof?tree_size=${first.tree_size}`;
        const proof = await api<InclusionProofView>('GET', path);
        // Checked against the signed checkpoint's root, not the root the proof answer names.
        const { leaf_index, tree_size, audit_path } = proof;
        const included = await verifyInclusion(entry.hash, leaf_index, tree_size, audit_path, first.root_hash);
        const ordered = [...checkpoints.history]
          .sort((a, b) => a.tree_size - b.tree_size || a.created_at.localeCompare(b.created_at));
        return { hashOk, checkpoint: { number: ordered.indexOf(first) + 1, signed: first.created_at, included } };
      } catch (error) {
        if (error instanceof ApiError && error.status < 500) return { hashOk, checkpoint: null };
        throw error;
      }
    },
  });
}
