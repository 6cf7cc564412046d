/**
 * The fused attention op against (1) the unfused composition of existing ops (narrow, permute,
 * matmul, softmax and the rotate-half rotary of @trm/nn), forward and gradient w.r.t. qkv, on
 * ragged sequence lengths and several tilings, and (2) an f64 CPU reference with f64 finite
 * differences. Each comparison is also shown to fail on a wrong scale or swapped keys and values.
 */
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { type AttentionConfig, GPU_ATTENTION_CONFIG } from '../src/kernels/attention.js';
import { poolFor } from '../src/memory/pool.js';
import { attention } from '../src/ops/attention.js';
import { useDefaultDevice } from './helpers.js';
import { rng, uniforms } from './reference/random.js';

useDefaultDevice();

interface Rotary {
  cos: T.Tensor;
  sin: T.Tensor;
}
interface Shape {
  B: number;
  L: number;
  H: number;
  d: number;
}

const next = rng(7);

/** Rotary tables `[P, d]` built like @trm/nn's RotaryEmbedding (θ = 10000). */
function rotaryTables(P: number, d: number): { cos: Float32Array; sin: Float32Array } {
  const cos = new Float32Array(P * d);
  const sin = new Float32Array(P * d);
  for (let i = 0; i < d / 2; i++) {
    const invFreq = 1 / 10000 ** ((2 * i) / d);
    for (let p = 0; p < P; p++) {
      for (const j of [i, i + d / 2]) {
        cos[p * d + j] = Math.cos(p * invFreq);
        sin[p * d + j] = Math.sin(p * invFreq);
      }
    }
  }
  return { cos, sin };
}

function rotaryTensors(P: number, d: number): Rotary {
  const { cos, sin } = rotaryTables(P, d);
  return { cos: T.tensor(cos, { shape: [P, d] }), sin: T.tensor(sin, { shape: [P, d] }) };
}

/** `x·cos + rotate_half(x)·sin` on `[B, L, H, d]`, as RotaryEmbedding.apply of @trm/nn does. */
function rotate(x: T.Tensor, { cos, sin }: Rotary): T.Tensor {
  const L = x.shape[1]!;
  const half = x.shape[3]! / 2;
  const rotated = T.concat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
  return x.mul(cos.narrow(0, 0, L).unsqueeze(1)).add(rotated.mul(sin.narrow(0, 0, L).unsqueeze(1)));
}

/** The unfused composition of existing ops; `swapKV` is a deliberately wrong variant. */
function unfused(
  qkv: T.Tensor,
  H: number,
  scale: number,
  rotary?: Rotary,
  swapKV = false,
): T.Tensor {
  let q = qkv.narrow(2, 0, H);
  let k = qkv.narrow(2, swapKV ? 2 * H : H, H);
  const v = qkv.narrow(2, swapKV ? H : 2 * H, H).permute(0, 2, 1, 3);
  if (rotary) {
    q = rotate(q, rotary);
    k = rotate(k, rotary);
  }
  const scores = q
    .permute(0, 2, 1, 3)
    .matmul(k.permute(0, 2, 1, 3), { transB: true })
    .mul(scale);
  return scores.softmax(-1).matmul(v).permute(0, 2, 1, 3);
}

/** f64 reference on plain arrays: `[B, L, 3H, d]` → `[B, L, H, d]`. */
function attentionF64(
  qkv: Float64Array,
  { B, L, H, d }: Shape,
  scale: number,
  tables?: { cos: Float32Array; sin: Float32Array },
): Float64Array {
  const at = (b: number, l: number, head: number) => ((b * L + l) * 3 * H + head) * d;
  const row = (b: number, l: number, head: number, rotate: boolean) => {
    const x = Array.from({ length: d }, (_, c) => qkv[at(b, l, head) + c]!);
    if (!rotate || !tables) return x;
    const half = d / 2;
    return x.map(
      (v, c) =>
        v * tables.cos[l * d + c]! +
        (c < half ? -x[c + half]! : x[c - half]!) * tables.sin[l * d + c]!,
    );
  };
  const out = new Float64Array(B * L * H * d);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const ks = Array.from({ length: L }, (_, j) => row(b, j, H + h, true));
      const vs = Array.from({ length: L }, (_, j) => row(b, j, 2 * H + h, false));
      for (let i = 0; i < L; i++) {
        const q = row(b, i, h, true);
        const s = ks.map((k) => scale * k.reduce((acc, kc, c) => acc + kc * q[c]!, 0));
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const total = e.reduce((a, x) => a + x, 0);
        for (let c = 0; c < d; c++) {
          let acc = 0;
          for (let j = 0; j < L; j++) acc += e[j]! * vs[j]![c]!;
          out[((b * L + i) * H + h) * d + c] = acc / total;
        }
      }
    }
  }
  return out;
}

/** Largest `|got − want| / (atol + rtol·|want|)`: ≤ 1 passes. */
function worstRatio(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number) {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const r = Math.abs(got[i]! - want[i]!) / (atol + rtol * Math.abs(want[i]!));
    worst = Number.isNaN(r) ? Number.POSITIVE_INFINITY : Math.max(worst, r);
  }
  return worst;
}

/** Forward output and gradient w.r.t. qkv of `Σ f(qkv) ∘ w`. */
async function run(
  f: (qkv: T.Tensor) => T.Tensor,
  qkvData: Float32Array,
  shape: Shape,
  w: Float32Array,
): Promise<{ out: Float32Array; grad: Float32Array }> {
  const { B, L, H, d } = shape;
  const qkv = T.tensor(qkvData, { shape: [B, L, 3 * H, d] }).requireGrad();
  const out = T.tidy(() => {
    const y = f(qkv);
    expect([...y.shape]).toEqual([B, L, H, d]);
    y.mul(T.tensor(w, { shape: [B, L, H, d] }))
      .sum()
      .backward();
    return y.detach();
  });
  const result = {
    out: (await out.data()) as Float32Array,
    grad: (await qkv.grad!.data()) as Float32Array,
  };
  out.dispose();
  qkv.dispose();
  return result;
}

const FWD = { rtol: 1e-4, atol: 1e-5 };
const GRAD = { rtol: 1e-3, atol: 1e-4 };

const CASES: (Shape & { rotary: boolean; scale?: number })[] = [
  { B: 1, L: 1, H: 1, d: 4, rotary: false },
  { B: 2, L: 5, H: 3, d: 8, rotary: true },
  { B: 1, L: 33, H: 2, d: 16, rotary: true },
  { B: 2, L: 17, H: 1, d: 6, rotary: true, scale: 0.7 }, // rotary halves not vec4-aligned
  { B: 1, L: 9, H: 2, d: 3, rotary: false }, // a head dim that is not a multiple of 4
];

/**
 * Tilings and the cases they run: the device default and the GPU one (no subgroups) all of
 * them; tiny tiles, so that L = 33 spans many query and key tiles with ragged ends, and
 * subgroup sharing with several rows per thread, a few (each tiling compiles its own kernels).
 */
const CONFIGS: [string, AttentionConfig | undefined, number[]][] = [
  ['default', undefined, [0, 1, 2, 3, 4]],
  ['GPU tiling', GPU_ATTENTION_CONFIG, [0, 1, 2, 3, 4]],
  ['tiny tiles', { threads: 4, rows: 2, tile: 3 }, [2, 3]],
  ['subgroups, 2 rows/thread', { threads: 8, rows: 2, tile: 5, subgroups: true }, [2, 4]],
];

describe('scaledDotProductAttention against the unfused composition', () => {
  for (const [name, config, cases] of CONFIGS) {
    for (const c of cases.map((i) => CASES[i]!)) {
      const label = `${name}: B ${c.B}, L ${c.L}, H ${c.H}, d ${c.d}${c.rotary ? ', rotary' : ''}${c.scale ? `, scale ${c.scale}` : ''}`;
      it(label, async () => {
        const { B, L, H, d } = c;
        const qkv = uniforms(next, B * L * 3 * H * d, -2, 2);
        const w = uniforms(next, B * L * H * d, -1, 1);
        const scale = c.scale ?? 1 / Math.sqrt(d);
        const tables = c.rotary ? rotaryTensors(L + 2, d) : undefined;
        const fused = await run(
          (x) => attention(x, { numHeads: H, scale: c.scale, rotary: tables }, config),
          qkv,
          c,
          w,
        );
        const want = await run((x) => unfused(x, H, scale, tables), qkv, c, w);
        expect(worstRatio(fused.out, want.out, FWD.rtol, FWD.atol)).toBeLessThanOrEqual(1);
        expect(worstRatio(fused.grad, want.grad, GRAD.rtol, GRAD.atol)).toBeLessThanOrEqual(1);
        if (L > 1) {
          // The same comparison catches a wrong scale and swapped keys and values.
          const wrongScale = await run((x) => unfused(x, H, scale * 1.1, tables), qkv, c, w);
          expect(worstRatio(fused.out, wrongScale.out, FWD.rtol, FWD.atol)).toBeGreaterThan(10);
          expect(worstRatio(fused.grad, wrongScale.grad, GRAD.rtol, GRAD.atol)).toBeGreaterThan(10);
          const swapped = await run((x) => unfused(x, H, scale, tables, true), qkv, c, w);
          expect(worstRatio(fused.out, swapped.out, FWD.rtol, FWD.atol)).toBeGreaterThan(10);
          expect(worstRatio(fused.grad, swapped.grad, GRAD.rtol, GRAD.atol)).toBeGreaterThan(10);
        }
        if (tables) {
          const plain = await run((x) => unfused(x, H, scale), qkv, c, w);
          expect(worstRatio(fused.out, plain.out, FWD.rtol, FWD.atol)).toBeGreaterThan(10);
          T.dispose(tables);
        }
      });
    }
  }

  it('head dim 128 (rotary), and 64 without', async () => {
    for (const c of [
      { B: 1, L: 19, H: 1, d: 128, rotary: true },
      { B: 1, L: 21, H: 2, d: 64, rotary: false },
    ]) {
      const { B, L, H, d } = c;
      const qkv = uniforms(next, B * L * 3 * H * d, -0.5, 0.5);
      const w = uniforms(next, B * L * H * d, -1, 1);
      const tables = c.rotary ? rotaryTensors(L, d) : undefined;
      const fused = await run(
        (x) => T.scaledDotProductAttention(x, { numHeads: H, rotary: tables }),
        qkv,
        c,
        w,
      );
      const want = await run((x) => unfused(x, H, 1 / Math.sqrt(d), tables), qkv, c, w);
      expect(worstRatio(fused.out, want.out, FWD.rtol, FWD.atol)).toBeLessThanOrEqual(1);
      expect(worstRatio(fused.grad, want.grad, GRAD.rtol, GRAD.atol)).toBeLessThanOrEqual(1);
      T.dispose(tables);
    }
  });
});

describe('scaledDotProductAttention against an f64 CPU reference', () => {
  const shape: Shape = { B: 2, L: 6, H: 2, d: 4 };
  const { B, L, H, d } = shape;
  const scale = 0.6;
  const qkv32 = uniforms(next, B * L * 3 * H * d, -2, 2);
  const w = Float64Array.from(uniforms(next, B * L * H * d, -1, 1));
  const tables = rotaryTables(L + 1, d);
  const loss = (x: Float64Array, scl = scale) =>
    attentionF64(x, shape, scl, tables).reduce((a, y, i) => a + y * w[i]!, 0);

  it('forward, and the gradient by f64 finite differences', async () => {
    const rot = {
      cos: T.tensor(tables.cos, { shape: [L + 1, d] }),
      sin: T.tensor(tables.sin, { shape: [L + 1, d] }),
    };
    const got = await run(
      (x) => T.scaledDotProductAttention(x, { numHeads: H, scale, rotary: rot }),
      qkv32,
      shape,
      Float32Array.from(w),
    );
    const qkv = Float64Array.from(qkv32);
    const want = attentionF64(qkv, shape, scale, tables);
    expect(worstRatio(got.out, want, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
    expect(
      worstRatio(got.out, attentionF64(qkv, shape, scale * 1.1, tables), 1e-5, 1e-5),
    ).toBeGreaterThan(10);
    const fd = (scl: number) =>
      Float64Array.from(qkv, (v, i) => {
        const h = 1e-6 * Math.max(1, Math.abs(v));
        const up = Float64Array.from(qkv);
        const down = Float64Array.from(qkv);
        up[i] = v + h;
        down[i] = v - h;
        return (loss(up, scl) - loss(down, scl)) / (2 * h);
      });
    expect(worstRatio(got.grad, fd(scale), 2e-3, 1e-4)).toBeLessThanOrEqual(1);
    expect(worstRatio(got.grad, fd(scale * 1.1), 2e-3, 1e-4)).toBeGreaterThan(10);
    T.dispose(rot);
  });
});

describe('scaledDotProductAttention: memory, no-grad mode and argument checks', () => {
  it('keeps memory linear in L: no [L, L] buffer, forward or backward', async () => {
    const L = 512;
    const qkv = T.tensor(uniforms(next, L * 3 * 4, -1, 1), { shape: [1, L, 3, 4] }).requireGrad();
    const pool = poolFor(T.getDefaultDevice());
    pool.resetPeak();
    const before = pool.stats().liveBytes;
    T.tidy(() => T.scaledDotProductAttention(qkv, { numHeads: 1 }).sum().backward());
    const peak = pool.stats().peakBytes - before;
    // The scores alone take L²·4 = 1 MiB; everything the fused op holds is O(L·d).
    expect(peak).toBeLessThan((L * L * 4) / 8);
    pool.resetPeak();
    T.tidy(() => unfused(qkv, 1, 0.5).sum().backward());
    expect(pool.stats().peakBytes - before).toBeGreaterThan(L * L * 4);
    qkv.dispose();
  });

  it('records nothing and needs no backward state inside noGrad', async () => {
    const shape = { B: 1, L: 4, H: 1, d: 2 };
    const data = uniforms(next, 4 * 3 * 2, -1, 1);
    const qkv = T.tensor(data, { shape: [1, 4, 3, 2] }).requireGrad();
    const y = T.noGrad(() => T.scaledDotProductAttention(qkv, { numHeads: 1 }));
    expect(y.requiresGrad).toBe(false);
    const want = attentionF64(Float64Array.from(data), shape, 1 / Math.sqrt(2));
    expect(worstRatio(await y.data(), want, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
    T.dispose([y, qkv]);
  });

  it('an empty sequence gives an empty result and gradient', async () => {
    const qkv = T.zeros([2, 0, 3, 4]).requireGrad();
    T.tidy(() => {
      const y = T.scaledDotProductAttention(qkv, { numHeads: 1 });
      expect([...y.shape]).toEqual([2, 0, 1, 4]);
      y.sum().backward();
    });
    expect([...qkv.grad!.shape]).toEqual([2, 0, 3, 4]);
    qkv.dispose();
  });

  it('rejects bad shapes with ShapeError', () => {
    const qkv = T.zeros([1, 4, 6, 4]);
    const table = T.zeros([3, 4]);
    expect(() => T.scaledDotProductAttention(qkv, { numHeads: 3 })).toThrow(T.ShapeError);
    expect(() => T.scaledDotProductAttention(qkv.reshape([4, 6, 4]), { numHeads: 2 })).toThrow(
      T.ShapeError,
    );
    expect(() =>
      T.scaledDotProductAttention(qkv, { numHeads: 2, rotary: { cos: table, sin: table } }),
    ).toThrow(/rotary tables/);
    T.dispose([qkv, table]);
  });
});
