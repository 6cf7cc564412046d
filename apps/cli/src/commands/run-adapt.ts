/**
 * `trm adapt`, the running side: reads and checks the checkpoint and the new dataset, writes
 * the renumbered dataset, adapts (../train/adapt-run.ts) and reports the evaluations before
 * and after. Its input, the checked flags, comes from ./adapt-flags.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type DatasetMetadata, loadDatasetSplit, totalTrainSteps } from '@trm/datasets';
import { type LoadedModelCheckpoint, PUZZLE_EMB_KEY, readModelCheckpoint } from '@trm/model';
import { invocation } from '../cli/invocation.js';
import type { CommandContext } from '../cli/types.js';
import { overrideKey } from '../config/overrides.js';
import type { ArchConfig, TrainConfig } from '../config/schema.js';
import { InputError } from '../errors.js';
import { puzzleRowMap, writeRenumberedDataset } from '../train/adapt-dataset.js';
import { type AdaptOutcome, type AdaptPlan, adaptCheckpoint } from '../train/adapt-run.js';
import { defaultProjectName } from '../train/names.js';
import { metricEntries } from '../train/report.js';
import { clearRunFiles } from '../train/run-dir.js';
import { fetchHubCheckpoint } from '../util/hub.js';
import { StagedOutput } from '../util/output-dir.js';
import type { AdaptOptions } from './adapt-flags.js';
import { checkpointConfig } from './checkpoint-config.js';

/** The renumbered copy of the new dataset, inside the output directory. */
export const ADAPT_DATASET = 'adapt_dataset';
/** The adaptation's report, inside the output directory. */
export const ADAPT_REPORT = 'adapt.json';

/** The rule of ../train/adapt-dataset.ts, as adapt.json states it. */
const ROW_RULE =
  "identifier k ≥ 1 of the new dataset (blank 0) → row checkpoint_rows + k − 1; the blank identifier → row 0; the checkpoint's rows unchanged";

/** What the `trm adapt` runner receives. */
export interface AdaptContext extends CommandContext {
  options: AdaptOptions;
}

/** `trm adapt`: adapts a checkpoint to a dataset of unseen puzzles and reports the gain. */
export async function runAdapt(ctx: AdaptContext): Promise<number> {
  const { io, options } = ctx;
  const path = options.checkpointIsHub
    ? await fetchHubCheckpoint(options.checkpoint, io)
    : options.checkpoint;
  const { config } = checkpointConfig(io, join(dirname(path), 'all_config.yaml'), options);
  // Every input is read and checked whole before anything is written.
  const splits = {
    train: loadDatasetSplit(options.dataset, 'train'),
    test: loadDatasetSplit(options.dataset, 'test'),
  };
  const meta = splits.train.metadata;
  // The model is known only from the checkpoint, so it is read within the reader's default
  // budget rather than one derived from the model.
  const ckpt = await readModelCheckpoint(path);
  const map = puzzleRowMap(checkpointRows(ckpt, path, options), meta);
  checkAdaptable(options, meta, map.appended, ckpt, config);

  const { outdir } = options;
  if (options.overwrite) {
    const removed = clearRunFiles(outdir);
    if (removed.length > 0)
      io.stderr.write(`--overwrite: removed the previous ${removed.join(', ')} from ${outdir}\n`);
  }
  mkdirSync(outdir, { recursive: true });
  const adaptedDataset = join(outdir, ADAPT_DATASET);
  const staged = new StagedOutput(adaptedDataset);
  try {
    writeRenumberedDataset(options.dataset, staged.dir, splits, map);
    staged.publish();
  } finally {
    staged.abort();
  }

  const runConfig: TrainConfig = {
    ...config,
    arch: checkpointArch(config.arch, ckpt, options.overrides),
    data_paths: [adaptedDataset],
    data_paths_test: [],
    checkpoint_path: outdir,
    load_checkpoint: path,
    project_name: config.project_name ?? defaultProjectName(options.dataset),
    run_name: `${config.run_name ?? 'trm'}-adapt-${basename(options.dataset)}`,
    freeze_weights: true,
    ema: false,
    lr_warmup_steps: 0,
    lr_min_ratio: 1,
    puzzle_emb_lr: options.lr ?? config.puzzle_emb_lr,
    epochs: 1,
    eval_interval: null,
    min_eval_interval: 0,
    checkpoint_every_eval: false,
    checkpoint_keep_best: 0,
    checkpoint_metric: null,
    early_stop_patience: 0,
    eval_save_outputs: [],
    logger: null,
  };
  const plan: AdaptPlan = {
    config: runConfig,
    checkpoint: path,
    weights: ckpt.weights,
    dataset: options.datasetArg,
    metadata: meta,
    map,
    steps: options.steps,
    wholeModelSteps: options.wholeModelSteps,
  };
  const outcome = await adaptCheckpoint(plan, io);
  const report = adaptReport(plan, outcome, { adaptedDataset, outdir });
  writeFileSync(join(outdir, ADAPT_REPORT), `${JSON.stringify(report, null, 2)}\n`);
  io.stdout.write(`\n${formatAdaptTable(outcome)}\n`);
  io.stdout.write(
    `adapted checkpoint: ${outcome.checkpoints.at(-1)}\nreport: ${join(outdir, ADAPT_REPORT)}\nevaluate it again with: ${invocation(io.env)} eval --checkpoint ${outdir} --dataset ${adaptedDataset}\n`,
  );
  return 0;
}

/** The rows of the checkpoint's puzzle table; a checkpoint without one cannot be adapted. */
function checkpointRows(ckpt: LoadedModelCheckpoint, path: string, options: AdaptOptions): number {
  const table = ckpt.weights.get(PUZZLE_EMB_KEY);
  if (table?.shape.length !== 2)
    throw new InputError(
      `--checkpoint ${basename(path)} has no puzzle-embedding table (${PUZZLE_EMB_KEY}; it was trained with arch.puzzle_emb_ndim=0), so there are no puzzle rows to append. Fine-tune it on ${options.datasetArg} with trm train load_checkpoint=${path} instead.`,
      { file: path },
    );
  return table.shape[0]!;
}

/**
 * The new dataset must hold the kind of puzzle the checkpoint solves (its vocabulary and
 * sequence length), something to adapt, and a full training batch.
 */
function checkAdaptable(
  options: AdaptOptions,
  meta: DatasetMetadata,
  appended: number,
  ckpt: LoadedModelCheckpoint,
  config: TrainConfig,
): void {
  const file = join(options.datasetArg, 'train', 'dataset.json');
  const vocab = ckpt.weights.get('model.inner.embed_tokens.embedding_weight')?.shape[0];
  const seqLen = ckpt.config?.seq_len;
  for (const [key, theirs] of [
    ['seq_len', seqLen],
    ['vocab_size', vocab],
  ] as const) {
    if (theirs !== undefined && theirs !== meta[key])
      throw new InputError(
        `--dataset ${options.datasetArg} has ${key} ${meta[key]} (${file}) but the checkpoint was trained with ${key} ${theirs}: trm adapt needs unseen puzzles of the kind the checkpoint solves. Build the dataset with the builder and grid size of the checkpoint's training data.`,
        { file: options.dataset },
      );
  }
  if (appended === 0 && options.steps > 0)
    throw new InputError(
      `--dataset ${options.datasetArg} gives every puzzle the blank identifier (num_puzzle_identifiers 1 in ${file}, as Sudoku and Maze datasets do), so there are no puzzle rows to append and train with --steps. Adapt the whole model instead: --steps 0 --whole-model-steps M.`,
      { file: options.dataset },
    );
  const gbs = config.global_batch_size;
  if (totalTrainSteps(meta, 1, gbs) < 1)
    throw new InputError(
      `The train split of ${options.datasetArg} holds ${meta.total_groups * meta.mean_puzzle_examples} examples an epoch, fewer than global_batch_size ${gbs} (the checkpoint's config): pass global_batch_size=… no larger than that.`,
      { file: options.dataset },
    );
}

/**
 * The architecture to build: the one in our checkpoint's header (it is what the weights were
 * trained as) unless `arch.*` overrides are given, else the config's.
 */
function checkpointArch(
  arch: ArchConfig,
  ckpt: LoadedModelCheckpoint,
  overrides: readonly string[],
): ArchConfig {
  const header = ckpt.config;
  if (!header || overrides.some((o) => overrideKey(o).startsWith('arch.'))) return arch;
  const {
    batch_size: _batch,
    seq_len: _seq,
    vocab_size: _vocab,
    num_puzzle_identifiers: _ids,
    loss_type,
    ...rest
  } = header;
  return { ...arch, ...rest, loss: { ...arch.loss, loss_type } } as ArchConfig;
}

/** What adapt.json holds. */
function adaptReport(
  plan: AdaptPlan,
  outcome: AdaptOutcome,
  paths: { adaptedDataset: string; outdir: string },
) {
  const trials = { puzzles: outcome.testPuzzles, seqLen: outcome.seqLen };
  const { map } = plan;
  return {
    checkpoint: plan.checkpoint,
    dataset: plan.dataset,
    adapted_dataset: paths.adaptedDataset,
    outdir: paths.outdir,
    puzzle_rows: {
      checkpoint: map.checkpointRows,
      appended: map.appended,
      first_appended: map.checkpointRows,
      rule: ROW_RULE,
      init: "the mean of the checkpoint's rows",
    },
    steps: plan.steps,
    whole_model_steps: plan.wholeModelSteps,
    lr: plan.config.puzzle_emb_lr,
    whole_model_lr: plan.wholeModelSteps > 0 ? plan.config.lr : null,
    global_batch_size: plan.config.global_batch_size,
    puzzles: outcome.testPuzzles,
    evaluations: outcome.evaluations.map((e) => ({
      phase: e.phase,
      step: e.step,
      metrics: metricEntries(e.metrics, trials),
    })),
    checkpoints: outcome.checkpoints,
  };
}

/** The evaluations side by side: one column per phase, one line per metric. */
export function formatAdaptTable(outcome: AdaptOutcome): string {
  const { evaluations } = outcome;
  const head = [
    'metric',
    ...evaluations.map((e) => (e.phase === 'before' ? 'before' : `${e.phase} (step ${e.step})`)),
  ];
  const keys = [...new Set(evaluations.flatMap((e) => Object.keys(e.metrics)))];
  const rows = keys.map((k) => [
    k,
    ...evaluations.map((e) => (e.metrics[k] === undefined ? '–' : e.metrics[k]!.toFixed(4))),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [
    `test split, ${outcome.testPuzzles} puzzles (adapt.json has the Wilson intervals):`,
    line(head),
    ...rows.map(line),
  ].join('\n');
}
