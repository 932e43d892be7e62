import { z } from 'zod';

/**
 * What the integrity API answers (chain verification, signed checkpoints, proofs, signing keys), apart
 * from the routes so the web page can take the types (`import type`) without the server's Node.js imports.
 */

export const verifyReportViewSchema = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  first_bad_seq: z.number().int().nullable(),
  reason: z.string().nullable(),
});
export type VerifyReportView = z.infer<typeof verifyReportViewSchema>;

export const checkpointViewSchema = z.object({
  tree_size: z.number().int(),
  root_hash: z.string(),
  key_id: z.string(),
  created_at: z.string(),
  note: z.string(),
});
export type CheckpointView = z.infer<typeof checkpointViewSchema>;
export const checkpointListViewSchema = z.object({ latest: checkpointViewSchema.nullable(), history: z.array(checkpointViewSchema) });
export type CheckpointListView = z.infer<typeof checkpointListViewSchema>;

/** GET /v1/events/:id/proof: the RFC 6962 audit path of one entry. */
export const inclusionProofViewSchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  leaf_index: z.number().int(),
  tree_size: z.number().int(),
  entry_hash: z.string(),
  leaf_hash: z.string(),
  root_hash: z.string(),
  audit_path: z.array(z.string()),
});
export type InclusionProofView = z.infer<typeof inclusionProofViewSchema>;

export const consistencyProofViewSchema = z.object({
  from: z.number().int(),
  to: z.number().int(),
  from_root: z.string(),
  to_root: z.string(),
  proof: z.array(z.string()),
});

export const signingKeyListViewSchema = z.object({
  keys: z.array(
    z.object({
      name: z.string(),
      key_id: z.string(),
      active: z.boolean(),
      created_at: z.string(),
      public_key_pem: z.string(),
      verifier_key: z.string(),
    }),
  ),
});
