// The package entry installs Dawn as the WebGPU source; the deep imports below do not.
import '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendOf, Device } from '../src/device/device.js';
import {
  CPU_MATMUL_CONFIG,
  defaultMatmulConfig,
  encodeMatmul,
  foldGrid,
  GPU_MATMUL_CONFIG,
  type MatmulActivation,
  type MatmulConfig,
  type MatmulKernelOptions,
  planMatmul,
} from '../src/kernels/matmul.js';
import { roundF16, ulpF16 } from './reference/f16.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
});
afterAll(() => device?.destroy());

/** Small tilings that compile fast and put tile edges inside small shapes. */
const SMALL_REGISTER: MatmulConfig = { kind: 'register', threads: 8, rows: 4, cols: 1 };
const SMALL_SHARED: MatmulConfig = { kind: 'shared', threads: 4, rows: 2, cols: 2, bk: 4 };

interface Case {
  m: number;
  n: number;
  k: number;
  batch?: number;
  transA?: boolean;
  transB?: boolean;
  /** Batch strides in elements; default dense. 0 broadcasts. */
  aBatchStride?: number;
  bBatchStride?: number;
  aOffset?: number;
  bOffset?: number;
  /** Fused epilogue: bias per column, residual per element, activation, stored pre-activation. */
  epilogue?: { bias?: boolean; residual?: boolean; activation?: MatmulActivation; pre?: boolean };
}

const ACTIVATION: Record<MatmulActivation, (z: number) => number> = {
  relu: (z) => Math.max(z, 0),
  silu: (z) => z / (1 + Math.exp(-z)),
};

/** Deterministic values in [-1, 1). */
function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/**
 * Runs one matmul on the device and checks every output against an f64 reference:
 * |got − ref| ≤ 1e-5·√k·Σ|a||b| (+ a tiny absolute floor). With `half`, the reference rounds
 * every operand to f16 and the exact sum to f16; the kernel's f32 sum may land on the other
 * side of a rounding boundary, so one f16 ulp is allowed, and every output must be an f16 value.
 */
async function check(c: Case, options: MatmulKernelOptions = {}): Promise<void> {
  const r = options.half ? roundF16 : (x: number) => x;
  const { m, n, k } = c;
  const batch = c.batch ?? 1;
  const transA = c.transA ?? false;
  const transB = c.transB ?? false;
  const aBatchStride = c.aBatchStride ?? m * k;
  const bBatchStride = c.bBatchStride ?? k * n;
  const aOffset = c.aOffset ?? 0;
  const bOffset = c.bOffset ?? 0;
  const aLen = aOffset + (batch - 1) * aBatchStride + m * k;
  const bLen = bOffset + (batch - 1) * bBatchStride + k * n;
  const aHost = random(aLen, m * 31 + k);
  const bHost = random(bLen, n * 17 + k + 5);
  const backend = backendOf(device);
  const a = backend.upload(aHost);
  const b = backend.upload(bHost);
  const out = backend.createBuffer(batch * m * n * 4);
  const e = c.epilogue ?? {};
  const biasHost = random(n, 7 * n + 3);
  const resHost = random(batch * m * n, 11 * m + n);
  const bias = e.bias ? backend.upload(biasHost) : undefined;
  const residual = e.residual ? backend.upload(resHost) : undefined;
  const pre = e.pre ? backend.createBuffer(batch * m * n * 4) : undefined;
  encodeMatmul(
    device,
    {
      ...{
        a,
        b,
        out,
        batch,
        m,
        n,
        k,
        transA,
        transB,
        aBatchStride,
        bBatchStride,
        aOffset,
        bOffset,
      },
      ...(c.epilogue
        ? {
            epilogue: {
              bias,
              residual,
              pre,
              ...(e.activation ? { activation: e.activation } : {}),
            },
          }
        : {}),
    },
    options,
  );
  const got = await backend.read(out, Float32Array);
  const gotPre = pre ? await backend.read(pre, Float32Array) : undefined;
  for (const buf of [a, b, out, bias, residual, pre]) buf?.destroy();
  let worst = 0;
  let where = '';
  for (let bi = 0; bi < batch; bi++) {
    const aB = aOffset + bi * aBatchStride;
    const bB = bOffset + bi * bBatchStride;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let ref = 0;
        let scale = 0;
        for (let p = 0; p < k; p++) {
          const av = r(aHost[aB + (transA ? p * m + i : i * k + p)] as number);
          const bv = r(bHost[bB + (transB ? j * k + p : p * n + j)] as number);
          ref += av * bv;
          scale += Math.abs(av * bv);
        }
        const o = (bi * m + i) * n + j;
        // The epilogue adds in f32 after the product's rounding; the activation is 1-Lipschitz
        // here, so the product's error bound carries over, plus the rounding of the sums.
        const z =
          r(ref) +
          (e.bias ? (biasHost[j] as number) : 0) +
          (e.residual ? (resHost[o] as number) : 0);
        const want = e.activation ? ACTIVATION[e.activation](z) : z;
        if (gotPre)
          expect(Math.abs((gotPre[o] as number) - z)).toBeLessThanOrEqual(
            1e-5 * (1 + Math.abs(z)) + 1e-5 * Math.sqrt(k) * scale,
          );
        const g = got[o] as number;
        if (c.epilogue) {
          const tol =
            1e-5 * Math.sqrt(k) * scale +
            2e-6 * (1 + Math.abs(z)) +
            (options.half ? ulpF16(ref) : 0);
          if (!(Math.abs(g - want) <= tol)) {
            worst = Number.POSITIVE_INFINITY;
            where = `batch ${bi} [${i}, ${j}]: got ${g}, want ${want}`;
          }
          continue;
        }
        const err = Math.abs(g - r(ref));
        const ratio = options.half
          ? roundF16(g) === g
            ? err / (ulpF16(ref) + 1e-30)
            : Number.POSITIVE_INFINITY
          : err / (1e-5 * Math.sqrt(k) * scale + 1e-30);
        if (!(ratio <= worst)) {
          worst = Number.isNaN(ratio) ? Number.POSITIVE_INFINITY : ratio;
          where = `batch ${bi} [${i}, ${j}]: got ${got[(bi * m + i) * n + j]}, want ${ref}`;
        }
      }
    }
  }
  expect(worst, where).toBeLessThanOrEqual(1);
}

const TRANS = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;
const ODD_SHAPES = [
  [1, 1, 1],
  [7, 13, 5],
  [65, 33, 129],
] as const;

describe('foldGrid', () => {
  it('keeps small grids 1-D and folds large ones into 2-D and 3-D within the limit', () => {
    expect(foldGrid(1)).toEqual([1, 1, 1]);
    expect(foldGrid(65_535)).toEqual([65_535, 1, 1]);
    for (const [groups, max] of [
      [65_536, 65_535],
      [1_000_000, 65_535],
      [50, 7],
      [200, 7],
      [343, 7],
    ] as const) {
      const [x, y, z] = foldGrid(groups, max);
      expect(Math.max(x, y, z)).toBeLessThanOrEqual(max);
      expect(x * y * z).toBeGreaterThanOrEqual(groups);
      // No whole plane of idle workgroups.
      expect(x * y * (z - 1)).toBeLessThan(groups);
    }
    expect(() => foldGrid(7 ** 3 + 1, 7)).toThrow(RangeError);
  });
});

describe.each([
  ['register tiling', SMALL_REGISTER],
  ['shared-memory tiling', SMALL_SHARED],
] as const)('matmul, %s', (_, config) => {
  it.each(TRANS)('odd shapes, transA=%s transB=%s', async (transA, transB) => {
    for (const [m, n, k] of ODD_SHAPES) await check({ m, n, k, transA, transB }, { config });
  });

  it.each(TRANS)('vec4-aligned shapes, transA=%s transB=%s', async (transA, transB) => {
    await check({ m: 24, n: 36, k: 20, transA, transB }, { config });
  });

  it('transposed vec4 A shared across subgroup lanes (k a multiple of the step)', async () => {
    await check({ m: 20, n: 36, k: 40, transA: true }, { config });
    await check({ m: 12, n: 10, k: 16, transA: true, transB: true, batch: 2 }, { config });
    await check({ m: 8, n: 5, k: 24, transA: true, aBatchStride: 0, batch: 2 }, { config });
  });

  it('vec4 A rows without subgroup operations', async () => {
    await check({ m: 24, n: 36, k: 20 }, { config, subgroups: false });
    await check({ m: 9, n: 8, k: 12, transB: true }, { config, subgroups: false });
  });

  it('batched, broadcasting A or B, with element offsets', async () => {
    // Unaligned offsets (scalar loads) and aligned ones (vec4 loads).
    await check(
      { m: 5, n: 8, k: 12, batch: 3, aBatchStride: 0, aOffset: 3, bOffset: 1 },
      { config },
    );
    await check(
      { m: 8, n: 12, k: 8, batch: 3, bBatchStride: 0, aOffset: 4, bOffset: 8 },
      { config },
    );
    await check(
      { m: 6, n: 7, k: 9, batch: 4, transA: true, transB: true, aBatchStride: 60, bOffset: 2 },
      { config },
    );
  });

  it('folds the grid when one dimension is not enough', async () => {
    // 2-D and 3-D grids under a fake limit of 3 workgroups per dimension.
    await check({ m: 9, n: 10, k: 3, batch: 5 }, { config, maxWorkgroupsPerDimension: 3 });
    await check(
      { m: 3, n: 5, k: 4, batch: 20, transB: true },
      { config, maxWorkgroupsPerDimension: 3 },
    );
  });
});

describe.each([
  ['register tiling', SMALL_REGISTER],
  ['shared-memory tiling', SMALL_SHARED],
] as const)(
  'matmul computed transposed (Cᵀ = op(B)ᵀ·op(A)ᵀ, stored back as C), %s',
  (_, config) => {
    it.each(TRANS)('odd and aligned shapes, transA=%s transB=%s', async (transA, transB) => {
      for (const [m, n, k] of [...ODD_SHAPES, [24, 36, 20]] as const) {
        await check({ m, n, k, transA, transB }, { config, transOut: true });
      }
    });

    it('batched, broadcasting, with offsets, and without subgroup operations', async () => {
      const transOut = true;
      await check(
        { m: 9, n: 5, k: 12, batch: 3, aBatchStride: 0, aOffset: 4, bOffset: 1 },
        { config, transOut },
      );
      await check(
        { m: 6, n: 7, k: 9, batch: 4, transA: true, transB: true, aBatchStride: 60, bOffset: 2 },
        { config, transOut, subgroups: false },
      );
    });
  },
);

describe.each([
  ['register tiling', SMALL_REGISTER],
  ['shared-memory tiling', SMALL_SHARED],
] as const)('matmul with a fused epilogue, %s', (_, config) => {
  for (const transOut of [false, true]) {
    it.each(TRANS)(
      `bias, residual, silu with its input stored; transposed store ${transOut}; transA=%s transB=%s`,
      async (transA, transB) => {
        const epilogue = { bias: true, residual: true, activation: 'silu', pre: true } as const;
        await check({ m: 7, n: 13, k: 5, transA, transB, epilogue }, { config, transOut });
        await check({ m: 24, n: 36, k: 20, transA, transB, epilogue }, { config, transOut });
      },
    );
  }

  it('each part alone, batched, and in half precision', async () => {
    for (const transOut of [false, true]) {
      const o = { config, transOut };
      await check({ m: 8, n: 12, k: 8, batch: 2, epilogue: { bias: true } }, o);
      await check({ m: 5, n: 7, k: 9, batch: 3, epilogue: { residual: true } }, o);
      await check({ m: 8, n: 12, k: 6, epilogue: { activation: 'relu' } }, o);
      await check(
        { m: 7, n: 9, k: 5, transB: true, epilogue: { bias: true } },
        { ...o, half: true },
      );
    }
  });
});

describe('matmul, register tiling reading A as single values', () => {
  it('with and without subgroup broadcasts, k and m not multiples of 4', async () => {
    // 9 rows: two subgroup loads per k, the second only partly used.
    const config = { kind: 'register', threads: 8, rows: 9, cols: 1 } as const;
    await check({ m: 19, n: 21, k: 7 }, { config });
    await check({ m: 19, n: 21, k: 7, transA: true, transB: true }, { config });
    await check({ m: 19, n: 21, k: 7, transA: true }, { config, subgroups: false });
  });
});

describe('matmul shape fitting', () => {
  /** The tiny-sudoku TRM-MLP products (batch 32, 17 positions, SwiGLU width 256). */
  const mlpT = {
    'x·Wᵀ, k = 17': { m: 2048, n: 512, k: 17, transA: false, transB: true },
    'dY·W, n = 17': { m: 2048, n: 17, k: 512, transA: false, transB: false },
    'dYᵀ·X, n = 17': { m: 512, n: 17, k: 2048, transA: true, transB: false },
    'x·Wᵀ, n = 17': { m: 2048, n: 17, k: 256, transA: false, transB: true },
    'dYᵀ·X, m = 17': { m: 17, n: 256, k: 2048, transA: true, transB: false },
  } as const;
  const planOf = (s: (typeof mlpT)[keyof typeof mlpT]) =>
    planMatmul(
      device,
      { ...s, aStride: 0, bStride: 0, aOffset: 0, bOffset: 0 },
      {},
      { config: CPU_MATMUL_CONFIG, fitShape: true },
    );

  it('computes products with 17 columns transposed, with one 17-row tile', () => {
    for (const name of ['dY·W, n = 17', 'dYᵀ·X, n = 17', 'x·Wᵀ, n = 17'] as const) {
      const plan = planOf(mlpT[name]);
      expect(plan.transOut, name).toBe(true);
      expect(plan.config.kind === 'register' && plan.config.rows, name).toBe(17);
    }
    const short = planOf(mlpT['dYᵀ·X, m = 17']);
    expect(short.transOut).toBe(false);
    expect(short.config.kind === 'register' && short.config.rows).toBe(17);
  });

  it('keeps the base tiling where it fits: k = 17, and big aligned products', () => {
    expect(planOf(mlpT['x·Wᵀ, k = 17']).config).toBe(CPU_MATMUL_CONFIG);
    const big = planOf({ m: 544, n: 512, k: 64, transA: false, transB: true } as never);
    expect(big.config).toBe(CPU_MATMUL_CONFIG);
    expect(big.transOut).toBe(false);
  });

  it('fitted tilings compute the right product', async () => {
    // Few columns (computed transposed), few rows, and rows just past the base tile's.
    const o = { config: SMALL_REGISTER, fitShape: true };
    await check({ m: 40, n: 3, k: 9, epilogue: { bias: true } }, o);
    await check({ m: 3, n: 40, k: 9, transA: true, transB: true }, o);
    await check({ m: 6, n: 6, k: 13, transB: true }, o);
  });
});

describe.each([
  ['register tiling', SMALL_REGISTER],
  ['shared-memory tiling', SMALL_SHARED],
] as const)('matmul in half precision, %s', (_, config) => {
  it.each(TRANS)(
    'rounds operands and results to f16, transA=%s transB=%s',
    async (transA, transB) => {
      await check({ m: 7, n: 13, k: 5, transA, transB }, { config, half: true });
      await check({ m: 24, n: 36, k: 20, transA, transB }, { config, half: true });
    },
  );
});

describe('matmul in half precision, single products', () => {
  /** One-element matmuls: the product of two f16 values is exact, so only roundings show. */
  async function product(a: number[], b: number[], config: MatmulConfig): Promise<Float32Array> {
    const n = a.length;
    const A = backendOf(device).upload(Float32Array.from(a));
    const B = backendOf(device).upload(Float32Array.from(b));
    const out = backendOf(device).createBuffer(n * n * 4);
    const args = { a: A, b: B, out, batch: 1, m: n, n, k: 1, transA: false, transB: false };
    encodeMatmul(device, { ...args, aBatchStride: 0, bBatchStride: 0 }, { config, half: true });
    const got = await backendOf(device).read(out, Float32Array);
    for (const buf of [A, B, out]) buf.destroy();
    return Float32Array.from({ length: n }, (_, i) => got[i * n + i]!);
  }

  it.each([
    ['register', SMALL_REGISTER],
    ['shared', SMALL_SHARED],
  ] as const)(
    'rounds to nearest even, overflows to ±inf and keeps subnormals (%s)',
    async (_, config) => {
      // 1 + 2^-11 is a tie between 1 and 1 + 2^-10: even is 1. 300² overflows the f16 range.
      const a = [0.1, 1 + 2 ** -11, 300, -300, 3e-5, 1 / 3, 65504, 2 ** -20];
      const b = [3, 1, 300, 300, 1, 1, 1, 2 ** -5];
      const got = await product(a, b, config);
      const want = a.map((x, i) => roundF16(roundF16(x) * roundF16(b[i]!)));
      expect(want[1]).toBe(1);
      expect(want[2]).toBe(Number.POSITIVE_INFINITY);
      expect(want[3]).toBe(Number.NEGATIVE_INFINITY);
      expect(want[4]).toBeGreaterThan(0); // 3e-5 is an f16 subnormal
      expect([...got]).toEqual(want);
    },
  );
});

describe('matmul, default tiling for this adapter', () => {
  it('picks the CPU tiling on a fallback adapter and the GPU one otherwise', () => {
    const config = defaultMatmulConfig(device);
    if (!device.adapterInfo.isFallbackAdapter && !/llvmpipe/i.test(device.adapterInfo.device)) {
      expect(config).toEqual(GPU_MATMUL_CONFIG);
    } else {
      expect(config.kind).toBe('register');
    }
  });

  // Every layout runs through the same generator above with a small tiling; each variant of
  // the big default tiling costs seconds to compile on lavapipe, so only the three a training
  // step uses (x·W, dY·Wᵀ, Xᵀ·dY) are compiled here, plus the unaligned fallback.
  it('odd shape (unaligned fallback tiling)', async () => {
    await check({ m: 65, n: 33, k: 129 });
  });

  it.each([TRANS[0], TRANS[1], TRANS[2]])(
    'aligned shapes, transA=%s transB=%s',
    async (transA, transB) => {
      await check({ m: 40, n: 136, k: 64, transA, transB, batch: 2, bBatchStride: 0 });
    },
  );

  it('runs a batch larger than one grid dimension allows', async () => {
    const max = device.limits.maxComputeWorkgroupsPerDimension;
    await check({ m: 1, n: 2, k: 3, batch: max + 10, bBatchStride: 0 });
  });

  it('rejects bad shapes and buffers that are too small', () => {
    const a = backendOf(device).createBuffer(64);
    const args = {
      a,
      b: a,
      out: a,
      batch: 1,
      m: 2,
      n: 2,
      k: 2,
      transA: false,
      transB: false,
      aBatchStride: 0,
      bBatchStride: 0,
    };
    expect(() => encodeMatmul(device, { ...args, m: 0 })).toThrow(RangeError);
    expect(() => encodeMatmul(device, { ...args, k: 1.5 })).toThrow(RangeError);
    expect(() => encodeMatmul(device, { ...args, m: 5, k: 5 })).toThrow(/A needs 25/);
    expect(() => encodeMatmul(device, { ...args, batch: 3, bBatchStride: 8 })).toThrow(/B needs/);
    a.destroy();
  });
});
