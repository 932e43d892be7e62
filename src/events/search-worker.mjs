// Worker-thread entry: registers the TypeScript loader, then runs the indexer loop.
import { register } from 'tsx/esm/api';

register();
await import('./search-worker.ts');
