import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { NpyError } from '../errors.js';
import { describeFsError } from '../format/fs-errors.js';
import { DTYPES, type NpyArrayTypes, type NpyDtype } from './dtype.js';
import { type NpyHeader, parseHeader } from './header.js';

/** An array read from a `.npy` file: flat C-order data plus its shape. */
export interface NpyArray<D extends NpyDtype = NpyDtype> {
  dtype: D;
  shape: number[];
  data: NpyArrayTypes[D];
}

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Reads only the header of a `.npy` file (cheap: a few hundred bytes), e.g. to check shapes
 * without loading data.
 */
export function readNpyHeader(path: string): NpyHeader & { fileSize: number } {
  const fd = openOrThrow(path);
  try {
    return { ...headerFromFd(fd, path), fileSize: fstatSync(fd).size };
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a `.npy` file (format 1.0–3.0, little-endian, C order).
 *
 * The data is read straight into the memory of the returned typed array, so a large file
 * occupies its size in memory once, not twice. A file shorter than its header promises is
 * reported as truncated, naming the file.
 */
export function readNpy(path: string): NpyArray {
  const fd = openOrThrow(path);
  try {
    const header = headerFromFd(fd, path);
    const { size, ctor } = DTYPES[header.dtype];
    const count = elementCount(header.shape);
    const byteLength = count * size;
    const fileSize = fstatSync(fd).size;
    if (fileSize < header.dataOffset + byteLength) {
      throw new NpyError(
        `${path}: truncated .npy file: shape (${header.shape.join(', ')}) of ${header.dtype} needs ${byteLength} data bytes but only ${Math.max(0, fileSize - header.dataOffset)} are present`,
        { file: path },
      );
    }
    const buffer = allocate(byteLength, path);
    const bytes = new Uint8Array(buffer);
    let done = 0;
    // readSync caps a single call at 2 GiB, so large arrays are read in slices.
    const slice = 1 << 30;
    while (done < byteLength) {
      const n = readOrThrow(
        fd,
        bytes,
        done,
        Math.min(slice, byteLength - done),
        header.dataOffset + done,
        path,
      );
      if (n === 0)
        throw new NpyError(`${path}: unexpected end of file while reading data`, { file: path });
      done += n;
    }
    return {
      dtype: header.dtype,
      shape: header.shape,
      data: new ctor(buffer, 0, count),
    } as NpyArray;
  } finally {
    closeSync(fd);
  }
}

/** Parses a complete `.npy` file held in memory. */
export function parseNpy(bytes: Uint8Array, name = '<buffer>'): NpyArray {
  const header = parseHeader(bytes, () => bytes);
  if (typeof header === 'string') throw new NpyError(`${name}: ${header}`, { file: name });
  const { size, ctor } = DTYPES[header.dtype];
  const count = elementCount(header.shape);
  if (bytes.length < header.dataOffset + count * size) {
    throw new NpyError(`${name}: truncated .npy data (need ${count * size} bytes)`, { file: name });
  }
  // Copy so the result is aligned regardless of where the data sits in `bytes`.
  // (Buffer#slice is a view, so copy explicitly.)
  const copy = new Uint8Array(count * size);
  copy.set(bytes.subarray(header.dataOffset, header.dataOffset + count * size));
  return {
    dtype: header.dtype,
    shape: header.shape,
    data: new ctor(copy.buffer, 0, count),
  } as NpyArray;
}

/**
 * Opens a `.npy` file for reading. A missing file, a directory, a device or a named pipe (which
 * would block the reader forever) is an NpyError naming the path, checked before opening.
 */
function openOrThrow(path: string): number {
  let info: ReturnType<typeof statSync>;
  try {
    info = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NpyError(
      code === 'ENOENT'
        ? `${path}: no such file (the dataset is incomplete: rebuild it with trm build-dataset)`
        : `${path}: cannot read: ${describeFsError(e)}`,
      { file: path, cause: e },
    );
  }
  if (!info.isFile()) {
    const kind = info.isDirectory()
      ? 'a directory'
      : info.isFIFO()
        ? 'a named pipe'
        : 'not a regular file';
    throw new NpyError(`${path}: is ${kind}, not a .npy file`, { file: path });
  }
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw new NpyError(`${path}: cannot open .npy file: ${describeFsError(e)}`, {
      file: path,
      cause: e,
    });
  }
}

/** An ArrayBuffer of the data's size; running out of memory is named, not a stack trace. */
function allocate(byteLength: number, path: string): ArrayBuffer {
  try {
    return new ArrayBuffer(byteLength);
  } catch (e) {
    throw new NpyError(
      `${path}: its ${byteLength.toLocaleString('en-US')} bytes of data do not fit in memory`,
      { file: path, cause: e },
    );
  }
}

function readOrThrow(
  fd: number,
  buf: Uint8Array,
  offset: number,
  length: number,
  position: number,
  path: string,
): number {
  try {
    return readSync(fd, buf, offset, length, position);
  } catch (e) {
    throw new NpyError(`${path}: cannot read: ${describeFsError(e)}`, { file: path, cause: e });
  }
}

function headerFromFd(fd: number, path: string): NpyHeader {
  const fileSize = fstatSync(fd).size;
  const readAt = (len: number): Uint8Array => {
    // Never more than the file holds: a corrupt header length cannot make us allocate.
    const buf = new Uint8Array(Math.min(len, fileSize));
    let got = 0;
    while (got < buf.length) {
      const n = readOrThrow(fd, buf, got, buf.length - got, got, path);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  };
  const header = parseHeader(readAt(12), readAt);
  if (typeof header === 'string') throw new NpyError(`${path}: ${header}`, { file: path });
  return header;
}
