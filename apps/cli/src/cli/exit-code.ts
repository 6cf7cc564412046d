import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../errors.js';

/**
 * Error classes of the libraries that mean "the input is wrong": a malformed dataset, CSV or
 * `.npy` file, a checkpoint that is corrupt, hostile or does not fit the model, an invalid
 * model configuration. Matched by class name along the prototype chain, so this module (loaded
 * by every command) does not pull the GPU packages in.
 */
const INPUT_ERROR_CLASSES = new Set([
  'DatasetError',
  'CheckpointError',
  'StateDictError',
  'ModelConfigError',
  // The CLI's own (a CliError already), should one arrive from another copy of this module.
  'ConfigError',
]);

/** Hub failures the user fixes (a wrong id, a missing token), as opposed to network trouble. */
const HUB_INPUT_STATUSES = new Set([400, 401, 403, 404]);

/** Operating-system failures that are the machine's, not the input's, whatever wraps them. */
const RUNTIME_IO_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'ENOMEM', 'EMFILE', 'ENFILE']);

function ioCode(err: object): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && RUNTIME_IO_CODES.has(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The class names of `err` and its ancestors, most derived first. */
function classNames(err: object): string[] {
  const names: string[] = [];
  for (
    let p = Object.getPrototypeOf(err);
    p && p !== Object.prototype;
    p = Object.getPrototypeOf(p)
  )
    names.push((p.constructor as { name?: string }).name ?? '');
  return names;
}

/**
 * The one place that decides a failure's exit code: 2 when the user can fix the command line,
 * the config or an input file; 1 for everything else (runtime failures: the network, the
 * device, a full disk, a bug). The data-parallel workers use it too, so an error raised on any
 * rank exits the same way as on one device.
 */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (typeof err !== 'object' || err === null) return EXIT_FAILURE;
  if (ioCode(err)) return EXIT_FAILURE;
  const names = classNames(err);
  if (names.includes('HubError')) {
    const status = (err as { status?: unknown }).status;
    return typeof status === 'number' && HUB_INPUT_STATUSES.has(status) ? EXIT_USAGE : EXIT_FAILURE;
  }
  // Name fields catch errors that crossed a worker boundary as plain objects.
  const own = (err as { name?: unknown }).name;
  if (
    names.some((n) => INPUT_ERROR_CLASSES.has(n)) ||
    (typeof own === 'string' && INPUT_ERROR_CLASSES.has(own))
  )
    return EXIT_USAGE;
  return EXIT_FAILURE;
}
