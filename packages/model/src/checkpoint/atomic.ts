import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `chunks` to `path` atomically: into a temporary file in the same directory, flushed
 * with fsync, then renamed over `path` (and the directory fsynced where the platform allows).
 * Readers see either the old file or the complete new one; on failure the temporary file is
 * removed and `path` is untouched.
 */
export async function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  let renamed = false;
  try {
    try {
      for (const chunk of chunks) {
        let done = 0;
        while (done < chunk.byteLength) {
          const { bytesWritten } = await fh.write(chunk, done, chunk.byteLength - done);
          done += bytesWritten;
        }
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) await unlink(tmp).catch(() => {});
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable on POSIX; Windows cannot open directories, so failures are ignored.
  let dh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    dh = await open(dir, 'r');
    await dh.sync();
  } catch {
    // best effort
  } finally {
    await dh?.close().catch(() => {});
  }
}
