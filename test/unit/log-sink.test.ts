import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createLogger, createLogSink } from '../../src/log.ts';
import { freshDataDir } from '../helpers/test-app.ts';

const flushed = (sink: ReturnType<typeof createLogSink>) => new Promise<void>((resolve) => sink.flush(() => resolve()));

describe('log sink', () => {
  it('writes every line, in order, to its file descriptor', async () => {
    const dir = freshDataDir('log-sink');
    const file = path.join(dir, 'out.log');
    const fd = fs.openSync(file, 'w');
    try {
      const sink = createLogSink({ fd });
      const logger = createLogger('info', sink);
      for (let i = 0; i < 500; i++) logger.info({ i }, 'line');
      await flushed(sink);
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { i: number });
      assert.deepEqual(lines.map((l) => l.i), Array.from({ length: 500 }, (_, i) => i));
      assert.equal(sink.dropped, 0);
    } finally {
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const noDevFull = !fs.existsSync('/dev/full') && 'no /dev/full here';
  it('drops and counts lines it cannot write (ENOSPC from /dev/full) instead of throwing', { skip: noDevFull }, async () => {
    const fd = fs.openSync('/dev/full', 'w');
    try {
      const sink = createLogSink({ fd });
      const logger = createLogger('info', sink);
      for (let i = 0; i < 100; i++) logger.info({ i }, 'line');
      await flushed(sink);
      assert.equal(sink.dropped, 100);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('drops lines beyond its queue bound rather than holding them all', async () => {
    const dir = freshDataDir('log-sink');
    const fd = fs.openSync(path.join(dir, 'out.log'), 'w');
    try {
      const sink = createLogSink({ fd, maxQueuedBytes: 1000 });
      // Synchronous bursts: the first write is in flight while the rest queue up to the bound.
      for (let i = 0; i < 100; i++) sink.write(`${JSON.stringify({ i, pad: 'x'.repeat(80) })}\n`);
      assert.ok(sink.dropped > 80, `dropped ${sink.dropped}`);
      await flushed(sink);
    } finally {
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
