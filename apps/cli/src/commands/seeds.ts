/**
 * `trm train --seeds K,K,…`, the command-line side: the list is checked (before any config is
 * read or output written) and each seed gets its run directory inside `checkpoint_path`.
 */
import { join } from 'node:path';
import { overrideKey } from '../config/overrides.js';
import { UsageError } from '../errors.js';

/** The summary files `trm train --seeds` writes into `checkpoint_path`. */
export const SEED_SUMMARY_JSON = 'seeds_summary.json';
export const SEED_SUMMARY_MD = 'seeds_summary.md';

/** The largest seed `--seeds` takes (the config's `seed` seeds 32-bit generators). */
export const MAX_SEED = 2 ** 31 - 1;

/** The run directory of one seed of `trm train --seeds`: `<checkpoint_path>/seed-<k>`. */
export function seedRunDir(base: string, seed: number): string {
  return join(base, `seed-${seed}`);
}

/**
 * Parses `--seeds`: a comma-separated list of distinct non-negative integers. Anything else,
 * and a `seed=…` override or `--resume` given with it, is a {@link UsageError} (exit 2) that
 * says what to write instead.
 */
export function parseSeeds(
  value: string,
  context: { overrides: readonly string[]; resume: boolean },
): number[] {
  const fail = (why: string): never => {
    throw new UsageError(
      `--seeds ${value}: ${why}. Give distinct non-negative integers separated by commas, such as --seeds 0,1,2.`,
      { command: 'train' },
    );
  };
  const entries = value.split(',').map((e) => e.trim());
  const seeds: number[] = [];
  entries.forEach((entry, i) => {
    if (entry === '') fail(`entry ${i + 1} is empty`);
    if (!/^[+-]?\d+$/.test(entry)) fail(`'${entry}' is not a whole number`);
    const seed = Number(entry);
    if (seed < 0) fail(`${entry} is negative`);
    if (seed > MAX_SEED) fail(`${entry} is larger than ${MAX_SEED}`);
    if (seeds.includes(seed)) fail(`seed ${seed} is listed twice (each seed trains once)`);
    seeds.push(seed);
  });
  const seedOverride = context.overrides.find((o) => overrideKey(o) === 'seed');
  if (seedOverride !== undefined)
    throw new UsageError(
      `--seeds and the override ${seedOverride} both set the seed: --seeds trains once per listed seed and sets seed=K for each run. Drop ${seedOverride}, or drop --seeds to train one run.`,
      { command: 'train' },
    );
  if (context.resume)
    throw new UsageError(
      `--seeds starts new runs and --resume continues one: resume a seed's run on its own, with trm train --resume <checkpoint_path>/seed-<k>.`,
      { command: 'train' },
    );
  return seeds;
}
