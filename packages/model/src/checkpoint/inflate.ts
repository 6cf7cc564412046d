/**
 * Streaming raw-deflate decompression into a buffer of a known size. The output never grows
 * past that size: a stream that inflates to more is stopped at the first chunk that does not
 * fit, so a small file cannot make the reader allocate more than it declared (and the caller
 * budgeted for).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import type { ByteSource } from './source.js';

/** Compressed bytes are read from the file in pieces of this size. */
const INPUT_CHUNK = 1 << 20;

/** Why {@link inflateRawInto} stopped early. */
export type InflateFailure =
  | { kind: 'overflow' }
  | { kind: 'short'; bytes: number }
  | { kind: 'corrupt'; reason: string };

/**
 * Inflates the raw-deflate stream at `src[start, start + length)` into a fresh buffer of
 * exactly `size` bytes. Returns the buffer, or why it could not: the stream inflates to more
 * than `size` (`overflow`, detected while streaming), to fewer (`short`), or is not valid
 * deflate data (`corrupt`). Errors from `src` itself (a truncated file) are rethrown.
 */
export async function inflateRawInto(
  src: ByteSource,
  start: number,
  length: number,
  size: number,
): Promise<Uint8Array | InflateFailure> {
  const out = new Uint8Array(size);
  let written = 0;
  let overflow = false;
  let sourceError: unknown;
  async function* input(): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < length; at += INPUT_CHUNK) {
      try {
        yield await src.read(start + at, Math.min(INPUT_CHUNK, length - at));
      } catch (err) {
        sourceError = err;
        throw err;
      }
    }
  }
  try {
    await pipeline(
      Readable.from(input(), { highWaterMark: 1 }),
      createInflateRaw(),
      async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) {
          if (written + chunk.byteLength > size) {
            overflow = true;
            throw new Error('overflow');
          }
          out.set(chunk, written);
          written += chunk.byteLength;
        }
      },
    );
  } catch (err) {
    if (sourceError !== undefined) throw sourceError;
    if (overflow) return { kind: 'overflow' };
    return { kind: 'corrupt', reason: (err as Error).message };
  }
  if (written !== size) return { kind: 'short', bytes: written };
  return out;
}
