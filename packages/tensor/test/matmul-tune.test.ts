// The package entry installs Dawn as the WebGPU source; the deep imports below do not.
import '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendOf, Device } from '../src/device/device.js';
import { encodeMatmul } from '../src/kernels/matmul.js';
import { matmulCandidates, tuneMatmul } from '../src/kernels/matmul-tune.js';
import {
  adapterKey,
  type MatmulTuning,
  matmulTuning,
  tunedMatmulChoice,
  useMatmulTuning,
} from '../src/kernels/matmul-tuning.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
});
afterAll(() => device?.destroy());

/** `op(A)·op(B)` on the device against the host, for one candidate. */
async function matches(
  choice: ReturnType<typeof matmulCandidates>[number],
  [m, n, k]: [number, number, number],
  transA: boolean,
  transB: boolean,
): Promise<void> {
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37));
  const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11));
  const backend = backendOf(device);
  const [A, B, C] = [backend.upload(a), backend.upload(b), backend.createBuffer(m * n * 4)];
  encodeMatmul(
    device,
    { a: A, b: B, out: C, batch: 1, m, n, k, transA, transB, aBatchStride: 0, bBatchStride: 0 },
    { config: choice.config, subgroups: choice.subgroups },
  );
  const got = await backend.read(C, Float32Array);
  for (const buf of [A, B, C]) buf.destroy();
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let ref = 0;
      for (let p = 0; p < k; p++)
        ref += a[transA ? p * m + i : i * k + p]! * b[transB ? j * k + p : p * n + j]!;
      expect(got[i * n + j]!, `[${i}, ${j}] of ${JSON.stringify(choice)}`).toBeCloseTo(ref, 3);
    }
}

describe('matmul candidates', () => {
  // Every candidate the tuner may pick, on a GPU or a CPU adapter, computes the right product.
  // The kernel generators are tested in every layout by matmul.test.ts with small tilings;
  // here each candidate's own tiling runs on x·Wᵀ (aligned: the vec4 paths) and, for the
  // shared-memory tilings, also on dYᵀ·X and an odd shape with partial tiles. (Each variant
  // costs seconds to compile on lavapipe.)
  it.each(['gpu', 'cpu'] as const)(
    'every %s candidate matches the host',
    async (kind) => {
      const choices = matmulCandidates(device, kind);
      expect(choices.length).toBeGreaterThan(2);
      for (const choice of choices) {
        await matches(choice, [40, 72, 36], false, true);
        if (choice.config.kind === 'shared') {
          await matches(choice, [40, 72, 36], true, false);
          await matches(choice, [33, 17, 9], false, false);
        }
      }
    },
    600_000,
  );
});

describe('tuneMatmul', () => {
  it('times the candidates, puts the fastest in force for this adapter, and caches per adapter', async () => {
    const candidates = matmulCandidates(device).slice(0, 2);
    const tuning = await tuneMatmul(device, {
      candidates,
      shape: [32, 48, 16],
      repeats: 1,
      layouts: ['NT', 'NN'],
    });
    expect(tuning.adapter).toBe(adapterKey(device));
    for (const layout of ['NT', 'NN'] as const) {
      const { best, timings } = tuning.layouts[layout];
      expect(timings.map((t) => t.error ?? null)).toEqual([null, null]);
      const fastest = timings.reduce((x, y) => (y.ms! < x.ms! ? y : x));
      expect(best).toEqual(fastest.choice);
    }
    expect(tunedMatmulChoice(device, false, true)).toEqual(tuning.layouts.NT.best);
    expect(matmulTuning(device)).toBe(tuning);
    // The tuned choice is what plain matmuls now run, and they stay right.
    await matches(tunedMatmulChoice(device, false, false)!, [20, 24, 12], false, false);
    const elsewhere: MatmulTuning = { ...tuning, adapter: 'other|gpu' };
    expect(useMatmulTuning(device, elsewhere)).toBe(false);
    expect(matmulTuning(device)).toBe(tuning);
  });

  it('skips a candidate that does not compile on this adapter', async () => {
    const tuning = await tuneMatmul(device, {
      candidates: [
        // 64×64 = 4096 threads: over every adapter's workgroup limit.
        { config: { kind: 'shared', threads: 64, rows: 1, cols: 1, bk: 4 }, subgroups: false },
        matmulCandidates(device)[0]!,
      ],
      shape: [16, 16, 8],
      repeats: 1,
      layouts: ['NN'],
    });
    const [bad, good] = tuning.layouts.NN.timings;
    expect(bad!.ms).toBeNull();
    expect(bad!.error).toBeTruthy();
    expect(good!.ms).toBeGreaterThan(0);
    expect(tuning.layouts.NN.best).toEqual(good!.choice);
  });
});
