import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { adapterKey, Device, type MatmulTuning, matmulTuning } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTuning, matmulCacheFile, prepareMatmul } from '../src/train/matmul-cache.js';

let device: Device;
let dir: string;
beforeAll(async () => {
  device = await Device.open();
  dir = mkdtempSync(join(tmpdir(), 'trm-matmul-cache-'));
});
afterAll(() => {
  device?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const register = { kind: 'register', threads: 8, rows: 8, cols: 2 } as const;

describe('matmul tuning cache', () => {
  it('leaves a software adapter on its hand-tuned tiling, measuring and writing nothing', async () => {
    const lines: string[] = [];
    const env = { XDG_CACHE_HOME: join(dir, 'none') };
    await prepareMatmul(device, { env, log: (l) => lines.push(l), measure: true });
    expect(lines).toEqual([]);
    expect(matmulTuning(device)).toBeUndefined();
    expect(() => readFileSync(matmulCacheFile(env))).toThrow();
  });

  it("puts this adapter's cached tuning in force and ignores other adapters' entries", async () => {
    const env = { XDG_CACHE_HOME: dir };
    const file = matmulCacheFile(env);
    expect(file).toBe(join(dir, 'trm', 'matmul-tuning.json'));
    const best = { config: register, subgroups: false };
    const layout = { best, timings: [{ choice: best, ms: 0.5 }] };
    const tuning: MatmulTuning = {
      adapter: adapterKey(device),
      shape: [128, 128, 128],
      layouts: { NN: layout, NT: layout, TN: layout },
    };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ 'other|gpu||': { ...tuning, adapter: 'other|gpu||' } }));
    await prepareMatmul(device, { env, log: () => {}, measure: false });
    expect(matmulTuning(device)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ [tuning.adapter]: tuning }));
    await prepareMatmul(device, { env, log: () => {}, measure: false });
    expect(matmulTuning(device)).toEqual(tuning);
    expect(describeTuning(tuning)).toBe(
      'NN register 8×64 0.50 ms, NT register 8×64 0.50 ms, TN register 8×64 0.50 ms',
    );
  });
});
