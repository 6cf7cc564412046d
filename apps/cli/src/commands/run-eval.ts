/**
 * `trm eval`, the running side: evaluates the checkpoint on one device or on several and
 * writes the report and outputs. Its input, the checked context, comes from ./eval-flags.ts.
 */
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PuzzleDataset, writeNpy } from '@trm/datasets';
import { createEvaluators } from '@trm/evaluators';
import { perStepChartSvg } from '../charts/eval-charts.js';
import type { CliIO } from '../cli/types.js';
import type { TrainConfig } from '../config/schema.js';
import { InputError } from '../errors.js';
import { assertEvenSplit, devicesFor } from '../parallel/plan.js';
import type { ParallelRank } from '../parallel/protocol.js';
import { evaluateModel, SAVABLE_OUTPUTS, type SavableOutput } from '../train/evaluate-model.js';
import { fetchHubCheckpoint, loadModelForDataset } from '../train/load-model.js';
import { prepareMatmul } from '../train/matmul-cache.js';
import { openDevice } from '../train/model-setup.js';
import { evaluatedIdentifiers, PuzzleIdAblation, type PuzzleIdMode } from '../train/puzzle-ids.js';
import {
  formatEvalReport,
  formatPerStepTable,
  type MetricEntry,
  metricEntries,
} from '../train/report.js';
import { StagedOutput } from '../util/output-dir.js';
import type { EvalContext } from './eval-flags.js';
import { parallelJob } from './parallel-jobs.js';

/** Everything an evaluation needs, resolved and plain (it travels to worker threads). */
export interface EvalJobOptions {
  /** Local checkpoint file. */
  path: string;
  config: TrainConfig;
  overrides: string[];
  dataset: string;
  outdir: string;
  save: SavableOutput[];
  globalBatchSize: number;
  applyEma: boolean;
  emaShadow: string | undefined;
  oneBatch: boolean;
  actInference: boolean;
  perStep: boolean;
  puzzleIds: PuzzleIdMode;
}

/** Seed of `--puzzle-ids random` and `shuffled` (eval has no --seed flag). */
export const PUZZLE_ID_SEED = 0;

/** The per-step chart `--per-step` writes into the output directory. */
export const PER_STEP_CHART = 'per_step.svg';

/** What `trm eval` writes to metrics.json (and prints with --json). */
export interface EvalReport {
  checkpoint: string;
  format: string;
  dataset: string;
  /** Puzzles evaluated (N of the exact accuracy). */
  puzzles: number;
  seq_len: number;
  metrics: Record<string, MetricEntry>;
  /** Saved output files in the output directory. */
  outputs: string[];
  /** --act-inference: rows halted by their Q head; the mean steps used per set. */
  act_inference?: { halt_max_steps: number; mean_steps: Record<string, number> };
  /** --puzzle-ids other than `real`: what the model saw instead of the identifiers. */
  puzzle_ids?: { mode: Exclude<PuzzleIdMode, 'real'>; seed: number };
  /** --per-step: the accuracies after each supervision step, as if every row stopped there. */
  per_step?: { step: number; metrics: Record<string, MetricEntry> }[];
  outdir?: string;
}

/** What {@link evaluateCheckpoint} reports (rank 0's is the one that counts). */
export interface EvalJobResult {
  metrics: Record<string, number>;
  puzzles: number;
  seqLen: number;
  outdir: string;
  report: EvalReport;
}

/**
 * `trm eval` (the reference's `run_eval_only`, spec §8): loads our safetensors or a PyTorch
 * checkpoint, evaluates it on the dataset's test split, prints the metrics with 95% Wilson
 * intervals, and writes the requested outputs and evaluator files. With `--devices N` the
 * test set is sharded over N devices and rank 0 gathers the outputs.
 */
export async function runEval(ctx: EvalContext): Promise<number | undefined> {
  const { io, options } = ctx;
  const unknown = options.evalSaveOutputs.filter(
    (k) => !(SAVABLE_OUTPUTS as readonly string[]).includes(k),
  );
  if (unknown.length > 0) {
    throw new InputError(
      `--eval-save-outputs: unknown key(s) ${unknown.join(', ')}; known: ${SAVABLE_OUTPUTS.join(', ')}.`,
    );
  }
  const path = options.checkpointIsHub
    ? await fetchHubCheckpoint(options.checkpoint, io)
    : options.checkpoint;
  const { config } = ctx.resolveConfig(join(dirname(path), 'all_config.yaml'));
  const job: EvalJobOptions = {
    path,
    config,
    overrides: options.overrides,
    dataset: options.dataset,
    outdir: options.outdir,
    save: options.evalSaveOutputs as SavableOutput[],
    globalBatchSize: options.globalBatchSize ?? config.global_batch_size,
    applyEma: options.applyEma,
    emaShadow: options.emaShadow,
    oneBatch: options.oneBatch,
    actInference: options.actInference,
    perStep: options.perStep,
    puzzleIds: options.puzzleIds,
  };
  const slots = await devicesFor(ctx.flags.devices as string | undefined);
  let result: EvalJobResult;
  if (slots.length > 1) {
    assertEvenSplit(
      'The global batch size',
      job.globalBatchSize,
      slots.length,
      'pass --global-batch-size',
    );
    const { runOnDevices } = await import('../parallel/launch.js');
    result = await runOnDevices<EvalJobResult>(parallelJob('eval', job), slots, io);
  } else {
    result = await evaluateCheckpoint(job, io, undefined, slots[0]?.adapterName);
  }
  if (options.json) io.stdout.write(`${JSON.stringify(result.report, null, 2)}\n`);
  else {
    const n = { puzzles: result.puzzles, seqLen: result.seqLen };
    io.stdout.write(`${formatEvalReport(result.metrics, n)}\n`);
    const { per_step: perStep, act_inference: act } = result.report;
    if (perStep) io.stdout.write(`${formatPerStepTable(perStep)}\n`);
    if (act) {
      const means = Object.entries(act.mean_steps)
        .map(([set, v]) => `${v.toFixed(2)} (${set})`)
        .join(', ');
      io.stdout.write(
        `act inference: rows halted by their Q head after ${means} of ${act.halt_max_steps} supervision steps on average\n`,
      );
    }
    io.stdout.write(`outputs: ${result.outdir}\n`);
  }
  return 0;
}

/**
 * Evaluates a checkpoint on one device, or as one rank of a data-parallel evaluation (rank 0
 * then writes the outputs and returns the metrics).
 */
export async function evaluateCheckpoint(
  job: EvalJobOptions,
  io: CliIO,
  parallel?: ParallelRank,
  adapterName?: string,
): Promise<EvalJobResult> {
  const gbs = job.globalBatchSize;
  const world = parallel?.comm.worldSize ?? 1;
  const rank = parallel?.comm.rank ?? 0;
  const test = new PuzzleDataset({
    datasetPaths: [job.dataset],
    split: 'test',
    globalBatchSize: gbs,
    seed: job.config.seed,
    rank,
    numReplicas: world,
  });
  const meta = test.metadata;
  // Every array is read and checked before the device opens or anything is written.
  test.preload();
  // --puzzle-ids shuffled permutes the identifiers of every evaluated example, on every rank.
  const evaluated =
    job.puzzleIds === 'shuffled'
      ? evaluatedIdentifiers(
          world === 1
            ? test
            : new PuzzleDataset({
                datasetPaths: [job.dataset],
                split: 'test',
                globalBatchSize: gbs,
              }),
          job.oneBatch ? 1 : undefined,
        )
      : undefined;
  const device = await openDevice(parallel?.adapterName ?? adapterName);
  let staging: StagedOutput | undefined;
  try {
    await prepareMatmul(device, {
      env: io.env,
      log: (line) => io.stderr.write(`${line}\n`),
      measure: !parallel,
    });
    const { model, format, notice } = await loadModelForDataset({
      path: job.path,
      config: job.config,
      overrides: job.overrides,
      metadata: meta,
      datasetDir: job.dataset,
      batchSize: gbs / world,
      choice: { applyEma: job.applyEma, emaShadow: job.emaShadow },
    });
    const evaluators = createEvaluators(job.config.evaluators as never, {
      datasetDir: job.dataset,
      metadata: meta,
    });
    const isRoot = rank === 0;
    // Outputs are staged beside --outdir and published whole: a failure leaves nothing.
    if (isRoot) staging = new StagedOutput(job.outdir);
    const totalBatches = Math.ceil(meta.total_puzzles > 0 ? meta.total_puzzles / gbs : 1);
    if (notice && isRoot) io.stderr.write(`${notice}\n`);
    io.stderr.write(
      `evaluating ${basename(job.path)} (${format}) on ${job.dataset}: ${model.parameterCount().toLocaleString('en-US')} parameters, batch ${gbs}${world > 1 ? ` (${gbs / world} on each of ${world} devices)` : ''}\n`,
    );
    const puzzleIds =
      job.puzzleIds === 'real'
        ? undefined
        : new PuzzleIdAblation({
            mode: job.puzzleIds,
            blankId: meta.blank_identifier_id,
            numPuzzleIdentifiers: model.config.num_puzzle_identifiers,
            seed: PUZZLE_ID_SEED,
            ...(evaluated ? { evaluated } : {}),
          });
    const result = await evaluateModel(model, test, {
      evaluators,
      globalBatchSize: gbs,
      ...(job.actInference ? { actInference: true } : {}),
      ...(job.perStep ? { perStep: true } : {}),
      ...(puzzleIds ? { puzzleIds } : {}),
      save: job.save,
      ...(staging ? { saveDir: staging.dir } : {}),
      maxBatches: job.oneBatch ? 1 : undefined,
      onBatch: (done) =>
        io.stderr.write(
          `\r  batch ${done}${job.oneBatch ? '/1' : totalBatches ? `/~${totalBatches}` : ''}`,
        ),
      ...(parallel ? { comm: parallel.comm } : {}),
    });
    io.stderr.write('\n');
    const puzzles = job.oneBatch ? Math.min(gbs, meta.total_puzzles) : meta.total_puzzles;
    const trials = { puzzles, seqLen: meta.seq_len };
    const perStep = result.perStep?.map((metrics, i) => ({
      step: i + 1,
      metrics: metricEntries(metrics, trials),
    }));
    const report: EvalReport = {
      checkpoint: job.path,
      format,
      dataset: job.dataset,
      puzzles,
      seq_len: meta.seq_len,
      metrics: metricEntries(result.metrics, trials),
      outputs: [
        ...[...result.outputs.keys()].map((k) => `${k}.npy`),
        ...(perStep ? [PER_STEP_CHART] : []),
      ],
      ...(job.actInference
        ? {
            act_inference: {
              halt_max_steps: model.config.halt_max_steps,
              mean_steps: Object.fromEntries(
                Object.keys(result.counts).map((set) => [set, result.metrics[`${set}/steps`]!]),
              ),
            },
          }
        : {}),
      ...(job.puzzleIds !== 'real'
        ? { puzzle_ids: { mode: job.puzzleIds, seed: PUZZLE_ID_SEED } }
        : {}),
      ...(perStep ? { per_step: perStep } : {}),
    };
    if (staging) {
      for (const [key, { data, shape }] of result.outputs)
        writeNpy(join(staging.dir, `${key}.npy`), data, shape);
      if (result.perStep)
        writeFileSync(join(staging.dir, PER_STEP_CHART), perStepChartSvg(result.perStep));
      writeFileSync(join(staging.dir, 'metrics.json'), `${JSON.stringify(report, null, 2)}\n`);
      staging.publish();
    }
    return {
      metrics: result.metrics,
      puzzles,
      seqLen: meta.seq_len,
      outdir: job.outdir,
      report: { ...report, outdir: job.outdir },
    };
  } finally {
    staging?.abort();
    await device.sync().catch(() => undefined);
    device.destroy();
  }
}
