import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  adapterKey,
  type Device,
  type MatmulTuning,
  matmulChoiceLabel,
  matmulTuning,
  tuneMatmul,
  useMatmulTuning,
} from '@trm/tensor';

/** Where the matmul tunings live: `$XDG_CACHE_HOME/trm/`, else `~/.cache/trm/`. */
export function matmulCacheFile(env: NodeJS.ProcessEnv): string {
  const root = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(root, 'trm', 'matmul-tuning.json');
}

/**
 * Puts this adapter's matmul tuning in force: from the cache when it holds one for the adapter,
 * else — on a GPU, or on any adapter with `TRM_MATMUL_TUNE=1` — measured now (`tuneMatmul`,
 * tens of seconds, once per adapter) and cached. Software adapters keep their hand-tuned tiling
 * unless asked; `TRM_MATMUL_TUNE=0` turns tuning off. `measure` false only reads the cache (the
 * ranks of a data-parallel run, which must not time kernels against each other).
 */
export async function prepareMatmul(
  device: Device,
  options: { env: NodeJS.ProcessEnv; log: (line: string) => void; measure: boolean },
): Promise<void> {
  const { env, log } = options;
  const mode = env.TRM_MATMUL_TUNE;
  if (mode === '0' || matmulTuning(device)) return;
  const file = matmulCacheFile(env);
  const cached = readCache(file)[adapterKey(device)];
  if (cached && useMatmulTuning(device, cached)) return;
  const software =
    device.adapterInfo.isFallbackAdapter ||
    /llvmpipe|lavapipe|swiftshader/i.test(
      `${device.adapterInfo.description} ${device.adapterInfo.device}`,
    );
  if (!options.measure || (software && mode !== '1')) return;
  const name = device.adapterInfo.description || device.adapterInfo.device || 'this adapter';
  log(`tuning the matmul kernels for ${name} (once per adapter, cached in ${file})`);
  const tuning = await tuneMatmul(device);
  log(`matmul tiling: ${describeTuning(tuning)}`);
  try {
    const all = readCache(file);
    all[tuning.adapter] = tuning;
    mkdirSync(dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(all, null, 1)}\n`);
    renameSync(temp, file);
  } catch (error) {
    log(`warning: could not cache the matmul tuning in ${file}: ${(error as Error).message}`);
  }
}

/** The fastest choice per layout, with its time: `NT shared 64×64×16 0.41 ms, …`. */
export function describeTuning(tuning: MatmulTuning): string {
  return Object.entries(tuning.layouts)
    .map(([layout, { best, timings }]) => {
      const ms = timings.find((t) => JSON.stringify(t.choice) === JSON.stringify(best))?.ms;
      return `${layout} ${matmulChoiceLabel(best)}${ms ? ` ${ms.toFixed(2)} ms` : ''}`;
    })
    .join(', ');
}

/** The cache's tunings by adapter key; an unreadable cache is an empty one (it is only a cache). */
function readCache(file: string): Record<string, MatmulTuning> {
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8'));
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {};
  }
}
