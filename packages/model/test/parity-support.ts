import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StateEntry } from '@trm/nn';
import { expect } from 'vitest';
import { type Checkpoint, type HostTensor, loadCheckpoint } from '../src/checkpoint/index.js';
import { type HostBatch, resolveTrmConfig, type TrmConfig } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Path of a file in fixtures/parity (written by make_parity.py). */
export const parityFixture = (name: string) => join(here, '../fixtures/parity', name);

/**
 * Largest |a - b| over max(|b|, scale · 1e-2) — relative error, with values much smaller than
 * the tensor's own scale (where f32 cancellation dominates) judged against that scale.
 */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(
      worst,
      Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), scale * 1e-2, 1e-30),
    );
  }
  return worst;
}

/** The fixture tensors under `prefix` (e.g. `weights/`) as state-dict entries. */
export function toEntries(
  tensors: Map<string, HostTensor>,
  prefix: string,
): Map<string, StateEntry> {
  const out = new Map<string, StateEntry>();
  for (const [name, t] of tensors) {
    if (!name.startsWith(prefix)) continue;
    out.set(name.slice(prefix.length), { shape: t.shape, data: t.data as Float32Array });
  }
  return out;
}

/** The model config a fixture was made with, computed in f32 on a batch of 4. */
export function configFrom(
  meta: Record<string, string>,
  forwardDtype: TrmConfig['forward_dtype'] = 'float32',
): TrmConfig {
  const raw = JSON.parse(meta.config!);
  return resolveTrmConfig({ ...raw, batch_size: 4, forward_dtype: forwardDtype });
}

/**
 * Tolerance. The issue asks for 1e-4 relative in f32. TRM's recursion amplifies f32 round-off
 * (each step runs up to 2·(L_cycles+1)·L_layers blocks ending in RMS norms), and PyTorch's own
 * f32 results sit up to ~9e-4 away from the exact (f64) ones on the MLP-T variant's second step
 * (see make_parity.py). So each tensor is judged against the exact values: our error must be
 * within 1e-4, or — where PyTorch's f32 error is itself larger — within 3× PyTorch's error.
 */
export const TOL = 1e-4;
export const ROUNDOFF_FACTOR = 3;

/** A parity fixture opened for a test, with the comparison that every check goes through. */
export interface ParityFixture {
  ckpt: Checkpoint;
  /** The data of fixture tensor `name` (throws when it is missing). */
  t: (name: string) => HostTensor['data'];
  /**
   * Checks `ours` for fixture tensor `key` (e.g. `step1/logits`) against the exact values:
   * within {@link TOL}, or within {@link ROUNDOFF_FACTOR} × PyTorch's own f32 error.
   */
  close: (ours: ArrayLike<number>, key: string) => void;
  /** One line per checked tensor (printed with TRM_PARITY_REPORT=1). */
  report: string[];
  config: TrmConfig;
  /** Batch 1 or 2 of the fixture. */
  batch: (i: number) => HostBatch;
  /** The exploration draws PyTorch was given. */
  exploration: { explore: Uint8Array; minHalt: Int32Array };
}

/** Opens `fixtures/parity/<variant>.safetensors`. */
export async function openParityFixture(variant: string): Promise<ParityFixture> {
  const ckpt = await loadCheckpoint(parityFixture(`${variant}.safetensors`), { int64: 'int32' });
  const t = (name: string) => {
    const v = ckpt.tensors.get(name);
    if (!v) throw new Error(`fixture has no ${name}`);
    return v.data;
  };
  const report: string[] = [];
  const close = (ours: ArrayLike<number>, key: string) => {
    const exact = t(`exact/${key}`) as Float32Array;
    const ourErr = maxRelError(ours, exact);
    const torchErr = maxRelError(t(key) as Float32Array, exact);
    const bound = Math.max(TOL, ROUNDOFF_FACTOR * torchErr);
    report.push(`${key}: ours ${ourErr.toExponential(2)}, torch-f32 ${torchErr.toExponential(2)}`);
    expect(ourErr, `${key}: ours ${ourErr}, PyTorch f32 ${torchErr} (vs exact)`).toBeLessThan(
      bound,
    );
  };
  return {
    ckpt,
    t,
    close,
    report,
    config: configFrom(ckpt.metadata),
    batch: (i) => ({
      inputs: t(`batch${i}/inputs`) as Int32Array,
      labels: t(`batch${i}/labels`) as Int32Array,
      puzzleIdentifiers: t(`batch${i}/puzzle_identifiers`) as Int32Array,
    }),
    exploration: {
      explore: t('explore/explore') as Uint8Array,
      minHalt: t('explore/min_halt') as Int32Array,
    },
  };
}
