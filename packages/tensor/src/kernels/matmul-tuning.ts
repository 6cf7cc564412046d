/**
 * The matmul tunings in force, by adapter (see matmul-tune.ts, which measures them): kept
 * apart so that the kernel can read them without importing the tuner.
 */
import type { Device } from '../device/device.js';
import type { MatmulConfig } from './matmul.js';

/** One way to run a matmul: a tiling, and whether it may use subgroup operations. */
export interface MatmulChoice {
  config: MatmulConfig;
  subgroups: boolean;
}

/** The operand layouts a training step uses: x·Wᵀ (NT), dY·W (NN) and dYᵀ·X (TN). */
export type MatmulLayout = 'NN' | 'NT' | 'TN';

/** What {@link tuneMatmul} found, per layout; serialisable, to be cached by the caller. */
export interface MatmulTuning {
  /** The adapter it was measured on ({@link adapterKey}). */
  adapter: string;
  /** The problem timed: `[m, n, k]`. */
  shape: [number, number, number];
  layouts: Record<
    MatmulLayout,
    {
      best: MatmulChoice;
      /** Every candidate with its time per matmul in ms; `null` when it failed or was wrong. */
      timings: { choice: MatmulChoice; ms: number | null; error?: string }[];
    }
  >;
}

/** Tunings in force, by adapter key: every device opened on one adapter shares it. */
const tunings = new Map<string, MatmulTuning>();

/** Identifies an adapter for the cache: vendor, architecture, device and description. */
export function adapterKey(device: Device): string {
  const a = device.adapterInfo;
  return [a.vendor, a.architecture, a.device, a.description].join('|');
}

/** The tuned choice for a layout on this device's adapter, if {@link tuneMatmul} has run. */
export function tunedMatmulChoice(
  device: Device,
  transA: boolean,
  transB: boolean,
): MatmulChoice | undefined {
  const tuning = tunings.get(adapterKey(device));
  if (!tuning) return undefined;
  const layout: MatmulLayout = transA ? 'TN' : transB ? 'NT' : 'NN';
  return tuning.layouts[layout]?.best;
}

/** The tuning in force for this device's adapter (to cache it), if any. */
export function matmulTuning(device: Device): MatmulTuning | undefined {
  return tunings.get(adapterKey(device));
}

/**
 * Puts a cached tuning in force for the device's adapter. A tuning measured on another adapter
 * is refused (returns false), so a cache copied between machines does no harm.
 */
export function useMatmulTuning(device: Device, tuning: MatmulTuning): boolean {
  if (tuning?.adapter !== adapterKey(device) || !tuning.layouts) return false;
  tunings.set(tuning.adapter, tuning);
  return true;
}

/** A choice in words, for logs and reports: `shared 64×64×16`, `register 16×128 + subgroups`. */
export function matmulChoiceLabel(choice: MatmulChoice): string {
  const c = choice.config;
  return c.kind === 'shared'
    ? `shared ${c.threads * c.rows}×${c.threads * c.cols}×${c.bk}`
    : `register ${c.rows}×${c.threads * c.cols * 4}${choice.subgroups ? ' + subgroups' : ''}`;
}
