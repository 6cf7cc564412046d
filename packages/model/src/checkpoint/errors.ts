/**
 * Errors thrown by the checkpoint readers and writers. Every message starts with the file it is
 * about (or `<memory>` for in-memory input) and, where one is involved, names the tensor.
 */

/**
 * Base class of every checkpoint error.
 *
 * @group Errors
 */
export class CheckpointError extends Error {
  /** The file the error is about, or `<memory>`. */
  readonly file: string;
  /** The tensor the error is about, when there is one. */
  readonly tensor: string | undefined;

  constructor(file: string, message: string, tensor?: string) {
    super(`${file}: ${tensor === undefined ? '' : `tensor "${tensor}": `}${message}`);
    this.name = 'CheckpointError';
    this.file = file;
    this.tensor = tensor;
  }
}

/**
 * The file is truncated, corrupt, of an unsupported variant or over a size limit.
 *
 * @group Errors
 */
export class CheckpointFormatError extends CheckpointError {
  constructor(file: string, message: string, tensor?: string) {
    super(file, message, tensor);
    this.name = 'CheckpointFormatError';
  }
}

/**
 * A pickle references a Python global outside the allow-list (for example `os.system`). Nothing
 * from the file is used once this is thrown; nothing from the pickle is ever executed.
 *
 * @group Errors
 */
export class CheckpointSecurityError extends CheckpointError {
  /** The refused global, as `module.name` (for example `posix.system`). */
  readonly global: string;

  constructor(file: string, global: string, detail?: string) {
    super(
      file,
      `refusing to load: the pickle references the Python global "${global}", which is not on the allow-list of tensor-rebuilding functions${detail ? ` (${detail})` : ''}`,
    );
    this.name = 'CheckpointSecurityError';
    this.global = global;
  }
}

/** RangeError messages of V8 that mean "out of memory" rather than a bug. */
const OUT_OF_MEMORY =
  /allocation failed|Invalid typed array length|Invalid array buffer length|Invalid string length|Invalid array length|Maximum call stack size exceeded/;

/**
 * `err` as thrown by a reader of `file`: a RangeError that means the engine ran out of room
 * (an allocation the machine cannot make, a typed array too long) becomes a CheckpointError
 * naming the file; checkpoint errors and anything else (a bug) pass through unchanged.
 */
export function resourceError(file: string, err: unknown): unknown {
  if (!(err instanceof RangeError) || !OUT_OF_MEMORY.test(err.message)) return err;
  return new CheckpointError(
    file,
    `not enough memory to read it (${err.message}): lower the other demands on memory, or check that this is the checkpoint you meant to load`,
  );
}
