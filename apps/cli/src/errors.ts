/**
 * Error classes of the CLI. `runCli` turns each into one clear paragraph on stderr and an
 * exit code: {@link UsageError}, {@link ConfigError} and {@link InputError} exit with 2
 * (the user can fix the command line, the config or the input files); anything else is a
 * runtime failure and exits with 1.
 */

/**
 * Base class of the errors that mean "the user asked for something we cannot do".
 *
 * @group Errors
 */
export class CliError extends Error {
  /** Process exit code. */
  readonly exitCode: number;
  /** Optional extra lines shown after the message (hints, the usage line). */
  readonly hint: string | undefined;

  constructor(message: string, options?: { exitCode?: number; hint?: string; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'CliError';
    this.exitCode = options?.exitCode ?? 2;
    this.hint = options?.hint;
  }
}

/**
 * Bad command line: unknown command or flag, missing or malformed argument. Exit 2.
 *
 * @group Errors
 */
export class UsageError extends CliError {
  /** The command whose usage applies, for the `trm <cmd> --help` hint. */
  readonly command: string | undefined;

  constructor(message: string, options?: { command?: string; hint?: string; cause?: unknown }) {
    super(message, { ...options, exitCode: 2 });
    this.name = 'UsageError';
    this.command = options?.command;
  }
}

/**
 * Invalid configuration: unknown key, wrong type, bad override, missing preset. Exit 2.
 *
 * @group Errors
 */
export class ConfigError extends CliError {
  /** Dotted key the error is about, when there is one. */
  readonly key: string | undefined;

  constructor(message: string, options?: { key?: string; hint?: string; cause?: unknown }) {
    super(message, { ...options, exitCode: 2 });
    this.name = 'ConfigError';
    this.key = options?.key;
  }
}

/**
 * Missing or malformed input file or directory. Exit 2.
 *
 * @group Errors
 */
export class InputError extends CliError {
  readonly file: string | undefined;

  constructor(message: string, options?: { file?: string; hint?: string; cause?: unknown }) {
    super(message, { ...options, exitCode: 2 });
    this.name = 'InputError';
    this.file = options?.file;
  }
}

/** Exit codes of `trm`. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
