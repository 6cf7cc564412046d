/** Shared by the parity tests: the fixtures, their config and weights, and the error measure. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StateEntry } from '@trm/nn';
import { expect } from 'vitest';
import type { HostTensor } from '../src/checkpoint/index.js';
import { resolveTrmConfig, type TrmConfig } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

/** A file of fixtures/parity. */
export const fixture = (name: string) => join(here, '../fixtures/parity', name);

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

/** The fixture's config, at its batch of 4, with `forward_dtype` (f32 unless told). */
export function configFrom(
  meta: Record<string, string>,
  forwardDtype: TrmConfig['forward_dtype'] = 'float32',
): TrmConfig {
  const raw = JSON.parse(meta.config!);
  return resolveTrmConfig({ ...raw, batch_size: 4, forward_dtype: forwardDtype });
}
