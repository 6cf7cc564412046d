/**
 * Writing that does not lie: `writeSync` may write fewer bytes than asked (a filling disk, a
 * signal), and some file systems report a failed write only at `fsync` or `close`. Every
 * writer of this package goes through these helpers, so a write either completes or throws
 * a {@link DatasetError} naming the file.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { fsError, writeError } from './fs-errors.js';
import { removeStaleTemporaries, tempFileFor } from './temporaries.js';

/** One `writeSync` call never passes more than this (Node rejects lengths of 2 GiB and up). */
const MAX_WRITE = 1 << 30;

/**
 * Writes all of `data` to `fd` at `position` (or at the file position when omitted), looping
 * over short writes. Errors become a DatasetError naming `path`; the cause keeps the system
 * code (ENOSPC, EDQUOT, EIO, …). Returns the number of bytes written.
 */
export function writeAllSync(
  fd: number,
  data: Uint8Array | string,
  path: string,
  position?: number,
): number {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let done = 0;
  try {
    while (done < bytes.length) {
      const at = position === undefined ? null : position + done;
      const n = writeSync(fd, bytes, done, Math.min(bytes.length - done, MAX_WRITE), at);
      // A write that makes no progress would loop forever; the kernel only does that when
      // the device is in trouble.
      if (!(n > 0)) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      done += n;
    }
  } catch (e) {
    throw writeError(path, e);
  }
  return done;
}

/**
 * Flushes `fd` to the disk and closes it: network and some local file systems report that
 * the data did not fit only here. Always closes, even when the flush fails.
 */
export function syncAndClose(fd: number, path: string): void {
  try {
    fsyncSync(fd);
  } catch (e) {
    closeQuietly(fd);
    // Devices and pipes cannot be flushed; everything else that fails here lost data.
    if ((e as NodeJS.ErrnoException).code === 'EINVAL') return;
    throw writeError(path, e);
  }
  try {
    closeSync(fd);
  } catch (e) {
    throw writeError(path, e);
  }
}

/** Closes `fd`, ignoring errors (for clean-up after another error, which is the one to report). */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // The first error is the one the caller reports.
  }
}

/**
 * Writes a file under a temporary name beside it and renames it into place, so readers never
 * see half a file and a failed write leaves the old file, if any, untouched. `write` gets the
 * open file; temporaries of earlier runs that were killed are removed first.
 */
export function writeViaTemporary<T>(path: string, write: (fd: number) => T): T {
  removeStaleTemporaries(path);
  const tmp = tempFileFor(path);
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw fsError('create', path, e);
  }
  let result: T;
  try {
    result = write(fd);
  } catch (e) {
    closeQuietly(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  try {
    syncAndClose(fd, path);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw fsError('create', path, e);
  }
  return result;
}

/** {@link writeViaTemporary} for contents already in memory. */
export function writeFileAtomic(path: string, contents: string | Uint8Array): void {
  writeViaTemporary(path, (fd) => writeAllSync(fd, contents, path));
}
