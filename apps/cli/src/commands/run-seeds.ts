/**
 * `trm train --seeds K,K,…`, the running side: one training run per seed, one after another
 * (each on every device of `--devices`), then the summary across them in `checkpoint_path`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PuzzleDataset } from '@trm/datasets';
import { lastEvaluation, readMetricRecords } from '../train/run-log.js';
import {
  formatSeedSummary,
  type SeedRun,
  type SeedSummary,
  seedSummaryMarkdown,
  summarizeSeeds,
} from '../train/seed-summary.js';
import { resolvePath } from './common.js';
import { SEED_SUMMARY_JSON, SEED_SUMMARY_MD, seedRunDir } from './seeds.js';
import type { TrainContext, TrainRunner } from './train-flags.js';

/**
 * Trains `ctx.config` once per seed with `runner` (the usual `trm train` run), the seed's
 * config being `seed=K`, `checkpoint_path=<run dir>/seed-K` and the run name suffixed with
 * `-seed-K`. Each run's final evaluation is then read back from its `metrics.jsonl`, so the
 * summary shows exactly what the runs logged. A failing run stops the series.
 */
export async function runSeeds(
  ctx: TrainContext,
  seeds: readonly number[],
  runner: TrainRunner,
): Promise<number | undefined> {
  const { io, config } = ctx;
  for (const [i, seed] of seeds.entries()) {
    const runDir = seedRunDir(ctx.runDir, seed);
    io.stderr.write(`\nseed ${seed} (${i + 1} of ${seeds.length}): ${runDir}\n`);
    const code = await runner({
      ...ctx,
      config: {
        ...config,
        seed,
        checkpoint_path: runDir,
        run_name: `${config.run_name}-seed-${seed}`,
      },
      runDir,
    });
    if (code !== undefined && code !== 0) return code;
  }
  const summary = summarizeSeeds(seedRuns(ctx.runDir, seeds), testTrials(ctx));
  writeSummary(ctx.runDir, summary);
  io.stdout.write(
    `\n${formatSeedSummary(summary)}\nsummary: ${join(ctx.runDir, SEED_SUMMARY_JSON)} and ${SEED_SUMMARY_MD}\n`,
  );
  return 0;
}

/** Each seed's final evaluation, as its run logged it. */
function seedRuns(base: string, seeds: readonly number[]): SeedRun[] {
  return seeds.map((seed) => {
    const runDir = seedRunDir(base, seed);
    const last = lastEvaluation(readMetricRecords(join(runDir, 'metrics.jsonl')));
    return { seed, runDir, step: last?.step ?? null, metrics: last?.metrics ?? null };
  });
}

/** The test puzzles and sequence length behind every run's accuracies (from dataset.json). */
function testTrials(ctx: TrainContext): { puzzles: number; seqLen: number } {
  const { config, io } = ctx;
  const paths = config.data_paths_test.length > 0 ? config.data_paths_test : config.data_paths;
  const meta = new PuzzleDataset({
    datasetPaths: paths.map((p) => resolvePath(io, p)),
    split: 'test',
    globalBatchSize: 1,
  }).metadata;
  return { puzzles: meta.total_puzzles, seqLen: meta.seq_len };
}

function writeSummary(dir: string, summary: SeedSummary): void {
  writeFileSync(join(dir, SEED_SUMMARY_JSON), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(dir, SEED_SUMMARY_MD), seedSummaryMarkdown(summary));
}
