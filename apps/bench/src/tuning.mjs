import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Tunes the matmul tiling for the adapter once (`tuneMatmul` of @trm/tensor) and leaves it
 * where every later process finds it: `<dir>/matmul-tuning.json` for the step workers, and
 * `<dir>/cache/trm/matmul-tuning.json`, the cache `pnpm trm` reads under XDG_CACHE_HOME.
 * Returns the tuning and both places, or null when this checkout cannot tune.
 */
export async function tuneOnce(dir) {
  const T = await import('@trm/tensor');
  if (typeof T.tuneMatmul !== 'function') return null;
  const device = await T.Device.open({ disableToggles: ['timestamp_quantization'] });
  try {
    const tuning = await T.tuneMatmul(device);
    const file = join(dir, 'matmul-tuning.json');
    writeFileSync(file, JSON.stringify(tuning));
    const cacheHome = join(dir, 'cache');
    mkdirSync(join(cacheHome, 'trm'), { recursive: true });
    writeFileSync(
      join(cacheHome, 'trm', 'matmul-tuning.json'),
      JSON.stringify({ [tuning.adapter]: tuning }),
    );
    return { tuning, rows: tuningRows(tuning, T.matmulChoiceLabel), file, cacheHome };
  } finally {
    device.destroy();
  }
}

/** Rows for the report: per layout, every candidate's tiling and time, the chosen one marked. */
export function tuningRows(tuning, label) {
  const rows = [];
  for (const [layout, { best, timings }] of Object.entries(tuning.layouts)) {
    for (const t of timings) {
      rows.push({
        layout,
        tiling: label(t.choice),
        ms: t.ms,
        chosen: JSON.stringify(t.choice) === JSON.stringify(best),
        error: t.error ?? null,
      });
    }
  }
  return rows;
}
