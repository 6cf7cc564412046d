import { ArcEvaluator } from './arc/evaluator.js';
import type { Evaluator, EvaluatorContext, EvaluatorOptions } from './interface.js';
import { MazeEvaluator } from './maze.js';
import { SudokuEvaluator } from './sudoku.js';

/** Builds an evaluator from the dataset context and the config entry's other keys. */
export type EvaluatorFactory = (context: EvaluatorContext, options: EvaluatorOptions) => Evaluator;

/** One `evaluators:` config entry, e.g. `{ name: 'arc' }` or `{ name: 'arc@ARC', submission_K: 2 }`. */
export interface EvaluatorSpec {
  /** `module` or the reference's `module@ClassName` (class name matched case-insensitively). */
  name: string;
  /** Evaluator options (the reference passes them to the class as keyword arguments). */
  [option: string]: unknown;
}

interface Registration {
  name: string;
  className: string;
  factory: EvaluatorFactory;
  datasetFiles: readonly string[];
}

const registry = new Map<string, Registration>();

function register(
  name: string,
  factory: EvaluatorFactory,
  className: string,
  replace: boolean,
  datasetFiles: readonly string[] = [],
): void {
  const key = name.toLowerCase();
  if (!/^[a-z0-9_.-]+$/.test(key)) {
    throw new Error(
      `registerEvaluator: name '${name}' must be letters, digits, '_', '.' or '-' (no '@')`,
    );
  }
  if (registry.has(key) && !replace) {
    throw new Error(`registerEvaluator: an evaluator named '${key}' is already registered`);
  }
  registry.set(key, { name: key, className, factory, datasetFiles: [...datasetFiles] });
}

register('arc', (ctx, opts) => new ArcEvaluator(ctx, opts), 'ARC', false, ['test_puzzles.json']);
register('sudoku', (ctx, opts) => new SudokuEvaluator(ctx, opts), 'Sudoku', false);
register('maze', (ctx, opts) => new MazeEvaluator(ctx, opts), 'Maze', false);

/**
 * Registers an evaluator factory under `name` (case-insensitive). Configs may then name it
 * `name` or `name@<className>`.
 *
 * @param options.className the class name accepted after `@` (default: `name`)
 * @param options.replace replace an existing registration instead of throwing
 * @param options.datasetFiles files of the dataset's root directory the evaluator needs that
 *   only its kind of dataset has (see {@link evaluatorDatasetFiles})
 * @throws Error when the name is taken (without `replace`) or malformed
 */
export function registerEvaluator(
  name: string,
  factory: EvaluatorFactory,
  options: { className?: string; replace?: boolean; datasetFiles?: readonly string[] } = {},
): void {
  register(
    name,
    factory,
    options.className ?? name,
    options.replace ?? false,
    options.datasetFiles,
  );
}

/**
 * The files of a dataset's root directory that the evaluator named `name` (any spelling
 * {@link resolveEvaluatorName} accepts) needs and that only its kind of dataset has: ARC's
 * `test_puzzles.json`. A dataset without them is not one the evaluator applies to; the
 * reference then runs without it, which is how its default `arc@ARC` evaluator stays out of
 * the way on Sudoku and Maze datasets.
 *
 * @throws Error listing the known evaluators when the name is unknown
 */
export function evaluatorDatasetFiles(name: string): readonly string[] {
  return registry.get(resolveEvaluatorName(name))!.datasetFiles;
}

/** Names of the registered evaluators, sorted. */
export function knownEvaluators(): string[] {
  return [...registry.keys()].sort();
}

function knownList(): string {
  return [...registry.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((r) => `'${r.name}' (or '${r.name}@${r.className}')`)
    .join(', ');
}

/**
 * Resolves a config name — `arc`, `ARC`, `arc@ARC`, `arc@arc` — to its registered name.
 *
 * @throws Error listing the known evaluators when the name is unknown or the class name
 *   after `@` does not match
 */
export function resolveEvaluatorName(spec: string): string {
  const at = spec.indexOf('@');
  const module = (at < 0 ? spec : spec.slice(0, at)).trim().toLowerCase();
  const cls = at < 0 ? undefined : spec.slice(at + 1).trim();
  const reg = registry.get(module);
  if (!reg) throw new Error(`unknown evaluator '${spec}'; known evaluators: ${knownList()}`);
  if (cls !== undefined && cls.toLowerCase() !== reg.className.toLowerCase()) {
    throw new Error(
      `unknown evaluator '${spec}': '${reg.name}' provides class '${reg.className}', not '${cls}'; known evaluators: ${knownList()}`,
    );
  }
  return reg.name;
}

/**
 * Creates one evaluator by config name (see {@link resolveEvaluatorName}).
 *
 * ```ts
 * const arc = createEvaluator('arc@ARC', { datasetDir, metadata }, { submission_K: 2 });
 * ```
 */
export function createEvaluator(
  name: string,
  context: EvaluatorContext,
  options: EvaluatorOptions = {},
): Evaluator {
  const reg = registry.get(resolveEvaluatorName(name))!;
  return reg.factory(context, options);
}

/**
 * Creates the evaluators of a config's `evaluators:` list; every key of an entry other than
 * `name` is an option of that evaluator.
 *
 * ```ts
 * const evaluators = createEvaluators([{ name: 'arc@ARC' }], { datasetDir, metadata });
 * ```
 */
export function createEvaluators(
  specs: readonly (EvaluatorSpec | string)[],
  context: EvaluatorContext,
): Evaluator[] {
  return specs.map((spec) => {
    if (typeof spec === 'string') return createEvaluator(spec, context);
    if (typeof spec !== 'object' || spec === null || typeof spec.name !== 'string') {
      throw new Error(`evaluator config entries need a 'name', got ${JSON.stringify(spec)}`);
    }
    const { name, ...options } = spec;
    return createEvaluator(name, context, options);
  });
}
