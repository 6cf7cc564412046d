/** Value types of command-line flags. */
export type FlagType = 'string' | 'integer' | 'number' | 'boolean' | 'string[]';

/** A flag's parsed value. */
export type FlagValue = string | number | boolean | string[] | undefined;

/** Metadata of one flag; the docs site renders CLI references from these. */
export interface FlagMeta {
  /** Long name without dashes, e.g. `output-dir`. */
  name: string;
  type: FlagType;
  /** Default value (undefined: unset). */
  default?: string | number | boolean | string[];
  description: string;
  /** Placeholder in usage text, e.g. `DIR`. */
  valueName?: string;
  /** Allowed values. */
  choices?: readonly string[];
  /** Booleans: also accept `--no-<name>`. */
  negatable?: boolean;
  required?: boolean;
  /** Other accepted long names, e.g. the reference's `source-repo` for `source`. */
  aliases?: readonly string[];
  /** Extra remark shown in help (e.g. what a later version adds). */
  note?: string;
}

/** A positional argument. */
export interface PositionalMeta {
  name: string;
  description: string;
  required: boolean;
  choices?: readonly string[];
  /** The last positional only: it may be given several times (`RUN_DIR...`). */
  repeated?: boolean;
}

/** One example invocation. */
export interface ExampleMeta {
  command: string;
  description: string;
}

/** Metadata of a command (`train`) or of a sub-command (`build-dataset sudoku`). */
export interface CommandMeta {
  /** Full name as typed, e.g. `build-dataset sudoku`. */
  name: string;
  /** One line for command tables. */
  summary: string;
  /** A paragraph for `--help` and the docs. */
  description: string;
  /** Usage line without the leading `trm `. */
  usage: string;
  positionals: readonly PositionalMeta[];
  flags: readonly FlagMeta[];
  /** Accepts Hydra-style `key=value` overrides as positional arguments. */
  overrides?: boolean;
  examples: readonly ExampleMeta[];
  /** Not implemented in this version: the handler is a placeholder. */
  stub?: boolean;
}

/** A command with sub-commands (`build-dataset`, `generate`). */
export interface CommandGroupMeta {
  name: string;
  summary: string;
  description: string;
  /** Full names of its sub-commands. */
  subcommands: readonly string[];
}

/** Where a command writes and which environment it sees. */
export interface CliIO {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Working directory for relative paths. */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** The part of a writable stream the CLI uses. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** What a handler receives. */
export interface CommandContext {
  command: CommandMeta;
  /** Flag values by long name (defaults applied). */
  flags: Readonly<Record<string, FlagValue>>;
  /** Positional arguments (not overrides). */
  positionals: readonly string[];
  /** `key=value` overrides, in order (commands with `overrides: true`). */
  overrides: readonly string[];
  io: CliIO;
  /** `--debug` was given: print stack traces, more logging. */
  debug: boolean;
}

/** A command implementation: resolves to an exit code (undefined means 0). */
export type CommandHandler = (
  ctx: CommandContext,
) => Promise<number | undefined> | number | undefined;
