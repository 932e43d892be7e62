import type { EventQueue } from './event-queue.ts';

/**
 * Watches the process for an exit with events still unsent: when the event loop runs dry
 * ('beforeExit') the queue sends what waits at once, and at 'exit' a line on stderr says how many
 * events were never acknowledged. Returns the function that stops watching.
 */
export function watchExit(queue: EventQueue, url: string): () => void {
  const beforeExit = () => queue.nudge();
  const exit = () => {
    const left = queue.pending();
    if (left === 0) return;
    // Written synchronously (stderr is a file, pipe or terminal): nothing asynchronous runs after 'exit'.
    process.stderr.write(`auditum client: the process is exiting with ${left} event(s) not acknowledged by ${url}; `
      + 'await client.close() before exiting so they are sent\n');
  };
  process.on('beforeExit', beforeExit);
  process.on('exit', exit);
  return () => {
    process.off('beforeExit', beforeExit);
    process.off('exit', exit);
  };
}
