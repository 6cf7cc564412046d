import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** The trm command of the @trm/cli this package depends on. */
export const TRM_CLI = join(
  dirname(createRequire(import.meta.url).resolve('@trm/cli/package.json')),
  'dist/cli.js',
);

/** The presets the training runs use. */
export const TRAIN_PRESETS = ['sudoku-mlp', 'sudoku-att'];

/**
 * Sizes of the training runs. Full: the presets as they are, at the reference's batch of 768.
 * Quick (lavapipe): the presets' recipes and optimisers on a reduced model, since one paper-size
 * step takes minutes there.
 */
export function trainingPlan(quick, steps) {
  const batch = quick ? 16 : 768;
  // 9x9 puzzles are generated at a few hundred a second: augment to reach the examples.
  const numAug = quick ? 0 : 15;
  return {
    batch,
    steps,
    numAug,
    puzzles: Math.ceil((steps * batch) / (numAug + 1)),
    testPuzzles: quick ? 16 : batch,
    // Quick: the tiny preset's model size, and 4 ACT steps (not 16) per evaluated batch.
    arch: quick
      ? [
          'arch.hidden_size=64',
          'arch.num_heads=2',
          'arch.expansion=2',
          'arch.H_cycles=2',
          'arch.L_cycles=2',
          'arch.halt_max_steps=4',
        ]
      : [],
    label: quick
      ? 'reduced by --quick: D 64, 2 heads, expansion 2, H 2 / L 2, halt_max_steps 4'
      : 'as the preset',
  };
}

/**
 * Runs `trm` with `args` in `cwd`; throws with its last lines on failure.
 * @returns {string} what it wrote (stdout and stderr)
 */
export function trm(args, cwd, env = {}) {
  const r = spawnSync(process.execPath, [TRM_CLI, ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) {
    const tail = text.trim().split('\n').slice(-4).join(' | ');
    throw new Error(`trm ${args.slice(0, 2).join(' ')} failed (exit ${r.status}): ${tail}`);
  }
  return text;
}

/** Generates the 9x9 Sudoku dataset of the runs under `dir`; returns its path. */
export function makeSudokuData(dir, plan) {
  trm(
    [
      'generate',
      'sudoku',
      '--size',
      '9',
      '--count',
      String(plan.puzzles),
      '--test-count',
      String(plan.testPuzzles),
      '--seed',
      '0',
      '--output',
      join(dir, 'csv'),
    ],
    dir,
  );
  const data = join(dir, 'sudoku-9x9');
  trm(
    [
      'build-dataset',
      'sudoku',
      '--source',
      join(dir, 'csv'),
      '--output-dir',
      data,
      '--num-aug',
      String(plan.numAug),
    ],
    dir,
  );
  return data;
}

/** The overrides of a training run of `preset` on `data`. */
export function trainOverrides(preset, data, runDir, plan, precision) {
  return [
    '--preset',
    preset,
    `data_paths=[${data}]`,
    'epochs=1',
    'eval_interval=1',
    `global_batch_size=${plan.batch}`,
    `checkpoint_path=${runDir}`,
    '+run_name=bench',
    ...(precision === 'f16' ? ['arch.forward_dtype=float16'] : []),
    ...plan.arch,
  ];
}

/** The resolved config of a run (`trm train --print-config`). */
export function resolvedConfig(overrides, cwd) {
  return parseYaml(trm(['train', '--print-config', ...overrides], cwd));
}

/**
 * One training run of trm; its throughput from the step times in metrics.jsonl (the first
 * step, which compiles the kernels, left out) and its evaluation time from the log line.
 */
export function trmTrainingRun(overrides, runDir, cwd, evalExamples, env = {}) {
  const started = performance.now();
  const log = trm(['train', ...overrides], cwd, env);
  const wallSeconds = (performance.now() - started) / 1000;
  const metricsPath = join(runDir, 'metrics.jsonl');
  if (!existsSync(metricsPath)) throw new Error(`no metrics.jsonl in ${runDir}`);
  const records = readFileSync(metricsPath, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const steps = records.filter((r) => r.step > 0 && 'train/lr' in r);
  const evalRecord = records.find((r) => Object.keys(r).some((k) => k.startsWith('all/')));
  return { ...throughput(steps, evalRecord, log, evalExamples), wallSeconds };
}

/**
 * Steps per second from the step records' times, evaluation examples per second from the
 * `evaluating … done: N in Ts` line (or from the records' times when the line is missing).
 */
export function throughput(steps, evalRecord, log, evalExamples) {
  const at = (r) => Date.parse(r.time);
  const timed = steps.length > 1 ? (at(steps[steps.length - 1]) - at(steps[0])) / 1000 : NaN;
  const stepsPerSecond = (steps.length - 1) / timed;
  const examples = evalRecord ? evalExamples : null;
  const line = /evaluating step \d+ done: \d+ in ([\d.]+)\s*s/.exec(log);
  const evalSeconds = line
    ? Number(line[1])
    : evalRecord && steps.length > 0
      ? (at(evalRecord) - at(steps[steps.length - 1])) / 1000
      : null;
  return {
    steps: steps.length,
    stepsPerSecond,
    evalSeconds,
    evalExamples: examples,
    evalExamplesPerSecond: examples && evalSeconds ? examples / evalSeconds : null,
    evalExactAccuracy: evalRecord?.['all/exact_accuracy'] ?? null,
  };
}
