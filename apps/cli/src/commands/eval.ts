import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PuzzleDataset, writeNpy } from '@trm/datasets';
import { createEvaluators } from '@trm/evaluators';
import { InputError } from '../errors.js';
import { evaluateModel, SAVABLE_OUTPUTS, type SavableOutput } from '../train/evaluate.js';
import { fetchHubCheckpoint, loadModelForDataset } from '../train/load-model.js';
import { formatEvalReport } from '../train/loop.js';
import { openDevice } from '../train/model-setup.js';
import type { EvalContext } from './eval-command.js';

/**
 * `trm eval` (the reference's `run_eval_only`, spec §8): loads our safetensors or a PyTorch
 * checkpoint, evaluates it on the dataset's test split, prints the metrics with 95% Wilson
 * intervals, and writes the requested outputs and evaluator files.
 */
export async function runEval(ctx: EvalContext): Promise<number | undefined> {
  const { io, options } = ctx;
  const path = options.checkpointIsHub
    ? await fetchHubCheckpoint(options.checkpoint, io)
    : options.checkpoint;
  const { config } = ctx.resolveConfig(join(dirname(path), 'all_config.yaml'));
  const gbs = options.globalBatchSize ?? config.global_batch_size;
  const test = new PuzzleDataset({
    datasetPaths: [options.dataset],
    split: 'test',
    globalBatchSize: gbs,
    seed: config.seed,
  });
  const meta = test.metadata;
  const device = await openDevice();
  try {
    const { model, format } = await loadModelForDataset({
      path,
      config,
      overrides: options.overrides,
      metadata: meta,
      datasetDir: options.dataset,
      batchSize: gbs,
      choice: { applyEma: options.applyEma, emaShadow: options.emaShadow },
    });
    const evaluators = createEvaluators(config.evaluators as never, {
      datasetDir: options.dataset,
      metadata: meta,
    });
    const save = options.evalSaveOutputs.filter((k): k is SavableOutput =>
      (SAVABLE_OUTPUTS as readonly string[]).includes(k),
    );
    const unknown = options.evalSaveOutputs.filter(
      (k) => !(SAVABLE_OUTPUTS as readonly string[]).includes(k),
    );
    if (unknown.length > 0) {
      throw new InputError(
        `--eval-save-outputs: unknown key(s) ${unknown.join(', ')}; known: ${SAVABLE_OUTPUTS.join(', ')}.`,
      );
    }
    const outdir =
      options.outdir ??
      join(dirname(path), `eval_${basename(path).replace(/\.(safetensors|pt|pth|bin)$/, '')}`);
    const staging = `${outdir}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const totalBatches = Math.ceil(meta.total_puzzles > 0 ? test.metadata.total_puzzles / gbs : 1);
    io.stderr.write(
      `evaluating ${basename(path)} (${format}) on ${options.dataset}: ${model.parameterCount().toLocaleString('en-US')} parameters, batch ${gbs}\n`,
    );
    const result = await evaluateModel(model, test, {
      evaluators,
      globalBatchSize: gbs,
      save,
      saveDir: staging,
      maxBatches: options.oneBatch ? 1 : undefined,
      onBatch: (done) =>
        io.stderr.write(
          `\r  batch ${done}${options.oneBatch ? '/1' : totalBatches ? `/~${totalBatches}` : ''}`,
        ),
    });
    io.stderr.write('\n');
    for (const [key, { data, shape }] of result.outputs)
      writeNpy(join(staging, `${key}.npy`), data, shape);
    rmSync(outdir, { recursive: true, force: true });
    renameSync(staging, outdir);
    const puzzles = options.oneBatch ? Math.min(gbs, meta.total_puzzles) : meta.total_puzzles;
    io.stdout.write(`${formatEvalReport(result.metrics, { puzzles, seqLen: meta.seq_len })}\n`);
    io.stdout.write(`outputs: ${outdir}\n`);
    return 0;
  } finally {
    device.destroy();
  }
}
