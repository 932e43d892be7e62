/**
 * @auditum/client: record audit events in the background (batched, retried, bounded), read, stream
 * and export the log, and verify its hash chain and checkpoints independently of the server.
 */
export { createClient, type AuditumClient, type ClientOptions, type CommonOptions } from './client.ts';
export { AuditumError, type ErrorDetail } from './errors.ts';
export type { RetryOptions } from './backoff.ts';
export type { RetryInfo, WhenFull } from './event-queue.ts';
export type { OauthSettings } from './auth.ts';
export type { EntryStream, StreamOptions } from './entry-stream.ts';
export type { ListOptions } from './event-reader.ts';
export type { CreateExportOptions, ExportHandle, WaitOptions } from './exports.ts';
export {
  verifyChain,
  type ChainProblem,
  type VerifyChainOptions,
  type VerifyChainResult,
  type VerifiedCheckpoint,
} from './verify-chain.ts';
export { entryHash, GENESIS_HASH } from './hash-chain.ts';
export type { PublicKeyInput } from './checkpoint.ts';
export type * from './types.ts';
