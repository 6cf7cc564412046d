import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Params = Record<string, number[] | number[][]>;
export interface OptimFixtures {
  steps: number;
  adam_atan2: {
    hparams: { b1: number; b2: number; wd: number };
    lrs: number[];
    params0: Params;
    grads: Params[];
    trajectory: Params[];
  };
  adamw: {
    hparams: { b1: number; b2: number; wd: number; eps: number };
    lrs: number[];
    trajectory: Params[];
  };
  sign_sgd: {
    lr: number;
    wd: number;
    table0: number[][];
    ids: number[][];
    rows: number[][][];
    trajectory: number[][][];
  };
}

const here = dirname(fileURLToPath(import.meta.url));
export const fixtures: OptimFixtures = JSON.parse(
  readFileSync(join(here, '../fixtures/optim_fixtures.json'), 'utf8'),
);

export function flat(values: number[] | number[][]): Float32Array {
  return Float32Array.from((values as (number | number[])[]).flat() as number[]);
}

/** Largest |a-b| / max(|b|, floor) over all elements. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor));
  return worst;
}
