import { ftruncateSync, openSync, renameSync, rmSync } from 'node:fs';
import { NpyError } from '../errors.js';
import { fsError, writeError } from '../format/fs-errors.js';
import { removeStaleTemporaries, tempFileFor } from '../format/temporaries.js';
import { closeQuietly, syncAndClose, writeAllSync } from '../format/write-all.js';
import { DTYPES, dtypeOf, type NpyArrayTypes, type NpyDtype, type NpyTypedArray } from './dtype.js';
import { buildHeader } from './header.js';

/** Room reserved for a header whose leading dimension is unknown when writing starts. */
const RESERVED_HEADER = 128;

/**
 * Writes a `.npy` file incrementally: the header first, then rows as they are produced, so a
 * dataset of any size is written with a bounded amount of memory.
 *
 * Pass `rows: null` when the number of rows is not known in advance; the header is rewritten
 * in place on {@link NpyWriter.close} with the final count.
 */
export class NpyWriter<D extends NpyDtype = NpyDtype> {
  private fd: number;
  private position: number;
  private written = 0;
  private readonly rowSize: number;
  private readonly headerSize: number;

  /**
   * @param path destination file (created or truncated)
   * @param dtype element type
   * @param rows leading dimension, or `null` if it is only known at the end
   * @param rowShape the remaining dimensions (e.g. `[81]` for Sudoku inputs, `[]` for 1-D)
   */
  constructor(
    readonly path: string,
    readonly dtype: D,
    readonly rows: number | null,
    readonly rowShape: readonly number[] = [],
  ) {
    this.rowSize = rowShape.reduce((a, b) => a * b, 1);
    const header =
      rows === null
        ? buildHeader(dtype, [0, ...rowShape], RESERVED_HEADER)
        : buildHeader(dtype, [rows, ...rowShape]);
    this.headerSize = header.length;
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw fsError('create the .npy file', path, e);
    }
    this.position = header.length;
    try {
      writeAllSync(this.fd, header, path, 0);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Appends whole rows; `data.length` must be a multiple of the row size. */
  append(data: NpyArrayTypes[D]): void {
    if (this.fd < 0) throw new NpyError(`${this.path}: write after close`, { file: this.path });
    if (this.rowSize > 0 && data.length % this.rowSize !== 0) {
      throw new NpyError(
        `${this.path}: appended ${data.length} elements, not a multiple of the row size ${this.rowSize}`,
        { file: this.path },
      );
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    writeAllSync(this.fd, bytes, this.path, this.position);
    this.position += bytes.length;
    this.written += this.rowSize > 0 ? data.length / this.rowSize : 0;
  }

  /** Number of rows appended so far. */
  get rowsWritten(): number {
    return this.written;
  }

  /**
   * Finishes the file: checks that the promised number of rows was written, fixes the header
   * and flushes the data to the disk (where some file systems first report it did not fit).
   */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      if (this.rows !== null && this.written !== this.rows) {
        throw new NpyError(
          `${this.path}: header promised ${this.rows} rows but ${this.written} were written`,
          { file: this.path },
        );
      }
      if (this.rows === null) {
        const header = buildHeader(this.dtype, [this.written, ...this.rowShape], this.headerSize);
        if (header.length !== this.headerSize) {
          throw new NpyError(`${this.path}: shape too large for the reserved header`, {
            file: this.path,
          });
        }
        writeAllSync(fd, header, this.path, 0);
      }
      ftruncateSync(fd, this.position);
    } catch (e) {
      closeQuietly(fd);
      throw writeError(this.path, e);
    }
    syncAndClose(fd, this.path);
  }

  /** Closes and deletes the partial file (used when building fails). */
  abort(): void {
    if (this.fd >= 0) {
      closeQuietly(this.fd);
      this.fd = -1;
    }
    rmSync(this.path, { force: true });
  }
}

/**
 * Writes a whole typed array as a `.npy` file. `shape` defaults to 1-D. The data is written
 * from the array's own memory without an intermediate copy; the file appears atomically
 * (written under a temporary name, then renamed).
 */
export function writeNpy(path: string, data: NpyTypedArray, shape?: readonly number[]): void {
  const dtype = dtypeOf(data);
  if (!dtype)
    throw new NpyError(`${path}: unsupported typed array ${data.constructor.name}`, { file: path });
  const dims = shape ?? [data.length];
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new NpyError(
      `${path}: shape (${dims.join(', ')}) has ${count} elements but data has ${data.length}`,
      {
        file: path,
      },
    );
  }
  removeStaleTemporaries(path);
  const tmp = tempFileFor(path);
  const w = new NpyWriter(tmp, dtype, dims[0] ?? 1, dims.slice(1));
  try {
    if (dims.length === 0) {
      // 0-d arrays: the header shape is () and there is exactly one element.
      w.abort();
      writeScalar(tmp, dtype, data);
    } else {
      w.append(data as never);
      w.close();
    }
    renameSync(tmp, path);
  } catch (e) {
    w.abort();
    rmSync(tmp, { force: true });
    throw e instanceof NpyError ? e : fsError('write', path, e);
  }
}

function writeScalar(path: string, dtype: NpyDtype, data: NpyTypedArray): void {
  const header = buildHeader(dtype, []);
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw fsError('create the .npy file', path, e);
  }
  try {
    writeAllSync(fd, header, path, 0);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, DTYPES[dtype].size);
    writeAllSync(fd, bytes, path, header.length);
  } catch (e) {
    closeQuietly(fd);
    throw e;
  }
  syncAndClose(fd, path);
}
