import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The temporary file `path` is written into: `.<name>.<pid>.<12 hex digits>.tmp`, beside it. */
function temporaryPath(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
}

/**
 * Removes the temporary files this process's {@link writeFileAtomic} calls are writing in
 * `dir`, returning their names. For a Ctrl-C or `kill` handler, just before the process dies of
 * the signal: no `finally` of the interrupted write runs then. Only names with this process's
 * pid are touched; complete files stay.
 */
export function removeOwnTemporaries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const own = new RegExp(`^\\..+\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`);
  const names = readdirSync(dir).filter((n) => own.test(n));
  for (const n of names) rmSync(join(dir, n), { force: true });
  return names;
}

/**
 * Writes `chunks` to `path` atomically: into a temporary file in the same directory, flushed
 * with fsync, then renamed over `path` (and the directory fsynced where the platform allows).
 * Readers see either the old file or the complete new one; on failure the temporary file is
 * removed and `path` is untouched.
 */
export async function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const dir = dirname(path);
  const tmp = temporaryPath(path);
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
