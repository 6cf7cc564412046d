import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { useDefaultDevice } from './helpers.js';

useDefaultDevice();

/** p -= lr · grad, in place: an optimiser-like update with a per-call learning rate. */
const SGD = `const WG: u32 = ${T.WORKGROUP_SIZE}u;
struct P { lr: f32, n: u32 }
@group(0) @binding(0) var<storage, read> p: P;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@compute @workgroup_size(${T.WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let i = ${T.LINEAR_INDEX_WGSL};
  if (i >= p.n) { return; }
  w[i] = w[i] - p.lr * g[i];
}`;

/** A tiny regression model and its SGD, with the learning rate as live state. */
function setUp(seed = 1) {
  const gen = new T.Generator(seed);
  const w = T.randn(gen, [4, 3], { std: 0.5 }).requireGrad().keep();
  const b = T.zeros([3]).requireGrad().keep();
  const params = [w, b];
  const opt = { lr: 0.1 };
  const step = (x: T.Tensor, y: T.Tensor) =>
    T.tidy(() => {
      const h = x.matmul(w).add(b).tanh();
      const loss = h.sub(y).square().mean();
      loss.backward();
      for (const p of params) {
        T.customOp({
          name: 'sgd',
          code: SGD,
          params: () => [opt.lr, { u32: p.size }],
          inputs: [p.grad!],
          updates: [p],
          threads: p.size,
        });
      }
      T.zeroGrad(params);
      return { loss: loss.detach(), h: h.detach() };
    });
  return { params, opt, step, dispose: () => T.dispose(params) };
}

function batch(gen: T.Generator, rows: number): [T.Tensor, T.Tensor] {
  return [T.randn(gen, [rows, 4]), T.randn(gen, [rows, 3])];
}

async function run(compiled: boolean, rows: readonly number[]) {
  const model = setUp();
  const compiledStep = compiled ? T.compile(model.step) : null;
  const fn = compiledStep ?? model.step;
  const gen = new T.Generator(7);
  const losses: number[] = [];
  for (const [i, r] of rows.entries()) {
    model.opt.lr = 0.1 / (1 + i);
    const [x, y] = batch(gen, r);
    const out = fn(x, y);
    losses.push(await out.loss.item());
    out.loss.dispose();
    out.h.dispose();
    x.dispose();
    y.dispose();
  }
  const weights = await Promise.all(model.params.map((p) => p.data()));
  model.dispose();
  return { losses, weights, stats: compiledStep?.stats ?? null };
}

describe('compile', () => {
  it('replays a step with backward and an in-place update bit for bit as eager', async () => {
    const eager = await run(false, [5, 5, 5, 5, 5, 5]);
    const compiled = await run(true, [5, 5, 5, 5, 5, 5]);
    expect(compiled.stats).toEqual({ eager: 1, traces: 1, replays: 4 });
    expect(compiled.losses).toEqual(eager.losses);
    expect(compiled.weights).toEqual(eager.weights);
  });

  it('traces again when the input shapes change, and replays each signature', async () => {
    const rows = [5, 5, 7, 7, 5, 7, 5];
    const eager = await run(false, rows);
    const compiled = await run(true, rows);
    expect(compiled.stats).toEqual({ eager: 2, traces: 2, replays: 3 });
    expect(compiled.losses).toEqual(eager.losses);
    expect(compiled.weights).toEqual(eager.weights);
  });

  it('falls back to eager for good when the step reads to the host in the middle', async () => {
    const x = T.tensor([1, 2, 3]);
    let reads = 0;
    const fn = T.compile(
      (a: T.Tensor) => {
        const s = a.mul(2).sum();
        void s.data().then(() => reads++);
        return s.add(1);
      },
      { warmup: 0 },
    );
    for (let i = 0; i < 3; i++) expect(await fn(x).item()).toBe(13);
    expect(fn.fallbackReason).toMatch(/reads a tensor back to the host/);
    expect(fn.stats).toEqual({ eager: 2, traces: 1, replays: 0 });
    expect(reads).toBe(3);
  });

  it('detects host data uploaded, escaping tensors and per-call values given as an array', () => {
    const x = T.tensor([1, 2, 3]);
    const upload = T.compile((a: T.Tensor) => a.add(T.tensor([1, 1, 1])), { warmup: 0 });
    upload(x).dispose();
    expect(upload.fallbackReason).toMatch(/uploads host data/);
    const kept: T.Tensor[] = [];
    const escaping = T.compile(
      (a: T.Tensor) => {
        kept.push(a.mul(3).keep());
        return a.add(1);
      },
      { warmup: 0 },
    );
    escaping(x).dispose();
    expect(escaping.fallbackReason).toMatch(/outlives it/);
    const y = T.zeros([3]).keep();
    const baked = T.compile(
      (a: T.Tensor) => {
        T.customOp({
          name: 'sgd',
          code: SGD,
          params: [0.5, { u32: 3 }],
          varyingParams: true,
          inputs: [a],
          updates: [y],
          threads: 3,
        });
      },
      { warmup: 0 },
    );
    baked(x);
    expect(baked.fallbackReason).toMatch(/params as a function/);
    for (const t of [x, y, ...kept]) t.dispose();
  });

  it('overwrites the outputs of a replay at the next call, and traces again after weights are replaced', async () => {
    let w = T.tensor([1, 2, 3]).keep();
    const fn = T.compile((a: T.Tensor) => a.mul(w), { warmup: 0 });
    const first = fn(T.tensor([1, 1, 1]));
    const second = fn(T.tensor([2, 2, 2]));
    expect(Array.from(await second.data())).toEqual([2, 4, 6]);
    const third = fn(T.tensor([3, 3, 3]));
    expect(Array.from(await second.data())).toEqual([3, 6, 9]); // the same buffer as `third`
    expect(Array.from(await first.data())).toEqual([3, 6, 9]); // the traced call's too
    w.dispose();
    w = T.tensor([10, 20, 30]).keep();
    expect(Array.from(await fn(T.tensor([1, 1, 1])).data())).toEqual([10, 20, 30]);
    expect(fn.stats).toEqual({ eager: 0, traces: 2, replays: 2 });
    for (const t of [first, second, third, w]) t.dispose();
    fn.dispose();
  });

  it('traces apart for another function or object among the arguments', async () => {
    const fn = T.compile((a: T.Tensor, f: (t: T.Tensor) => T.Tensor) => f(a), { warmup: 0 });
    const x = T.tensor([1, 2, 3]);
    const double = (t: T.Tensor) => t.mul(2);
    const square = (t: T.Tensor) => t.square();
    expect(Array.from(await fn(x, double).data())).toEqual([2, 4, 6]);
    expect(Array.from(await fn(x, square).data())).toEqual([1, 4, 9]);
    expect(Array.from(await fn(x, double).data())).toEqual([2, 4, 6]);
    expect(fn.stats).toEqual({ eager: 0, traces: 2, replays: 1 });
    fn.dispose();
    x.dispose();
  });

  it('computes a lazy tensor from before the step once, outside what a replay repeats', async () => {
    const base = T.tensor([1, 2, 3]).keep();
    const lazy = base.mul(2).keep(); // pending: computed by the first kernel that reads it
    const fn = T.compile((a: T.Tensor) => a.add(lazy), { warmup: 0 });
    expect(Array.from(await fn(T.tensor([1, 1, 1])).data())).toEqual([3, 5, 7]);
    base.assign([10, 20, 30]); // eagerly, lazy was computed already and keeps 2, 4, 6
    expect(Array.from(await fn(T.tensor([1, 1, 1])).data())).toEqual([3, 5, 7]);
    expect(fn.stats).toEqual({ eager: 0, traces: 1, replays: 1 });
    fn.dispose();
    T.dispose([base, lazy]);
  });

  it('advances the random generator at every replay, drawing what eager calls draw', async () => {
    const draw = (gen: T.Generator) => (x: T.Tensor) =>
      T.tidy(() => x.add(T.rand(gen, [10])).mul(T.rand(gen, [3, 3]).sum()));
    const x = T.ones([10]);
    const results = async (fn: (x: T.Tensor) => T.Tensor) => {
      const out: Float32Array[] = [];
      for (let i = 0; i < 5; i++) out.push((await fn(x).data()) as Float32Array);
      return out;
    };
    const eagerGen = new T.Generator(11);
    const compiledGen = new T.Generator(11);
    const fn = T.compile(draw(compiledGen));
    const want = await results(draw(eagerGen));
    const got = await results(fn);
    expect(fn.stats).toEqual({ eager: 1, traces: 1, replays: 3 });
    expect(got).toEqual(want);
    expect(new Set(got.map((v) => v[0])).size).toBe(5);
    expect(compiledGen.state).toEqual(eagerGen.state);
    fn.dispose();
    x.dispose();
  });

  it('runs 1,000 compiled training steps in flat memory', async () => {
    const model = setUp();
    const fn = T.compile(model.step);
    const gen = new T.Generator(3);
    const [x, y] = batch(gen, 8);
    const sample = () => {
      const m = T.memoryStats();
      return [m.liveBytes, m.liveBuffers, m.pooledBytes, m.capturedBytes];
    };
    let after10: number[] = [];
    for (let i = 0; i < 1000; i++) {
      model.opt.lr = 0.01;
      const out = fn(x, y);
      out.loss.dispose();
      out.h.dispose();
      if (i === 9) {
        await T.getDefaultDevice().sync();
        after10 = sample();
      }
    }
    await T.getDefaultDevice().sync();
    expect(sample()).toEqual(after10);
    expect(fn.stats).toEqual({ eager: 1, traces: 1, replays: 998 });
    fn.dispose();
    model.dispose();
    x.dispose();
    y.dispose();
  }, 120_000);
});
