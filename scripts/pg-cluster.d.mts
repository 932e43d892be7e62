/** Types of pg-cluster.mjs, for the TypeScript that imports it (benchmarks). */
export function findPostgresBin(): string | null;
export function startCluster(options?: { durable?: boolean }): Promise<{ url: string; logFile: string; stop(): void }>;
