import { constants } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
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

/**
 * Opens `path` for reading. Anything but a readable regular file within `maxBytes` is a
 * CheckpointFormatError naming the file: a missing path, a directory, a device such as
 * /dev/null, a named pipe. Named pipes are refused before opening (a plain open would block
 * until a writer appears), and the open itself does not block in case the path was swapped
 * for one in between.
 */
export async function openFileSource(path: string, maxBytes: number): Promise<ByteSource> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (err) {
    throw new CheckpointFormatError(path, describeFsError(err));
  }
  if (!info.isFile()) {
    const kind = info.isDirectory()
      ? 'a directory'
      : info.isFIFO()
        ? 'a named pipe'
        : info.isCharacterDevice() || info.isBlockDevice()
          ? 'a device'
          : 'not a regular file';
    throw new CheckpointFormatError(path, `is ${kind}, not a checkpoint file`);
  }
  let fh: FileHandle;
  try {
    // O_NONBLOCK does not exist on Windows, where there are no FIFOs to guard against.
    fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new CheckpointFormatError(path, describeFsError(err));
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new CheckpointFormatError(path, 'is not a regular file (any more)');
    if (st.size > maxBytes) {
      throw new CheckpointFormatError(
        path,
        `file is ${st.size} bytes, over the limit of ${maxBytes} bytes (raise the maxBytes option)`,
      );
    }
    return fileSource(path, fh, st.size);
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** A plain sentence for a file-system error (no `ENOENT: …, open '…'`). */
function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'the file does not exist (check the path)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied: the file cannot be read';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return `cannot be read (${(err as Error).message})`;
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
        let bytesRead: number;
        try {
          ({ bytesRead } = await fh.read(out, done, chunk, offset + done));
        } catch (err) {
          throw new CheckpointFormatError(name, describeFsError(err));
        }
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
