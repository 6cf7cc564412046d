import { constants } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { CheckpointFormatError, resourceError } from './errors.js';
import { type ByteSource, checkRange, memorySource } from './source.js';
import { checkReadOptions, DEFAULT_MAX_BYTES, type ReadOptions } from './types.js';

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

/**
 * Runs a reader on its input, the file at a path (see {@link openFileSource}) or bytes, once
 * the options are checked; closes the file afterwards and reports running out of memory as a
 * CheckpointError naming it.
 */
export async function readInput<T>(
  input: string | Uint8Array,
  options: ReadOptions,
  read: (src: ByteSource) => Promise<T>,
): Promise<T> {
  checkReadOptions(options);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const src =
    typeof input === 'string' ? await openFileSource(input, maxBytes) : memorySource(input);
  try {
    return await read(src);
  } catch (err) {
    throw resourceError(src.name, err);
  } finally {
    await src.close();
  }
}
