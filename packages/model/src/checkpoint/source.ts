import { type FileHandle, open } from 'node:fs/promises';
import { CheckpointFormatError } from './errors.js';

/** Random-access bytes: a file opened for reading, or a buffer in memory. */
export interface ByteSource {
  /** The file name used in error messages (`<memory>` for buffers). */
  readonly name: string;
  readonly size: number;
  /** Reads exactly `length` bytes at `offset` into a fresh, 8-byte-aligned buffer. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Opens `path` for reading; throws a CheckpointFormatError when it is over `maxBytes`. */
export async function openFileSource(path: string, maxBytes: number): Promise<ByteSource> {
  const fh: FileHandle = await open(path, 'r');
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new CheckpointFormatError(path, 'not a regular file');
    if (stat.size > maxBytes) {
      throw new CheckpointFormatError(
        path,
        `file is ${stat.size} bytes, over the limit of ${maxBytes} bytes (raise the maxBytes option)`,
      );
    }
    return fileSource(path, fh, stat.size);
  } catch (err) {
    await fh.close();
    throw err;
  }
}

function fileSource(name: string, fh: FileHandle, size: number): ByteSource {
  return {
    name,
    size,
    async read(offset, length) {
      checkRange(name, size, offset, length);
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        // Chunked: a single read is capped at 2 GiB.
        const chunk = Math.min(length - done, 1 << 30);
        const { bytesRead } = await fh.read(out, done, chunk, offset + done);
        if (bytesRead === 0) {
          throw new CheckpointFormatError(name, `unexpected end of file at byte ${offset + done}`);
        }
        done += bytesRead;
      }
      return out;
    },
    close: () => fh.close(),
  };
}

/** Wraps bytes already in memory. */
export function memorySource(bytes: Uint8Array, name = '<memory>'): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    async read(offset, length) {
      checkRange(name, bytes.byteLength, offset, length);
      // Uint8Array's slice copies (Buffer's would not), so the result is fresh and aligned.
      return Uint8Array.prototype.slice.call(bytes, offset, offset + length);
    },
    close: async () => {},
  };
}

function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new CheckpointFormatError(name, `invalid byte range ${offset}+${length}`);
  }
  if (offset + length > size) {
    throw new CheckpointFormatError(
      name,
      `truncated: needs bytes ${offset}..${offset + length} but the file has ${size} bytes`,
    );
  }
}
