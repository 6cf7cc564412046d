import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { DatasetError } from '../errors.js';
import { fsError } from './fs-errors.js';

/** Size caps of the JSON files this package reads, far above any real one. */
export const MAX_JSON_BYTES = {
  /** `dataset.json` is a dozen numbers. */
  metadata: 1 << 20,
  /** `identifiers.json`, `test_puzzles.json` and ARC challenge files: megabytes at most. */
  large: 256 << 20,
} as const;

/**
 * Reads a UTF-8 text file of at most `maxBytes`, checking the size before reading so a huge
 * or endless file (a device, a pipe) is refused rather than read into memory. `what` names
 * the kind of file in messages ("dataset.json"); errors are DatasetErrors naming `path`.
 */
export function readTextFile(path: string, what: string, maxBytes: number): string {
  // Checked before opening: opening a named pipe for reading would wait for a writer forever.
  let size: number;
  try {
    const info = statSync(path);
    if (info.isDirectory())
      throw new DatasetError(`${path}: cannot read ${what}: it is a directory, not a file`, {
        file: path,
      });
    if (!info.isFile())
      throw new DatasetError(`${path}: cannot read ${what}: it is not a regular file`, {
        file: path,
      });
    size = info.size;
  } catch (e) {
    throw fsError(`read ${what}`, path, e);
  }
  if (size > maxBytes)
    throw new DatasetError(
      `${path}: is ${size.toLocaleString('en-US')} bytes, more than any ${what} (at most ${maxBytes.toLocaleString('en-US')}); it is not a ${what}`,
      { file: path },
    );
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw fsError(`read ${what}`, path, e);
  }
  try {
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.toString('utf8', 0, got);
  } catch (e) {
    throw fsError(`read ${what}`, path, e);
  } finally {
    closeSync(fd);
  }
}

/** Parses JSON text read from `path`; a syntax error names the file. */
export function parseJsonText(
  text: string,
  path: string,
  what: string,
  make: (message: string, options: { file: string; cause: unknown }) => DatasetError = (m, o) =>
    new DatasetError(m, o),
): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw make(`${path}: ${what} is not valid JSON: ${(e as Error).message}`, {
      file: path,
      cause: e,
    });
  }
}
