/**
 * `trm eval`, the running side: evaluates the checkpoint on one device or on several and
 * writes the report and outputs. Its input, the checked context, comes from ./eval-flags.ts.
 */
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type BatchItem, PuzzleDataset, writeNpy } from '@trm/datasets';
import { perStepChartSvg } from '../charts/eval-charts.js';
import type { CliIO } from '../cli/types.js';
import type { TrainConfig } from '../config/schema.js';
import { ignoredArchKeyNotes } from '../config/validate.js';
import { InputError } from '../errors.js';
import { assertEvenSplit, devicesFor } from '../parallel/plan.js';
import type { ParallelRank } from '../parallel/protocol.js';
import { createDatasetEvaluators } from '../train/dataset-evaluators.js';
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
  for (const note of ignoredArchKeyNotes(config)) io.stderr.write(`${note}\n`);
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
  // --one-batch draws its batch as training does (the reference's loader in training mode on
  // the test split, seeded with the config's seed); otherwise the test split is walked in order.
  const testSplit = (shard: { rank: number; numReplicas: number }) =>
    new PuzzleDataset({
      datasetPaths: [job.dataset],
      split: 'test',
      globalBatchSize: gbs,
      seed: job.config.seed,
      testSetMode: !job.oneBatch,
      ...shard,
    });
  const test = testSplit({ rank, numReplicas: world });
  const meta = test.metadata;
  // Every array is read and checked before the device opens or anything is written.
  test.preload();
  const batches: Iterable<BatchItem> = job.oneBatch ? [oneRandomBatch(test, job.dataset)] : test;
  // --puzzle-ids shuffled permutes the identifiers of every evaluated example, on every rank.
  const evaluated =
    job.puzzleIds === 'shuffled'
      ? evaluatedIdentifiers(
          world === 1
            ? batches
            : job.oneBatch
              ? [oneRandomBatch(testSplit({ rank: 0, numReplicas: 1 }), job.dataset)]
              : testSplit({ rank: 0, numReplicas: 1 }),
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
    const isRoot = rank === 0;
    const evaluators = createDatasetEvaluators(job.config.evaluators, {
      datasetDirs: [job.dataset],
      metadata: meta,
      ...(isRoot ? { note: (line: string) => io.stderr.write(`${line}\n`) } : {}),
    });
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
    if (job.oneBatch && isRoot)
      io.stderr.write(
        `one batch: ${gbs} examples of the test split drawn at random as training draws them (seed ${job.config.seed})\n`,
      );
    const result = await evaluateModel(model, batches, {
      evaluators,
      globalBatchSize: gbs,
      ...(job.actInference ? { actInference: true } : {}),
      ...(job.perStep ? { perStep: true } : {}),
      ...(puzzleIds ? { puzzleIds } : {}),
      save: job.save,
      ...(staging ? { saveDir: staging.dir } : {}),
      onBatch: (done) =>
        io.stderr.write(
          `\r  batch ${done}${job.oneBatch ? '/1' : totalBatches ? `/~${totalBatches}` : ''}`,
        ),
      ...(parallel ? { comm: parallel.comm } : {}),
    });
    io.stderr.write('\n');
    // The reference's N is the split's total_puzzles even for one batch; the interval of one
    // batch is that of the rows it scored.
    const puzzles = job.oneBatch
      ? Object.values(result.counts).reduce((a, b) => a + b, 0)
      : meta.total_puzzles;
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
      ...(job.actInference || model.config.act_inference
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

/**
 * The one batch of `--one-batch`: the first that `data` (the test split in training mode)
 * yields. A split that cannot fill one batch yields none, which the user fixes with a smaller
 * batch (the reference prints "NO EVAL DATA FOUND" and stops).
 */
function oneRandomBatch(data: PuzzleDataset, datasetDir: string): BatchItem {
  const first = data.iterTrain().next();
  if (first.done) {
    const { total_groups: groups } = data.metadata;
    throw new InputError(
      `--one-batch draws one batch of ${data.options.globalBatchSize} examples from the test split of ${datasetDir} as training does (one random puzzle of each shuffled group, a batch that cannot be filled is dropped), but its ${groups} group${groups === 1 ? '' : 's'} cannot fill one. Pass a smaller --global-batch-size.`,
      { file: join(datasetDir, 'test', 'dataset.json') },
    );
  }
  return first.value;
}
