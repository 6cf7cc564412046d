import { existsSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { HubError } from '../errors.js';
import { AttemptFailure, statusFailure } from './failure.js';
import { type RetryPolicy, type Timeouts, timedFetch, withRetries } from './request.js';

/** What {@link transferToFile} fetches, and where it writes it. */
export interface Transfer {
  url: string;
  headers: Record<string, string>;
  /** The file the bytes go to (`blobs/<etag>.incomplete`). */
  partial: string;
  /** Whether bytes already in `partial` belong to this file (its etag is known) and may be kept. */
  resume: boolean;
  /** The size the hub announced, if it did. */
  expectedSize: number | undefined;
  onProgress?: (downloaded: number, total: number | undefined, resumed: boolean) => void;
}

function totalFrom(res: Response, start: number): number | undefined {
  const range = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
  if (range) return Number(range[1]);
  const len = res.headers.get('content-length');
  return len !== null && /^\d+$/.test(len.trim()) ? start + Number(len.trim()) : undefined;
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/**
 * Downloads `t.url` into `t.partial`. Each attempt continues from the bytes already there
 * with an HTTP Range request (a server that ignores the range sends everything again, which
 * replaces them), so a connection lost mid-file costs only the retry, not the file.
 *
 * @throws HubError when the attempts run out, naming the URL and the cause; the partial file
 *   is kept for the next call to resume.
 */
export function transferToFile(
  t: Transfer,
  ctx: { fetch: typeof fetch; timeouts: Timeouts; retry: RetryPolicy; hasToken: boolean },
): Promise<void> {
  return withRetries('download', t.url, ctx.retry, async () => {
    // Bytes of a file without an etag may belong to another version of it: never reuse them.
    if (!t.resume) rmSync(t.partial, { force: true });
    let have = sizeOf(t.partial);
    if (t.expectedSize !== undefined && have > t.expectedSize) {
      rmSync(t.partial, { force: true });
      have = 0;
    }
    if (have > 0 && have === t.expectedSize) return;
    const headers = { ...t.headers };
    if (have > 0) headers.range = `bytes=${have}-`;
    const r = await timedFetch(
      ctx.fetch,
      t.url,
      { headers, redirect: 'follow' },
      ctx.timeouts,
      ctx.retry.signal,
    );
    const { res } = r;
    if (res.status === 416 && have > 0) {
      r.discard();
      rmSync(t.partial, { force: true });
      throw new AttemptFailure('the server refused to continue the partial download (HTTP 416)', {
        transient: true,
        retryAfterMs: 0,
      });
    }
    if (res.status !== 200 && res.status !== 206) {
      r.discard();
      throw statusFailure(res, ctx.hasToken);
    }
    let start = 0;
    if (res.status === 206) {
      const from = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
      if (!from || Number(from[1]) !== have) {
        r.discard();
        rmSync(t.partial, { force: true });
        throw new AttemptFailure('the server sent a different part of the file than asked for', {
          transient: true,
          retryAfterMs: 0,
        });
      }
      start = have;
    }
    const total = totalFrom(res, start) ?? t.expectedSize;
    let downloaded = start;
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(t.partial, start > 0 ? 'a' : 'w');
    } catch (err) {
      r.discard();
      throw writeError(t.partial, err);
    }
    try {
      t.onProgress?.(downloaded, total, start > 0);
      for await (const chunk of r.chunks()) {
        try {
          await fh.write(chunk);
        } catch (err) {
          throw writeError(t.partial, err);
        }
        downloaded += chunk.length;
        t.onProgress?.(downloaded, total, start > 0);
      }
    } finally {
      await fh.close();
    }
    if (total !== undefined && downloaded < total) {
      throw new AttemptFailure(`the connection closed after ${downloaded} of ${total} bytes`, {
        transient: true,
      });
    }
    if (total !== undefined && downloaded > total) {
      rmSync(t.partial, { force: true });
      throw new AttemptFailure(
        `the server sent ${downloaded} bytes, more than the ${total} it announced`,
        {
          transient: true,
        },
      );
    }
  });
}

/** A local write failure (a full disk, say): not the network's fault, so never retried. */
function writeError(path: string, err: unknown): HubError {
  return new HubError(`Could not write ${path}: ${(err as Error).message}`, {
    file: path,
    cause: err,
  });
}
