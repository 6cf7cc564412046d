import { Device, Generator, setDefaultDevice, type Tensor, tensor, tidy } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Attention,
  Linear,
  RotaryEmbedding,
  rmsNorm,
  SwiGLU,
  swigluIntermediate,
} from '../src/index.js';
import * as cpu from './cpu.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
  setDefaultDevice(device);
});
afterAll(() => device?.destroy());

const f64 = async (t: Tensor) => Float64Array.from(await t.data());

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 2e-5): void {
  expect(got.length).toBe(want.length);
  let scale = 1e-6;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i]! - want[i]!) > tol * scale)
      throw new Error(`element ${i}: ${got[i]} vs ${want[i]} (scale ${scale})`);
  }
}

function randomInput(shape: number[], seed: number): { t: Tensor; v: Float64Array } {
  let s = seed;
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Float64Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.fround((s / 2 ** 31) * 2 - 1);
  });
  return { t: tensor(Float32Array.from(v), { shape }).keep(), v };
}

describe('layers against f64 CPU references', () => {
  it('Linear uses the [out, in] layout', async () => {
    const layer = new Linear(7, 5, new Generator(1));
    const { t, v } = randomInput([3, 7], 2);
    const got = await f64(tidy(() => layer.forward(t)));
    expectClose(got, cpu.linear(v, 3, 7, await f64(layer.weight), 5));
  });

  it('rmsNorm has no scale and normalises the last axis', async () => {
    const { t, v } = randomInput([4, 33], 3);
    expectClose(await f64(tidy(() => rmsNorm(t, 1e-5))), cpu.rmsNorm(v, 33, 1e-5));
  });

  it('SwiGLU rounds its width up to 256 and gates the first half', async () => {
    expect(swigluIntermediate(512, 4)).toBe(1536);
    expect(swigluIntermediate(97, 4)).toBe(512);
    const layer = new SwiGLU(16, 4, new Generator(4));
    expect(layer.intermediate).toBe(256);
    const { t, v } = randomInput([2, 3, 16], 5);
    const got = await f64(tidy(() => layer.forward(t)));
    const want = cpu.swiglu(
      v,
      6,
      16,
      await f64(layer.gateUpProj.weight),
      await f64(layer.downProj.weight),
      256,
    );
    expectClose(got, want);
  });

  it('RotaryEmbedding tables follow θ^(-2i/d) with concat(freqs, freqs)', async () => {
    const rope = new RotaryEmbedding(8, 11, 10000);
    const want = cpu.rotaryTables(11, 8, 10000);
    expectClose(await f64(rope.cos), want.cos, 1e-6);
    expectClose(await f64(rope.sin), want.sin, 1e-6);
    expect([...rope.namedBuffers()]).toEqual([]); // never saved
  });

  it.each([true, false])(
    'Attention (rope: %s) matches softmax(qkᵀ/√d)v per head',
    async (withRope) => {
      const B = 2;
      const L = 5;
      const D = 12;
      const H = 3;
      const layer = new Attention(D, H, new Generator(6));
      const rope = withRope ? new RotaryEmbedding(D / H, L) : null;
      const { t, v } = randomInput([B, L, D], 7);
      const got = await f64(tidy(() => layer.forward(t, rope)));
      const tables = withRope ? cpu.rotaryTables(L, D / H, 10000) : null;
      const want = cpu.attention(
        v,
        B,
        L,
        D,
        H,
        await f64(layer.qkvProj.weight),
        await f64(layer.oProj.weight),
        tables,
      );
      expectClose(got, want);
    },
  );
  it('Attention with heads that do not divide the width uses floor(D / H) features per head', async () => {
    const B = 2;
    const L = 4;
    const D = 14;
    const H = 3;
    const layer = new Attention(D, H, new Generator(10));
    expect(layer.headDim).toBe(4);
    expect(layer.qkvProj.weight.shape).toEqual([36, 14]);
    expect(layer.oProj.weight.shape).toEqual([14, 12]);
    const rope = new RotaryEmbedding(4, L);
    const { t, v } = randomInput([B, L, D], 11);
    const got = await f64(tidy(() => layer.forward(t, rope)));
    const want = cpu.attention(
      v,
      B,
      L,
      D,
      H,
      await f64(layer.qkvProj.weight),
      await f64(layer.oProj.weight),
      cpu.rotaryTables(L, 4, 10000),
    );
    expectClose(got, want);
  });
});

describe('gradients through the layers, by f64 finite differences of the CPU reference', () => {
  it('attention input gradient', async () => {
    const B = 1;
    const L = 3;
    const D = 4;
    const H = 2;
    const layer = new Attention(D, H, new Generator(8));
    const rope = new RotaryEmbedding(D / H, L);
    const { v } = randomInput([B, L, D], 9);
    const x = tensor(Float32Array.from(v), { shape: [B, L, D] })
      .keep()
      .requireGrad();
    // Loss = Σ out · w with fixed weights w, so d loss / d x is a plain vector.
    const w = Float64Array.from({ length: B * L * D }, (_, i) => Math.cos(i));
    tidy(() => {
      layer
        .forward(x, rope)
        .mul(tensor(Float32Array.from(w), { shape: [B, L, D] }))
        .sum()
        .backward();
    });
    const got = await f64(x.grad!);
    const qkv = await f64(layer.qkvProj.weight);
    const o = await f64(layer.oProj.weight);
    const tables = cpu.rotaryTables(L, D / H, 10000);
    const loss = (xv: Float64Array) =>
      cpu.attention(xv, B, L, D, H, qkv, o, tables).reduce((a, y, i) => a + y * w[i]!, 0);
    const h = 1e-6;
    const want = Float64Array.from(v, (_, i) => {
      const up = Float64Array.from(v);
      const down = Float64Array.from(v);
      up[i]! += h;
      down[i]! -= h;
      return (loss(up) - loss(down)) / (2 * h);
    });
    expectClose(got, want, 1e-4);
  });
});
