#!/usr/bin/env node
// @trm/bench: trm against PyTorch on one machine, in one run. See README.md and --help.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeAdapter } from './src/adapter.mjs';
import {
  adapterSlug,
  BenchUsageError,
  isCpuAdapter,
  parseOptions,
  plan,
  USAGE,
} from './src/options.mjs';
import { findTorch, torchRun, trmStep } from './src/processes.mjs';
import { IMPLS, renderChart, renderMarkdown } from './src/report.mjs';
import {
  makeSudokuData,
  resolvedConfig,
  TRAIN_PRESETS,
  trainingPlan,
  trainOverrides,
  trmTrainingRun,
} from './src/training.mjs';
import { tuneOnce } from './src/tuning.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const log = (line) => process.stderr.write(`[bench] ${line}\n`);

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof BenchUsageError)) throw e;
  process.stderr.write(`trm-bench: error: ${e.message}\n`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
if (options.base && !existsSync(join(options.base, 'packages/tensor/dist/index.js'))) {
  process.stderr.write(
    `trm-bench: error: --base ${options.base} is not a built checkout of trm (no packages/tensor/dist/index.js); run pnpm build there first.\n`,
  );
  process.exit(2);
}

// Other work on the machine moves every number: the load is part of the result.
const loadAtStart = loadavg()[0].toFixed(1);
const adapter = await probeAdapter();
const cpu = isCpuAdapter(adapter);
const work = plan(options, {
  cpu,
  f16: adapter.features.includes('shader-f16') && (await f16Supported()),
});
const outDir = resolve(options.out ?? join(here, 'results'));
const name = options.name ?? adapterSlug(adapter);
const outputs = ['json', 'md', 'svg'].map((ext) => join(outDir, `${name}.${ext}`));
const existing = outputs.filter((p) => existsSync(p));
if (existing.length > 0 && !options.overwrite) {
  process.stderr.write(
    `trm-bench: error: ${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; pass --overwrite to replace ${existing.length === 1 ? 'it' : 'them'}, or choose another --out or --name.\n`,
  );
  process.exit(2);
}
/** The first PyTorch environment a run reports (version, device, attention, compile). */
let torchEnv = null;
const torch = work.torch ? findTorch(options.python, options.python !== 'python3') : null;
const notes = [];
if (work.torch && !torch)
  notes.push(`PyTorch side skipped: ${options.python} (and /usr/bin/python3) cannot import torch.`);
log(
  `${adapter.description || adapter.device} (${cpu ? 'CPU' : 'GPU'} adapter), ${work.mode} mode; ` +
    `PyTorch: ${torch ? `${torch.torch} via ${torch.python}${torch.cuda ? ' on CUDA' : ' on the CPU'}` : 'not run'}`,
);

// Scratch space of this run (tuning, datasets, training runs), removed at the end.
const scratch = mkdtempSync(join(tmpdir(), 'trm-bench-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
let tuned = null;
if (work.tune) {
  log('tuning the matmul tiling for this adapter');
  try {
    tuned = await tuneOnce(scratch);
    if (tuned)
      log(
        `matmul tiling: ${tuned.rows
          .filter((r) => r.chosen)
          .map((r) => `${r.layout} ${r.tiling}`)
          .join(', ')}`,
      );
  } catch (e) {
    notes.push(`Matmul tuning failed (defaults used): ${e.message}`);
  }
}
// What pnpm trm reads its matmul tuning from, so the training runs use the same one.
const trmEnv = tuned ? { XDG_CACHE_HOME: tuned.cacheHome } : {};

const steps = [];
for (const shape of work.shapes) {
  if (shape.skip) {
    for (const batch of shape.batches)
      steps.push({
        shape: shape.name,
        label: shape.label,
        batch,
        impl: 'trm-f32',
        skipped: shape.skip,
      });
    continue;
  }
  for (const precision of work.precisions) {
    let hostMs = null;
    let compiledHostMs = null;
    let baseHostMs = null;
    for (const batch of shape.batches) {
      const request = {
        config: shape.config,
        batch,
        precision,
        steps: work.steps,
        maxSeconds: work.maxSeconds,
        warmup: work.warmup,
        ...(tuned ? { tuning: tuned.file } : {}),
      };
      const r = trmStep(request);
      // Host time hardly depends on the batch: measured once per shape and precision.
      if (hostMs === null && !r.error)
        hostMs = trmStep({ ...request, skip: true }).msPerStep ?? null;
      const row = {
        shape: shape.name,
        label: shape.label,
        batch,
        impl: `trm-${precision}`,
        precision: r.precision ?? precision,
        ...r,
        hostMs,
      };
      steps.push(row);
      log(`${shape.name} batch ${batch} trm ${precision}: ${describe(row)}`);
      if (precision === 'f32' && !r.error) {
        // The same step captured and replayed, beside the eager one (f32: an f16 step reads
        // its overflow flag between the backward and the update, so it runs eagerly).
        const c = trmStep({ ...request, compiled: true });
        if (compiledHostMs === null && !c.error)
          compiledHostMs = trmStep({ ...request, compiled: true, skip: true }).msPerStep ?? null;
        const compiledRow = {
          ...row,
          ...c,
          impl: 'trm-compiled-f32',
          hostMs: compiledHostMs,
        };
        steps.push(compiledRow);
        if (c.compile?.fallbackReason)
          notes.push(`${shape.name}: the compiled step ran eagerly: ${c.compile.fallbackReason}`);
        log(`${shape.name} batch ${batch} trm compiled f32: ${describe(compiledRow)}`);
      }
      if (options.base && precision === 'f32') {
        // f32 only: the before/after comparison (an older checkout may lack f16).
        const root = resolve(options.base);
        const b = trmStep({ ...request, root });
        if (baseHostMs === null && !b.error)
          baseHostMs = trmStep({ ...request, root, skip: true }).msPerStep ?? null;
        steps.push({ ...row, ...b, impl: 'base-f32', hostMs: baseHostMs });
        log(`${shape.name} batch ${batch} base f32: ${describe(b)}`);
      }
    }
  }
  if (torch) {
    for (const variant of torchVariants()) {
      // torch.compile recompiles for every batch size (a minute or so each): compiled, the paper
      // shapes run at their largest batch only.
      const batches = variant.compile && shape.paper ? shape.batches.slice(-1) : shape.batches;
      const r = torchRun(torch.python, 'step', {
        config: shape.config,
        batches,
        steps: work.steps,
        maxSeconds: work.maxSeconds,
        warmup: work.warmup,
        dtype: variant.dtype,
        compile: variant.compile,
      });
      torchInfo(r);
      for (const batch of batches) {
        const one = r.results?.find((x) => x.batch === batch) ?? {};
        const row = {
          shape: shape.name,
          label: shape.label,
          batch,
          impl: variant.key,
          precision: variant.dtype,
          ...(r.error ? { error: r.error } : {}),
          ...(r.skipped ? { skipped: 'unavailable' } : {}),
          ...one,
        };
        steps.push(row);
        log(`${shape.name} batch ${batch} ${variant.key}: ${describe(row)}`);
      }
    }
  }
}

const training = [];
let trainingModel = null;
if (work.train) {
  const quick = work.mode === 'quick';
  const tp = trainingPlan(quick, work.trainSteps);
  trainingModel = `${tp.label}; batch ${tp.batch}`;
  const dir = join(scratch, 'training');
  mkdirSync(dir, { recursive: true });
  try {
    log(`generating ${tp.puzzles} 9x9 Sudoku (+${tp.testPuzzles} test) for the training runs`);
    const data = makeSudokuData(dir, tp);
    for (const preset of TRAIN_PRESETS) {
      for (const precision of work.precisions) {
        const runDir = join(dir, `run-${preset}-${precision}`);
        const overrides = trainOverrides(preset, data, runDir, tp, precision);
        let row;
        try {
          row = trmTrainingRun(overrides, runDir, dir, tp.testPuzzles, trmEnv);
        } catch (e) {
          row = { error: e.message };
        }
        training.push({
          preset,
          impl: `trm-${precision}`,
          implLabel: `trm ${precision}`,
          batch: tp.batch,
          ...row,
        });
        log(`train ${preset} trm ${precision}: ${describeRun(row)}`);
      }
      if (torch) {
        const config = resolvedConfig(trainOverrides(preset, data, join(dir, 'x'), tp, 'f32'), dir);
        for (const variant of torchVariants().filter((v) => v.dtype !== 'float32')) {
          const r = torchRun(torch.python, 'train', {
            data,
            arch: torchArch(config.arch),
            batch: tp.batch,
            steps: training.find((t) => t.preset === preset && t.steps)?.steps ?? tp.steps,
            lr: config.lr,
            puzzle_emb_lr: config.puzzle_emb_lr,
            weight_decay: config.weight_decay,
            puzzle_emb_weight_decay: config.puzzle_emb_weight_decay,
            ema: config.ema,
            dtype: variant.dtype,
            compile: variant.compile,
          });
          torchInfo(r);
          const label = IMPLS.find((i) => i.key === variant.key).label;
          training.push({
            preset,
            impl: variant.key,
            implLabel: label,
            batch: tp.batch,
            ...(r.skipped ? { skipped: 'unavailable' } : r),
          });
          log(`train ${preset} ${variant.key}: ${describeRun(r)}`);
        }
      }
    }
  } catch (e) {
    training.push({ preset: 'all', implLabel: 'data', error: e.message });
    log(`training runs failed: ${e.message}`);
  }
}

// How to run it again: --overwrite is what `pnpm bench` adds for its own results folder.
const shownArgs = process.argv.slice(2).filter((a) => a !== '--overwrite');
const command = ['pnpm bench', ...shownArgs].join(' ');
const results = {
  date: new Date().toISOString().slice(0, 10),
  command,
  mode: work.mode,
  machine: `${cpus().length} CPU cores (${cpus()[0]?.model?.trim() ?? 'unknown'}), load average ${loadAtStart} at the start, Node ${process.version}${process.env.TRM_DAWN_POLL === 'spin' ? ', Dawn polling unpaced (TRM_DAWN_POLL=spin)' : ''}`,
  adapter,
  torch: torchEnv,
  timedSteps: work.steps,
  matmulTuning: tuned?.rows ?? null,
  base: options.base ? baseCommit(options.base) : null,
  steps,
  trainingModel,
  training,
  notes,
};
mkdirSync(outDir, { recursive: true });
writeFileSync(outputs[0], `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(outputs[1], renderMarkdown(results));
if (steps.length > 0) writeFileSync(outputs[2], renderChart(results));
process.stdout.write(renderMarkdown(results));
log(`wrote ${outputs.join(', ')}`);

/** The commit of the `--base` checkout (short hash), or its path when git cannot tell. */
function baseCommit(dir) {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return dir;
  }
}

/** The PyTorch variants: eager in f32 and in the forward dtype, compiled in the forward dtype. */
function torchVariants() {
  return [
    { key: 'torch-eager-f32', dtype: 'float32', compile: false },
    { key: 'torch-eager-bf16', dtype: 'bfloat16', compile: false },
    { key: 'torch-compiled-bf16', dtype: 'bfloat16', compile: true },
  ];
}

function torchInfo(r) {
  if (!r.torch) return;
  torchEnv ??= { version: r.torch, device: r.device, threads: r.threads, sdpa: r.sdpa };
  if (r.compile && r.compile !== 'no') torchEnv.compile = r.compile;
}

/** The arch keys trm_bench.py takes from a resolved trm config. */
function torchArch(arch) {
  const keys = [
    'H_cycles',
    'L_cycles',
    'L_layers',
    'hidden_size',
    'num_heads',
    'expansion',
    'puzzle_emb_len',
    'puzzle_emb_ndim',
    'pos_encodings',
    'rms_norm_eps',
    'rope_theta',
    'halt_max_steps',
    'mlp_t',
    'no_ACT_continue',
    'loss_type',
  ];
  return Object.fromEntries(keys.filter((k) => k in arch).map((k) => [k, arch[k]]));
}

/** Whether this checkout's model computes in f16 (`precisionFor`, from the mixed-precision work). */
async function f16Supported() {
  return typeof (await import('@trm/model')).precisionFor === 'function';
}

function describe(r) {
  if (r.error) return r.error;
  if (r.skipped) return `skipped (${r.skipped})`;
  const kernel = r.kernelMsPerStep ? `, kernels ${r.kernelMsPerStep.toFixed(0)} ms` : '';
  return `${r.msPerStep?.toFixed(1)} ms/step${kernel}`;
}

function describeRun(r) {
  if (r.error) return r.error;
  if (r.skipped) return `skipped (${r.skipped})`;
  return `${r.steps} steps, ${r.stepsPerSecond?.toFixed(2)} steps/s, eval ${r.evalExamplesPerSecond?.toFixed(1)} examples/s`;
}
