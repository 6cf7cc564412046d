import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PuzzleDataset, writeNpy } from '@trm/datasets';
import { createEvaluators } from '@trm/evaluators';
import type { CliIO } from '../cli/types.js';
import type { TrainConfig } from '../config/schema.js';
import { InputError } from '../errors.js';
import { assertEvenSplit, devicesFor } from '../parallel/plan.js';
import type { ParallelRank } from '../parallel/protocol.js';
import { evaluateModel, SAVABLE_OUTPUTS, type SavableOutput } from '../train/evaluate.js';
import { fetchHubCheckpoint, loadModelForDataset } from '../train/load-model.js';
import { formatEvalReport } from '../train/loop.js';
import { openDevice } from '../train/model-setup.js';
import type { EvalContext } from './eval-command.js';

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
}

/** What {@link evaluateCheckpoint} reports (rank 0's is the one that counts). */
export interface EvalJobResult {
  metrics: Record<string, number>;
  puzzles: number;
  seqLen: number;
  outdir: string;
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
    outdir:
      options.outdir ??
      join(dirname(path), `eval_${basename(path).replace(/\.(safetensors|pt|pth|bin)$/, '')}`),
    save: options.evalSaveOutputs as SavableOutput[],
    globalBatchSize: options.globalBatchSize ?? config.global_batch_size,
    applyEma: options.applyEma,
    emaShadow: options.emaShadow,
    oneBatch: options.oneBatch,
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
    result = await runOnDevices<EvalJobResult>({ kind: 'eval', options: job }, slots, io);
  } else {
    result = await evaluateCheckpoint(job, io, undefined, slots[0]?.adapterName);
  }
  io.stdout.write(
    `${formatEvalReport(result.metrics, { puzzles: result.puzzles, seqLen: result.seqLen })}\n`,
  );
  io.stdout.write(`outputs: ${result.outdir}\n`);
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
  const device = await openDevice(parallel?.adapterName ?? adapterName);
  try {
    const { model, format } = await loadModelForDataset({
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
    const staging = `${job.outdir}.tmp-${process.pid}`;
    if (isRoot) {
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging, { recursive: true });
    }
    const totalBatches = Math.ceil(meta.total_puzzles > 0 ? meta.total_puzzles / gbs : 1);
    io.stderr.write(
      `evaluating ${basename(job.path)} (${format}) on ${job.dataset}: ${model.parameterCount().toLocaleString('en-US')} parameters, batch ${gbs}${world > 1 ? ` (${gbs / world} on each of ${world} devices)` : ''}\n`,
    );
    const result = await evaluateModel(model, test, {
      evaluators,
      globalBatchSize: gbs,
      save: job.save,
      saveDir: staging,
      maxBatches: job.oneBatch ? 1 : undefined,
      onBatch: (done) =>
        io.stderr.write(
          `\r  batch ${done}${job.oneBatch ? '/1' : totalBatches ? `/~${totalBatches}` : ''}`,
        ),
      ...(parallel ? { comm: parallel.comm } : {}),
    });
    io.stderr.write('\n');
    if (isRoot) {
      for (const [key, { data, shape }] of result.outputs)
        writeNpy(join(staging, `${key}.npy`), data, shape);
      rmSync(job.outdir, { recursive: true, force: true });
      renameSync(staging, job.outdir);
    }
    const puzzles = job.oneBatch ? Math.min(gbs, meta.total_puzzles) : meta.total_puzzles;
    return { metrics: result.metrics, puzzles, seqLen: meta.seq_len, outdir: job.outdir };
  } finally {
    await device.sync().catch(() => undefined);
    device.destroy();
  }
}
