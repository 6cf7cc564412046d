import { CheckpointFormatError } from './errors.js';

/**
 * Random-access bytes: a buffer in memory, or (in Node, `file-source.ts`) a file opened for
 * reading.
 */
export interface ByteSource {
  /** The file name used in error messages (`<memory>` for buffers). */
  readonly name: string;
  readonly size: number;
  /** Reads exactly `length` bytes at `offset` into a fresh, 8-byte-aligned buffer. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
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

/** Throws unless `offset`..`offset + length` is a valid range of a source of `size` bytes. */
export function checkRange(name: string, size: number, offset: number, length: number): void {
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
