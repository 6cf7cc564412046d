import { SHAPES, shapeNamed } from './shapes.mjs';

/**
 * @typedef {object} BenchOptions
 * @property {'quick' | 'full' | undefined} mode undefined: quick on a CPU adapter, else full
 * @property {string[] | undefined} shapes shape names given with --shapes
 * @property {number[] | undefined} batches batches of the paper shapes given with --batches
 * @property {number | undefined} steps timed steps per measurement
 * @property {number | undefined} maxSeconds time box of one measurement's timed steps
 * @property {string[] | undefined} precisions trm precisions (`f32`, `f16`)
 * @property {boolean} torch run the PyTorch side
 * @property {string} python the Python with torch
 * @property {boolean} train run the short training runs
 * @property {boolean} stepTimes time the training step at the shapes
 * @property {number | undefined} trainSteps optimiser steps of each training run
 * @property {string | undefined} out output directory
 * @property {string | undefined} name file stem of the outputs
 * @property {string | undefined} base another built checkout to time beside this one
 * @property {boolean} overwrite replace outputs that exist
 * @property {boolean | undefined} tune tune the matmul tiling first (default: on a GPU)
 * @property {boolean} help
 */

export const USAGE = `Usage: pnpm bench [options]   (or: node apps/bench/bench.mjs [options])

Times one ACT training step (forward, loss, backward, AdamATan2 and sign-SGD) of trm at four
shapes, a short training run of the sudoku-mlp and sudoku-att presets on generated 9x9 Sudoku,
and its evaluation; and the same work in PyTorch on the same machine. Writes <name>.json,
<name>.md and <name>.svg to the output directory.

Options:
  --quick            Skip the paper shapes and run small training runs (default on a CPU adapter
                     such as lavapipe, where one paper-shape step takes minutes).
  --full             Every shape at every batch, full-size training runs (default on a GPU).
  --shapes LIST      Shapes to time, from: ${SHAPES.map((s) => s.name).join(', ')}. Naming a paper
                     shape runs it even with --quick.
  --batches LIST     Batches of the paper shapes (default 64,256,768; --quick: 64).
  --steps N          Timed steps per measurement, after two warm-up steps (default 3 quick, 10 full).
  --max-seconds N    Fewer timed steps (one at least) where they would take longer than N seconds
                     (default 15: a full run of every shape must fit a few minutes on a GPU).
  --precision LIST   trm precisions: f32, f16 (default: f32, and f16 where the adapter has shader-f16).
  --no-torch         Skip the PyTorch side.
  --python PATH      Python with torch for the PyTorch side (default: python3).
  --tune, --no-tune  Tune the matmul tiling for the adapter first, as pnpm trm does at first
                     use (default: on a GPU; lavapipe keeps its hand-tuned tiling).
  --no-train         Skip the training runs and the evaluation.
  --no-steps         Skip the training-step measurements (to run the training runs alone).
  --train-steps N    Optimiser steps of each training run (default 4 quick, 12 full).
  --out DIR          Output directory (default: apps/bench/results).
  --name NAME        File stem of the outputs (default: from the adapter, e.g. lavapipe).
  --base DIR         Also time the f32 step of another built checkout of trm (its packages/*/dist):
                     the report's before-and-after table.
  --overwrite        Replace outputs that already exist.
  -h, --help         Show this help.`;

/** A bad command line: exit 2 with this message. */
export class BenchUsageError extends Error {}

const PRECISIONS = ['f32', 'f16'];

/**
 * Parses the command line. Every problem is a {@link BenchUsageError} naming the flag and the
 * fix, found before anything runs.
 * @param {readonly string[]} argv
 * @returns {BenchOptions}
 */
export function parseOptions(argv) {
  /** @type {BenchOptions} */
  const o = {
    torch: true,
    python: 'python3',
    train: true,
    stepTimes: true,
    overwrite: false,
    help: false,
  };
  const args = [...argv];
  const value = (flag) => {
    const v = args.shift();
    if (v === undefined || v.startsWith('--'))
      throw new BenchUsageError(`${flag} needs a value; see --help.`);
    return v;
  };
  const count = (flag) => {
    const v = value(flag);
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new BenchUsageError(`${flag} takes a whole number of at least 1, not "${v}".`);
    return n;
  };
  const list = (flag) =>
    value(flag)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  while (args.length > 0) {
    const a = /** @type {string} */ (args.shift());
    switch (a) {
      case '--quick':
      case '--full':
        if (o.mode && o.mode !== a.slice(2))
          throw new BenchUsageError('--quick and --full exclude each other; give one.');
        o.mode = /** @type {'quick' | 'full'} */ (a.slice(2));
        break;
      case '--shapes': {
        const names = list(a);
        const bad = names.filter((n) => !shapeNamed(n));
        if (bad.length > 0 || names.length === 0)
          throw new BenchUsageError(
            `--shapes: unknown shape "${bad[0] ?? ''}"; choose from ${SHAPES.map((s) => s.name).join(', ')}.`,
          );
        o.shapes = names;
        break;
      }
      case '--batches': {
        const raw = list(a);
        const batches = raw.map(Number);
        const bad = raw.find((_, i) => !Number.isInteger(batches[i]) || batches[i] < 1);
        if (bad !== undefined || batches.length === 0)
          throw new BenchUsageError(
            `--batches takes whole numbers of at least 1 separated by commas (e.g. 64,256), not "${bad ?? ''}".`,
          );
        o.batches = batches;
        break;
      }
      case '--precision': {
        const p = list(a);
        const bad = p.find((x) => !PRECISIONS.includes(x));
        if (bad !== undefined || p.length === 0)
          throw new BenchUsageError(
            `--precision: unknown precision "${bad ?? ''}"; choose from ${PRECISIONS.join(', ')}.`,
          );
        o.precisions = p;
        break;
      }
      case '--steps':
        o.steps = count(a);
        break;
      case '--max-seconds':
        o.maxSeconds = count(a);
        break;
      case '--train-steps':
        o.trainSteps = count(a);
        break;
      case '--no-torch':
        o.torch = false;
        break;
      case '--python':
        o.python = value(a);
        break;
      case '--tune':
      case '--no-tune':
        o.tune = a === '--tune';
        break;
      case '--no-train':
        o.train = false;
        break;
      case '--no-steps':
        o.stepTimes = false;
        break;
      case '--out':
        o.out = value(a);
        break;
      case '--name': {
        const name = value(a);
        if (!/^[\w.-]+$/.test(name))
          throw new BenchUsageError(
            `--name "${name}" is not a plain file stem; use letters, digits, ".", "_" and "-".`,
          );
        o.name = name;
        break;
      }
      case '--base':
        o.base = value(a);
        break;
      case '--overwrite':
        o.overwrite = true;
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new BenchUsageError(`Unknown option "${a}"; see --help for the options.`);
    }
  }
  return o;
}

/** True for adapters that run WebGPU on the CPU (lavapipe, SwiftShader). */
export function isCpuAdapter(info) {
  return (
    Boolean(info.isFallbackAdapter) ||
    /llvmpipe|lavapipe|swiftshader/i.test(`${info.description} ${info.device}`)
  );
}

/** A file stem for an adapter: `lavapipe`, `nvidia-h200`, … */
export function adapterSlug(info) {
  if (/llvmpipe|lavapipe/i.test(`${info.description} ${info.device}`)) return 'lavapipe';
  if (/swiftshader/i.test(`${info.description} ${info.device}`)) return 'swiftshader';
  const text = `${info.vendor} ${info.description || info.device || info.architecture}`;
  const slug = text
    .toLowerCase()
    .replace(/nvidia\s+nvidia/, 'nvidia')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return slug.slice(0, 40) || 'adapter';
}

/**
 * What to run, with the defaults of the mode filled in.
 * @param {BenchOptions} o
 * @param {{ cpu: boolean, f16: boolean }} adapter
 */
export function plan(o, adapter) {
  const mode = o.mode ?? (adapter.cpu ? 'quick' : 'full');
  const quick = mode === 'quick';
  const named = o.shapes ?? SHAPES.map((s) => s.name);
  const shapes = SHAPES.filter((s) => o.stepTimes && named.includes(s.name)).map((s) => ({
    ...s,
    batches: s.paper ? (o.batches ?? (quick ? [64] : s.batches)) : s.batches,
    // --quick skips the paper shapes unless they were asked for by name.
    skip: s.paper && quick && !o.shapes ? 'skipped by --quick (run with --full)' : null,
  }));
  const precisions = o.precisions ?? (adapter.f16 ? ['f32', 'f16'] : ['f32']);
  return {
    mode,
    shapes,
    precisions,
    steps: o.steps ?? (quick ? 3 : 10),
    maxSeconds: o.maxSeconds ?? 15,
    warmup: 2,
    train: o.train,
    trainSteps: o.trainSteps ?? (quick ? 4 : 6),
    torch: o.torch,
    tune: o.tune ?? !adapter.cpu,
  };
}
