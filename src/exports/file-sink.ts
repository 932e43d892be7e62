import fs from 'node:fs';
import { once } from 'node:events';
import { PRIVATE_FILE_MODE } from '../data-dir.ts';

/** A file being written with backpressure: write() resolves only when there is room again. */
export interface FileSink {
  readonly stream: fs.WriteStream;
  write(chunk: string | Buffer): Promise<void>;
  /** Flushes, fsyncs and closes the file. */
  end(): Promise<void>;
  /** Closes the file without finishing it (after a failure or cancellation). */
  destroy(): void;
}

export function openFileSink(file: string): FileSink {
  const stream = fs.createWriteStream(file, { flags: 'w', mode: PRIVATE_FILE_MODE });
  let failure: Error | undefined;
  stream.on('error', (error) => (failure ??= error));
  return {
    stream,
    async write(chunk) {
      if (failure) throw failure;
      if (!stream.write(chunk)) await once(stream, 'drain');
    },
    async end() {
      if (failure) throw failure;
      await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
      await fsyncFile(file);
    },
    destroy() {
      stream.destroy();
    },
  };
}

/** Makes a finished file durable before it is renamed into place and reported complete. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
