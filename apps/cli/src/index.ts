/**
 * `@trm/cli`: the `trm` command as a library — `runCli`, the command metadata the docs
 * render, and the Hydra-style training configuration.
 *
 * @packageDocumentation
 */

/** The grid on an ARC canvas wherever it was placed (`@trm/datasets`' function, re-exported). */
export { arcGridFromCanvas } from '@trm/datasets';
export { type ParsedArgs, parseCommandArgs } from './cli/args.js';
export { exitCodeFor } from './cli/exit-code.js';
export { renderCommandHelp, renderGroupHelp, renderMainHelp } from './cli/help.js';
export {
  cliVersion,
  defaultHandlers,
  type HandlerLoader,
  type RunCliOptions,
  runCli,
} from './cli/run.js';
export type {
  CliIO,
  CommandContext,
  CommandGroupMeta,
  CommandHandler,
  CommandMeta,
  ExampleMeta,
  FlagMeta,
  FlagType,
  FlagValue,
  OutputStream,
  PositionalMeta,
} from './cli/types.js';
export { commandGroups, commands, findCommand, globalFlags } from './commands/definitions.js';
export {
  createEvalCommand,
  type EvalContext,
  type EvalOptions,
  type EvalRunner,
} from './commands/eval-flags.js';
export { type GenerateRequest, generatePuzzles } from './commands/generate.js';
export { prepareDataset } from './commands/prepare-data.js';
export { composeSvg, detectKind, type PuzzleKind } from './commands/show.js';
export type { PredictRequest } from './commands/show-predictions.js';
export {
  createTrainCommand,
  type TrainContext,
  type TrainRunner,
} from './commands/train-flags.js';
export * from './config/index.js';
export {
  CliError,
  ConfigError,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  InputError,
  UsageError,
} from './errors.js';
export { createProgress, type Progress, type ProgressOptions } from './util/progress.js';
export { closest, levenshtein } from './util/suggest.js';
