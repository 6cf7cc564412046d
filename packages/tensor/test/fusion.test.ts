import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { pendingKernel } from '../src/tensor.js';
import { kernelsOn, useDefaultDevice } from './helpers.js';

const gpu = useDefaultDevice();

/** Dispatches encoded while `fn` runs and its result is read. */
async function dispatchesOf(fn: () => T.Tensor): Promise<{ n: number; values: number[] }> {
  const before = gpu().counters.dispatches;
  const y = fn();
  const values = [...(await y.data())];
  return { n: gpu().counters.dispatches - before, values };
}

describe('lazy elementwise fusion', () => {
  it('runs a chain of unary, scalar and same-shape binary ops as one kernel', async () => {
    const x = T.tensor([-2, -0.5, 0, 1.5]);
    const y = T.tensor([1, 2, 3, 4]);
    await x.data(); // both computed before counting
    await y.data();
    const bytes = gpu().counters.fusedBytes;
    const { n, values } = await dispatchesOf(() =>
      // the stable BCE of the loss head: max(x, 0) − x·y + log(1 + exp(−|x|))
      x.maximum(0).sub(x.mul(y)).add(x.abs().neg().exp().add(1).log()),
    );
    expect(n).toBe(1);
    // x and y read once each, the result written once: 3 × 4 f32
    expect(gpu().counters.fusedBytes - bytes).toBe(48);
    const want = [-2, -0.5, 0, 1.5].map(
      (v, i) => Math.max(v, 0) - v * (i + 1) + Math.log(1 + Math.exp(-Math.abs(v))),
    );
    for (const [i, v] of values.entries()) expect(v).toBeCloseTo(want[i]!, 5);
  });

  it('fuses casts, comparisons and bool logic, and a one-element operand', async () => {
    const x = T.tensor([1, -2, 3, -4]);
    const one = T.tensor([2]);
    await x.data();
    await one.data();
    const { n, values } = await dispatchesOf(() =>
      x.gt(0).cast('f32').mul(one).add(x.lt(-3).cast('f32')),
    );
    expect(n).toBe(1);
    expect(values).toEqual([2, 0, 2, 1]);
  });

  it('shows the kernel it will run, with the expression as let-lines', () => {
    const x = T.tensor([1, 2]);
    const y = x.mul(2).add(1).sqrt();
    const code = pendingKernel(y)!;
    expect(code).toMatch(/let v\d+: f32 = sqrt\(v\d+\);/);
    expect(code).toMatch(/bitcast<f32>\(p\[1\]\)/); // the scalar 2 travels as a parameter
    expect(pendingKernel(x)).toBeNull(); // uploaded, nothing pending
  });

  it('reuses one kernel for another scalar value (no recompilation per value)', async () => {
    const x = T.tensor([1, 2, 3]);
    await x.data();
    await x.mul(2).add(1).data();
    const pipelines = gpu().pipelineCount;
    expect([...(await x.mul(5).add(-7).data())]).toEqual([-2, 3, 8]);
    expect(gpu().pipelineCount).toBe(pipelines);
  });

  it('an in-place write waits for pending readers, and replaces pending contents', async () => {
    const w = T.tensor([1, 2, 3]);
    const before = w.mul(10); // pending: reads w
    w.assign([7, 8, 9]);
    expect(await before.toArray()).toEqual([10, 20, 30]);
    const y = w.add(1); // pending
    y.assign([0, 0, 0]); // the write wins over the pending expression
    expect(await y.toArray()).toEqual([0, 0, 0]);
    // A custom kernel that updates in place reads the computed value of a pending tensor.
    const z = w.mul(2); // pending: [14, 16, 18]
    const read = z.add(0); // pending reader of z
    T.customOp({
      name: 'inc',
      code: `@group(0) @binding(0) var<storage, read_write> z: array<f32>;
        @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
          if (id.x < arrayLength(&z)) { z[id.x] += 1.0; } }`,
      updates: [z],
      threads: z.size,
      workgroupSize: 64,
    });
    expect(await z.toArray()).toEqual([15, 17, 19]);
    expect(await read.toArray()).toEqual([14, 16, 18]);
  });

  it('frees memory as eagerly as without fusion; a reused buffer never changes under a reader', async () => {
    const base = T.memoryStats().liveBuffers;
    const a = T.tensor([1, 2, 3, 4]);
    const b = a.mul(10); // pending on a
    a.dispose(); // b is computed now, so a's buffer can go back to the pool
    expect(T.memoryStats().liveBuffers).toBe(base + 1);
    T.tensor([7, 7, 7, 7]); // likely a's old buffer
    expect(await b.toArray()).toEqual([10, 20, 30, 40]);
    // Unused pending results are forgotten, not computed, when a tidy() scope ends.
    const count = gpu().counters.dispatches;
    T.tidy(() => {
      const x = T.tensor([1, 2]);
      x.exp().mul(3);
      x.neg();
    });
    expect(gpu().counters.dispatches).toBe(count);
  });

  it('splits an expression past the kernel limits and keeps every value', async () => {
    let y = T.tensor([0.5, 1.5]);
    const parts = Array.from({ length: 8 }, (_, i) => T.tensor([i, -i]));
    for (const p of parts) await p.data();
    await y.data();
    for (let i = 0; i < 40; i++) y = y.add(parts[i % 8]!).mul(0.5);
    let want = [0.5, 1.5];
    for (let i = 0; i < 40; i++)
      want = want.map((v, j) => (v + (j === 0 ? i % 8 : -(i % 8))) * 0.5);
    const got = [...(await y.data())];
    for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i]!, 5);
  });
});

/** Kernels by label encoded while `fn` runs and its result is read, and the values. */
const kernelsOf = (fn: () => T.Tensor) => kernelsOn(gpu(), fn);

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

async function computed(shape: number[], seed: number): Promise<{ t: T.Tensor; v: number[] }> {
  const v = values(
    shape.reduce((a, b) => a * b, 1),
    seed,
  );
  const t = T.tensor(v, { shape });
  await t.data();
  return { t, v };
}

function expectNear(got: number[], want: number[], digits = 5): void {
  expect(got.length).toBe(want.length);
  for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i]!, digits);
}

describe('broadcast and view fusion', () => {
  it('reads broadcast operands through index maps: bias, column scale and relu in one kernel', async () => {
    const { t: x, v: xv } = await computed([2, 3, 4], 1);
    const { t: bias, v: bv } = await computed([4], 2);
    const { t: col, v: cv } = await computed([2, 3, 1], 3);
    const { labels, values: got } = await kernelsOf(() => x.add(bias).mul(col).relu());
    expect(labels).toHaveLength(1);
    const want = xv.map((v, i) => Math.max((v + bv[i % 4]!) * cv[Math.floor(i / 4)]!, 0));
    expectNear(got, want);
  });

  it('fuses permutes, broadcasts and slices of pending tensors into their reader', async () => {
    const { t: x, v: xv } = await computed([2, 3, 1], 4);
    const { t: y, v: yv } = await computed([3, 2, 1], 5);
    // (2x) permuted to [3, 2, 1], plus y, then a slice and a broadcast to [2, 2, 2, 1]
    const { labels, values: got } = await kernelsOf(() =>
      x.mul(2).permute(1, 0, 2).add(y).narrow(0, 1, 2).unsqueeze(0).broadcastTo([2, 2, 2, 1]).exp(),
    );
    expect(labels).toHaveLength(1);
    const sum = (r: number, c: number) => 2 * xv[c * 3 + r]! + yv[r * 2 + c]!;
    const plane = [sum(1, 0), sum(1, 1), sum(2, 0), sum(2, 1)].map(Math.exp);
    expectNear(got, [...plane, ...plane]);
  });

  it('a broadcast reader of a large pending expression computes it once', async () => {
    const { t: x } = await computed([4, 1], 6);
    let y = x;
    for (let i = 0; i < 20; i++) y = y.mul(1.01).add(0.01); // 40 nodes: too many to repeat
    const { t: z } = await computed([4, 8], 7);
    const { labels } = await kernelsOf(() => z.add(y));
    expect(labels).toHaveLength(2);
  });
});

describe('reduction fusion', () => {
  it('takes the input expression as prologue and the ops on the result as epilogue', async () => {
    const { t: x, v: xv } = await computed([3, 5], 8);
    // the RMS norm's scale: rsqrt(mean(x²) + eps) in one kernel
    const { labels, values: got } = await kernelsOf(() =>
      x.mul(x).mean(-1, true).add(1e-6).rsqrt(),
    );
    expect(labels).toHaveLength(1);
    expect(labels[0]).toMatch(/sum/);
    const want = [0, 1, 2].map((r) => {
      const row = xv.slice(r * 5, r * 5 + 5);
      return 1 / Math.sqrt(row.reduce((a, v) => a + v * v, 0) / 5 + 1e-6);
    });
    expectNear(got, want);
  });

  it('softmax is three kernels: the maximum, the sum with its prologue, the quotient', async () => {
    const { t: x, v: xv } = await computed([4, 6], 9);
    const { labels, values: got } = await kernelsOf(() => x.softmax(-1));
    expect(labels).toHaveLength(3);
    const want = [0, 1, 2, 3].flatMap((r) => {
      const row = xv.slice(r * 6, r * 6 + 6);
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
    expectNear(got, want);
  });

  it('sums adjacent axes as one reduction, and a long row with a workgroup', async () => {
    const { t: x, v: xv } = await computed([3, 4, 2], 10);
    const cols = await kernelsOf(() => x.mul(3).sum([0, 1]));
    expect(cols.labels).toHaveLength(1);
    expectNear(
      cols.values,
      [0, 1].map((c) => xv.filter((_, i) => i % 2 === c).reduce((a, v) => a + 3 * v, 0)),
      4,
    );
    const { t: long, v: lv } = await computed([1000], 11);
    const whole = await kernelsOf(() => long.exp().sum().mul(0.5));
    // the long sum (with exp fused in) runs first; its epilogue is a second, tiny kernel
    expect(whole.labels).toHaveLength(2);
    expectNear(whole.values, [0.5 * lv.reduce((a, v) => a + Math.exp(v), 0)], 2);
  });

  it('gradients through broadcasts and reductions match the unfused arithmetic', async () => {
    const { t: x0, v: xv } = await computed([2, 3], 12);
    const { t: w0, v: wv } = await computed([3], 13);
    const x = x0.requireGrad();
    const w = w0.requireGrad();
    x.mul(w)
      .softmax(-1)
      .mul(T.tensor([1, 2, 3]))
      .sum()
      .backward();
    // reference: d/dz softmax(z)·c = s ⊙ (c − s·c)
    const gx: number[] = [];
    const gw = [0, 0, 0];
    for (let r = 0; r < 2; r++) {
      const z = [0, 1, 2].map((j) => xv[r * 3 + j]! * wv[j]!);
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const tot = e.reduce((a, b) => a + b, 0);
      const sm = e.map((v) => v / tot);
      const dot = sm.reduce((a, v, j) => a + v * (j + 1), 0);
      const gz = sm.map((v, j) => v * (j + 1 - dot));
      for (let j = 0; j < 3; j++) {
        gx.push(gz[j]! * wv[j]!);
        gw[j]! += gz[j]! * xv[r * 3 + j]!;
      }
    }
    expectNear([...(await x.grad!.data())], gx);
    expectNear([...(await w.grad!.data())], gw);
  });
});
