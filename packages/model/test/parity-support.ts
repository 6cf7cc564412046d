import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StateEntry } from '@trm/nn';
import { expect } from 'vitest';
import type { HostTensor } from '../src/checkpoint/index.js';
import { resolveTrmConfig, type TrmConfig } from '../src/index.js';

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
export function configFrom(meta: Record<string, string>): TrmConfig {
  const raw = JSON.parse(meta.config!);
  return resolveTrmConfig({ ...raw, batch_size: 4, forward_dtype: 'float32' });
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
