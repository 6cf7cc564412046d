import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { pendingKernel } from '../src/tensor.js';
import { useDefaultDevice } from './helpers.js';

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
    const { n, values } = await dispatchesOf(() =>
      // the stable BCE of the loss head: max(x, 0) − x·y + log(1 + exp(−|x|))
      x.maximum(0).sub(x.mul(y)).add(x.abs().neg().exp().add(1).log()),
    );
    expect(n).toBe(1);
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
