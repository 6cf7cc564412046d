/**
 * Base class of every error this package throws. Messages always name the file, row or
 * puzzle at fault so that a user can find the bad input without a debugger.
 *
 * @group Errors
 */
export class DatasetError extends Error {
  /** The file the error is about, when there is one. */
  readonly file: string | undefined;

  constructor(message: string, options?: { file?: string; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'DatasetError';
    this.file = options?.file;
  }
}

/**
 * A `.npy` file is malformed, truncated or uses an unsupported dtype or layout.
 *
 * @group Errors
 */
export class NpyError extends DatasetError {
  constructor(message: string, options?: { file?: string; cause?: unknown }) {
    super(message, options);
    this.name = 'NpyError';
  }
}

/**
 * A source row (CSV) or puzzle (ARC JSON) is invalid.
 *
 * @group Errors
 */
export class SourceDataError extends DatasetError {
  /** 1-based line number in the CSV (header is line 1), when the source is a CSV. */
  readonly row: number | undefined;
  /** Puzzle name, when the source is ARC JSON. */
  readonly puzzle: string | undefined;

  constructor(
    message: string,
    options?: { file?: string; row?: number; puzzle?: string; cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SourceDataError';
    this.row = options?.row;
    this.puzzle = options?.puzzle;
  }
}

/**
 * `validateDataset` found one or more violated invariants; all of them are listed.
 *
 * @group Errors
 */
export class DatasetValidationError extends DatasetError {
  readonly violations: readonly string[];

  constructor(dir: string, violations: readonly string[]) {
    super(
      `dataset ${dir} is invalid (${violations.length} problem${violations.length === 1 ? '' : 's'}):\n  - ${violations.join('\n  - ')}`,
      { file: dir },
    );
    this.name = 'DatasetValidationError';
    this.violations = violations;
  }
}

/**
 * Downloading from the Hugging Face hub failed.
 *
 * @group Errors
 */
export class HubError extends DatasetError {
  readonly status: number | undefined;

  constructor(message: string, options?: { file?: string; status?: number; cause?: unknown }) {
    super(message, options);
    this.name = 'HubError';
    this.status = options?.status;
  }
}
