import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { bufferOf } from '../src/tensor.js';
import { expectClose, toTensor, useDefaultDevice } from './helpers.js';
import * as R from './reference/nd.js';
import { rng, uniforms } from './reference/random.js';

useDefaultDevice();

const next = rng(1234);
const rand = (shape: number[], lo = -2, hi = 2) =>
  R.nd(shape, uniforms(next, R.size(shape), lo, hi));
/** Integer-valued floats in [lo, hi], so comparisons see many ties. */
const randInt = (shape: number[], lo = -3, hi = 3) =>
  R.nd(
    shape,
    Array.from({ length: R.size(shape) }, () => lo + Math.floor(next() * (hi - lo + 1))),
  );

const f32 = Math.fround;

describe('creation', () => {
  it('zeros/ones/full/arange/tensor', async () => {
    expect(await T.zeros([2, 3]).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(await T.ones([2], { dtype: 'i32' }).data()).toEqual(Int32Array.of(1, 1));
    expect(await T.full([3], true).toArray()).toEqual([true, true, true]);
    expect(await T.full([2, 1], 2.5).toArray()).toEqual([[2.5], [2.5]]);
    expect(await T.arange(2, 7).data()).toEqual(Int32Array.of(2, 3, 4, 5, 6));
    expect(await T.arange(0, 1, 0.25).data()).toEqual(Float32Array.of(0, 0.25, 0.5, 0.75));
    expect(await T.arange(5, 0, -2).data()).toEqual(Int32Array.of(5, 3, 1));
    expect(await T.arange(3, { dtype: 'f32' }).data()).toEqual(Float32Array.of(0, 1, 2));
    expect(await T.arange(1, 3, { dtype: 'f32' }).data()).toEqual(Float32Array.of(1, 2));
    const nested = T.tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(nested.shape).toEqual([3, 2]);
    expect(await nested.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(await T.tensor([true, false]).data()).toEqual(Uint8Array.of(1, 0));
    expect(await T.tensor(Int32Array.of(1, -2, 3, 4), { shape: [2, 2] }).toArray()).toEqual([
      [1, -2],
      [3, 4],
    ]);
    expect(await T.tensor(7).item()).toBe(7);
    expect(T.zeros([0, 3]).size).toBe(0);
    expect(await T.zeros([0, 3]).data()).toEqual(new Float32Array(0));
  });
});

const UNARY: [string, (t: T.Tensor) => T.Tensor, (x: number) => number, [number, number]?][] = [
  ['neg', (t) => t.neg(), (x) => -x],
  ['exp', (t) => t.exp(), Math.exp],
  ['log', (t) => t.log(), Math.log, [0.05, 5]],
  ['sqrt', (t) => t.sqrt(), Math.sqrt, [0, 5]],
  ['rsqrt', (t) => t.rsqrt(), (x) => 1 / Math.sqrt(x), [0.05, 5]],
  ['square', (t) => t.square(), (x) => x * x],
  ['abs', (t) => t.abs(), Math.abs],
  ['sign', (t) => t.sign(), Math.sign],
  ['sigmoid', (t) => t.sigmoid(), (x) => 1 / (1 + Math.exp(-x))],
  ['silu', (t) => t.silu(), (x) => x / (1 + Math.exp(-x))],
  ['tanh', (t) => t.tanh(), Math.tanh],
  ['relu', (t) => t.relu(), (x) => Math.max(x, 0)],
  ['sin', (t) => t.sin(), Math.sin],
  ['cos', (t) => t.cos(), Math.cos],
  ['reciprocal', (t) => t.reciprocal(), (x) => 1 / x, [0.1, 3]],
  ['pow(2.5)', (t) => t.pow(2.5), (x) => x ** 2.5, [0, 3]],
  ['pow(-1.5)', (t) => t.pow(-1.5), (x) => x ** -1.5, [0.1, 3]],
  ['add(2.5)', (t) => t.add(2.5), (x) => x + 2.5],
  ['sub(1.5)', (t) => t.sub(1.5), (x) => x - 1.5],
  ['rsub', (t) => T.sub(1.5, t), (x) => 1.5 - x],
  ['mul(-3)', (t) => t.mul(-3), (x) => x * -3],
  ['div(7)', (t) => t.div(7), (x) => x / 7],
  ['rdiv', (t) => T.div(2, t), (x) => 2 / x, [0.1, 3]],
  ['maximum(0.5)', (t) => t.maximum(0.5), (x) => Math.max(x, 0.5)],
  ['minimum(0.5)', (t) => t.minimum(0.5), (x) => Math.min(x, 0.5)],
];

describe('unary ops match the CPU reference', () => {
  for (const [name, gpu, cpu, range] of UNARY) {
    it(name, async () => {
      // 3·257 is not a multiple of the workgroup (256); a size-1 dim in the middle.
      const x = rand([3, 1, 257], range?.[0], range?.[1]);
      await expectClose(gpu(toTensor(x)), R.map(x, cpu), 2e-6, 2e-6);
    });
  }

  it('i32 neg/abs/sign/square and scalar arithmetic', async () => {
    const x = randInt([5, 3], -9, 9);
    const t = T.tensor(Int32Array.from(x.data), { shape: x.shape });
    for (const [gpu, cpu] of [
      [t.neg(), (v: number) => -v],
      [t.abs(), Math.abs],
      [t.sign(), Math.sign],
      [t.square(), (v: number) => v * v],
      [t.add(3), (v: number) => v + 3],
      [t.mul(-2), (v: number) => v * -2],
      [t.div(2), (v: number) => Math.trunc(v / 2)],
    ] as const) {
      expect(gpu.dtype).toBe('i32');
      expect(Array.from(await gpu.data())).toEqual(Array.from(x.data, cpu).map((v) => v + 0));
    }
  });
});

const BROADCAST_SHAPES: [number[], number[]][] = [
  [
    [3, 1, 5],
    [4, 1],
  ],
  [[1], [7, 300]],
  [
    [2, 3, 4],
    [2, 3, 4],
  ],
  [[], [5]],
  [
    [5, 1],
    [1, 6],
  ],
  [
    [2, 1, 3, 1],
    [1, 4, 1, 2],
  ],
];

const BINARY: [
  string,
  (a: T.Tensor, b: T.Tensor) => T.Tensor,
  (a: number, b: number) => number,
  [number, number]?,
][] = [
  ['add', T.add, (a, b) => a + b],
  ['sub', T.sub, (a, b) => a - b],
  ['mul', T.mul, (a, b) => a * b],
  ['div', T.div, (a, b) => a / b, [0.5, 3]],
  ['maximum', T.maximum, Math.max],
  ['minimum', T.minimum, Math.min],
  ['atan2', T.atan2, Math.atan2],
  ['pow', T.pow, (a, b) => a ** b, [0.2, 2]],
];

describe('binary ops broadcast like NumPy', () => {
  for (const [name, gpu, cpu, range] of BINARY) {
    it(name, async () => {
      for (const [sa, sb] of BROADCAST_SHAPES) {
        const a = rand(sa, range?.[0], range?.[1]);
        const b = rand(sb, range?.[0], range?.[1]);
        await expectClose(gpu(toTensor(a), toTensor(b)), R.mapN([a, b], cpu), 3e-6, 3e-6);
        await expectClose(gpu(toTensor(b), toTensor(a)), R.mapN([b, a], cpu), 3e-6, 3e-6);
      }
    });
  }

  it('flat kernels: vec4 and scalar lengths, broadcast scalars, i32', async () => {
    for (const n of [1, 3, 4, 8, 1023, 1024]) {
      const a = rand([n]);
      const b = rand([n], 0.5, 3);
      const s = rand([1], 0.5, 3);
      await expectClose(
        T.add(toTensor(a), toTensor(b)),
        R.mapN([a, b], (x, y) => x + y),
      );
      await expectClose(
        T.div(toTensor(a), toTensor(s)),
        R.mapN([a, s], (x, y) => x / y),
      );
      await expectClose(T.maximum(toTensor(s), toTensor(a)), R.mapN([s, a], Math.max));
      const i = randInt([n], -9, 9);
      const j = randInt([n], 1, 4);
      const q = T.div(toTensor(i).cast('i32'), toTensor(j).cast('i32'));
      expect(q.dtype).toBe('i32');
      expect([...(await q.data())]).toEqual(
        Array.from(i.data, (x, k) => Math.trunc(x / j.data[k]!) + 0),
      );
    }
  });

  it('comparisons (f32 and i32) give bool', async () => {
    const cmp: [keyof T.Tensor & string, (a: number, b: number) => boolean][] = [
      ['eq', (a, b) => a === b],
      ['ne', (a, b) => a !== b],
      ['lt', (a, b) => a < b],
      ['le', (a, b) => a <= b],
      ['gt', (a, b) => a > b],
      ['ge', (a, b) => a >= b],
    ];
    for (const [sa, sb] of BROADCAST_SHAPES) {
      const a = randInt(sa);
      const b = randInt(sb);
      for (const dtype of ['f32', 'i32'] as const) {
        const ta = T.tensor(Float32Array.from(a.data), { shape: a.shape, dtype });
        const tb = T.tensor(Float32Array.from(b.data), { shape: b.shape, dtype });
        for (const [name, f] of cmp) {
          const out = (ta[name] as (o: T.Tensor) => T.Tensor)(tb);
          expect(out.dtype).toBe('bool');
          await expectClose(
            out,
            R.mapN([a, b], (x, y) => (f(x, y) ? 1 : 0)),
            0,
            0,
          );
        }
      }
    }
    expect(await T.tensor([1, 2, 3]).ge(2).toArray()).toEqual([false, true, true]);
  });

  it('logical ops and where', async () => {
    const a = randInt([4, 1], 0, 1);
    const b = randInt([1, 5], 0, 1);
    const ta = T.tensor(Float32Array.from(a.data), { shape: a.shape, dtype: 'bool' });
    const tb = T.tensor(Float32Array.from(b.data), { shape: b.shape, dtype: 'bool' });
    await expectClose(
      ta.logicalAnd(tb),
      R.mapN([a, b], (x, y) => x && y),
      0,
      0,
    );
    await expectClose(
      ta.logicalOr(tb),
      R.mapN([a, b], (x, y) => (x || y ? 1 : 0)),
      0,
      0,
    );
    await expectClose(
      ta.logicalXor(tb),
      R.mapN([a, b], (x, y) => (x !== y ? 1 : 0)),
      0,
      0,
    );
    await expectClose(
      ta.logicalNot(),
      R.map(a, (x) => 1 - x),
      0,
      0,
    );
    const x = rand([1, 5]);
    const y = rand([3, 1, 1]);
    await expectClose(
      T.where(ta, toTensor(x), toTensor(y)),
      R.mapN([a, x, y], (c, u, v) => (c ? u : v)),
      0,
      0,
    );
    await expectClose(
      T.where(ta, toTensor(x), 0),
      R.mapN([a, x], (c, u) => (c ? u : 0)),
      0,
      0,
    );
  });

  it('folds a broadcast over more than 65,535 workgroups into a 2-D grid', async () => {
    const n = 256 * 65_535 + 300;
    const big = T.arange(n, undefined, 1, { dtype: 'f32' });
    const out = T.add(big, T.tensor([0.5]));
    const data = (await out.data()) as Float32Array;
    for (const i of [0, 1, 255, 256, 65_535 * 256 - 1, 65_535 * 256, n - 1]) {
      expect(data[i]).toBe(f32(f32(i) + 0.5));
    }
    big.dispose();
    out.dispose();
  });
});

describe('reductions', () => {
  it('sum/mean/max/min/argmax/argmin along every axis, with keepdim, rows longer than a workgroup', async () => {
    const x = rand([3, 70, 5]);
    const t = toTensor(x);
    for (const axis of [0, 1, 2, -1]) {
      const a = axis < 0 ? axis + 3 : axis;
      for (const keepdim of [false, true]) {
        await expectClose(t.sum(axis, keepdim), R.reduce(x, a, R.rowSum, keepdim), 1e-5, 1e-5);
        await expectClose(t.mean(axis, keepdim), R.reduce(x, a, R.rowMean, keepdim), 1e-5, 1e-6);
        await expectClose(t.max(axis, keepdim), R.reduce(x, a, R.rowMax, keepdim), 0, 0);
        await expectClose(
          t.min(axis, keepdim),
          R.reduce(x, a, (r) => Math.min(...r), keepdim),
          0,
          0,
        );
        await expectClose(t.argmax(axis, keepdim), R.reduce(x, a, R.rowArgmax, keepdim), 0, 0);
        await expectClose(
          t.argmin(axis, keepdim),
          R.reduce(x, a, (r) => r.indexOf(Math.min(...r)), keepdim),
          0,
          0,
        );
      }
    }
  });

  it('long rows, all axes, several axes, ties and i32', async () => {
    const x = rand([2, 1000]);
    const t = toTensor(x);
    await expectClose(t.sum(1), R.reduce(x, 1, R.rowSum, false), 1e-5, 1e-4);
    await expectClose(t.max(1), R.reduce(x, 1, R.rowMax, false), 0, 0);
    expect(await t.sum().item()).toBeCloseTo(R.sumAll(x), 3);
    expect(t.sum().shape).toEqual([]);
    expect(t.sum(undefined, true).shape).toEqual([1, 1]);
    expect(await t.mean().item()).toBeCloseTo(R.sumAll(x) / 2000, 5);
    const flatArgmax = Array.from(x.data).indexOf(Math.max(...x.data));
    expect(await t.argmax().item()).toBe(flatArgmax);
    expect(await t.max().item()).toBe(f32(Math.max(...x.data)));
    const y = rand([2, 3, 4]);
    await expectClose(
      toTensor(y).sum([0, 2], true),
      R.reduce(R.reduce(y, 0, R.rowSum, true), 2, R.rowSum, true),
      1e-5,
      1e-5,
    );
    const ties = T.tensor([
      [1, 3, 3, 0],
      [2, 2, 2, 2],
    ]);
    expect(await ties.argmax(1).toArray()).toEqual([1, 0]);
    const ints = T.tensor(Int32Array.of(5, -7, 9, 100, 3, 3), { shape: [2, 3] });
    expect(await ints.sum(1).data()).toEqual(Int32Array.of(7, 106));
    expect(await ints.max(0).data()).toEqual(Int32Array.of(100, 3, 9));
  });
});

describe('grids folded into 2-D', () => {
  it('reductions and softmax with more than 65,535 rows (one workgroup per row)', async () => {
    const x = rand([70_000, 3]);
    const t = toTensor(x);
    await expectClose(t.sum(1), R.reduce(x, 1, R.rowSum, false), 1e-6, 1e-6);
    await expectClose(t.argmax(1), R.reduce(x, 1, R.rowArgmax, false), 0, 0);
    await expectClose(t.softmax(1), R.softmax(x, 1), 1e-5, 1e-6);
  });
});

describe('matmul', () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[2, 1, 5, 7], [3, 7, 4], false, false],
    [[1, 6, 4], [2, 3, 6, 5], true, false],
    [[3, 1, 6, 4], [1, 2, 5, 6], true, true],
    [[2, 3, 5, 7], [7, 4], false, false],
    [[1, 1], [1, 1], false, false],
    // bigger than a workgroup (and than any tile) in m, n and k
    [[70, 300], [300, 90], false, false],
    [[300, 70], [90, 300], true, true],
  ];
  for (const [sa, sb, transA, transB] of cases) {
    it(`[${sa}]${transA ? 'ᵀ' : ''} · [${sb}]${transB ? 'ᵀ' : ''}`, async () => {
      const a = rand(sa);
      const b = rand(sb);
      const got = T.matmul(toTensor(a), toTensor(b), { transA, transB });
      await expectClose(got, R.matmul(a, b, transA, transB), 1e-5, 1e-4);
    });
  }

  it('empty inner or outer dimensions', async () => {
    expect(await T.matmul(T.zeros([2, 0]), T.zeros([0, 3])).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(T.matmul(T.zeros([0, 3]), T.zeros([3, 2])).shape).toEqual([0, 2]);
  });

  it('1-D operands are vectors', async () => {
    const a = rand([4]);
    const m = rand([4, 3]);
    const got = T.matmul(toTensor(a), toTensor(m));
    const want = R.matmul(R.nd([1, 4], a.data), m);
    await expectClose(got, { shape: [3], data: want.data }, 1e-5, 1e-5);
    const v = rand([3]);
    const mv = T.matmul(toTensor(m), toTensor(v));
    await expectClose(mv, { shape: [4], data: R.matmul(m, R.nd([3, 1], v.data)).data }, 1e-5, 1e-5);
  });
});

describe('softmax', () => {
  it('softmax and logSoftmax along any axis, stable for large inputs', async () => {
    for (const [shape, axis] of [
      [[4, 300], 1],
      [[7, 3], 0],
      [[2, 3, 5], 1],
      [[2, 1, 9], -1],
    ] as [number[], number][]) {
      const x = rand(shape, -5, 5);
      const a = axis < 0 ? axis + shape.length : axis;
      await expectClose(toTensor(x).softmax(axis), R.softmax(x, a), 1e-5, 1e-6);
      await expectClose(toTensor(x).logSoftmax(axis), R.softmax(x, a, true), 1e-5, 1e-5);
    }
    const big = R.map(rand([3, 10]), (v) => f32(v * 100));
    await expectClose(toTensor(big).softmax(), R.softmax(big, 1), 1e-5, 1e-6);
    await expectClose(toTensor(big).logSoftmax(), R.softmax(big, 1, true), 1e-5, 1e-4);
  });
});

describe('layout ops', () => {
  it('transpose and permute', async () => {
    const x = rand([2, 3, 4, 5]);
    const t = toTensor(x);
    await expectClose(t.transpose(), R.permute(x, [0, 1, 3, 2]), 0, 0);
    await expectClose(t.transpose(0, 2), R.permute(x, [2, 1, 0, 3]), 0, 0);
    await expectClose(t.permute(3, 1, 0, 2), R.permute(x, [3, 1, 0, 2]), 0, 0);
    const big = rand([70, 300]);
    await expectClose(toTensor(big).transpose(), R.permute(big, [1, 0]), 0, 0);
  });

  it('reshape is a view; squeeze/unsqueeze/flatten', async () => {
    const x = rand([2, 6]);
    const t = toTensor(x);
    const r = t.reshape([3, -1]);
    expect(r.shape).toEqual([3, 4]);
    expect(bufferOf(r)).toBe(bufferOf(t));
    await expectClose(r, { shape: [3, 4], data: x.data }, 0, 0);
    expect(t.unsqueeze(1).shape).toEqual([2, 1, 6]);
    expect(t.unsqueeze(-1).shape).toEqual([2, 6, 1]);
    expect(t.unsqueeze(0).squeeze().shape).toEqual([2, 6]);
    expect(t.flatten().shape).toEqual([12]);
  });

  it('slice / narrow / split / chunk', async () => {
    const x = rand([5, 7, 3]);
    const t = toTensor(x);
    await expectClose(
      t.slice([[1, 4], null, [-2]]),
      R.slice(x, [
        [1, 4],
        [0, 7],
        [1, 3],
      ]),
      0,
      0,
    );
    await expectClose(
      t.slice([null, [2, -1]]),
      R.slice(x, [
        [0, 5],
        [2, 6],
        [0, 3],
      ]),
      0,
      0,
    );
    await expectClose(
      t.narrow(1, 3, 2),
      R.slice(x, [
        [0, 5],
        [3, 5],
        [0, 3],
      ]),
      0,
      0,
    );
    const parts = t.split([2, 5], 1);
    await expectClose(
      parts[0]!,
      R.slice(x, [
        [0, 5],
        [0, 2],
        [0, 3],
      ]),
      0,
      0,
    );
    await expectClose(
      parts[1]!,
      R.slice(x, [
        [0, 5],
        [2, 7],
        [0, 3],
      ]),
      0,
      0,
    );
    const chunks = t.chunk(3, 1);
    expect(chunks.map((c) => c.shape[1])).toEqual([3, 3, 1]);
    await expectClose(
      chunks[2]!,
      R.slice(x, [
        [0, 5],
        [6, 7],
        [0, 3],
      ]),
      0,
      0,
    );
    expect(t.split(2).map((c) => c.shape[0])).toEqual([2, 2, 1]);
  });

  it('pad, concat, stack, broadcastTo', async () => {
    const x = rand([3, 4]);
    const t = toTensor(x);
    await expectClose(
      t.pad(
        [
          [1, 2],
          [0, 3],
        ],
        -1,
      ),
      R.pad(
        x,
        [
          [1, 2],
          [0, 3],
        ],
        -1,
      ),
      0,
      0,
    );
    await expectClose(t.pad([[0, 1]]), R.pad(x, [[0, 1]], 0), 0, 0);
    const y = rand([3, 2]);
    const z = rand([3, 1]);
    await expectClose(T.concat([t, toTensor(y), toTensor(z)], 1), R.concat([x, y, z], 1), 0, 0);
    await expectClose(T.concat([t, t], 0), R.concat([x, x], 0), 0, 0);
    const s = T.stack([t, t, t], 1);
    expect(s.shape).toEqual([3, 3, 4]);
    await expectClose(
      s,
      R.concat(
        [x, x, x].map((v) => ({ shape: [3, 1, 4], data: v.data })),
        1,
      ),
      0,
      0,
    );
    await expectClose(toTensor(z).broadcastTo([2, 3, 5]), R.broadcastTo(z, [2, 3, 5]), 0, 0);
    const ints = T.tensor(Int32Array.of(1, 2, 3, 4), { shape: [2, 2] });
    expect(await T.concat([ints, ints], 1).data()).toEqual(Int32Array.of(1, 2, 1, 2, 3, 4, 3, 4));
  });
});

describe('indexing', () => {
  it('gather rows for ids of any shape; scatter-add rows with repeats and out-of-range ids', async () => {
    const table = rand([10, 3]);
    const ids = [3, 0, 9, 3, 3, 7, -1, 10];
    const idsT = T.tensor(Int32Array.from(ids), { shape: [2, 4] });
    const got = toTensor(table).gather(idsT);
    expect(got.shape).toEqual([2, 4, 3]);
    await expectClose(got, R.gatherRows(table, ids, [2, 4]), 0, 0);
    const rows = rand([2, 4, 3]);
    await expectClose(
      T.scatterAddRows(idsT, toTensor(rows), 10),
      R.scatterAddRows(ids, rows, 10),
      1e-6,
      1e-6,
    );
    // a table wider than a workgroup, many ids
    const wide = rand([20, 300]);
    const manyIds = Array.from({ length: 50 }, (_, i) => (i * 7) % 20);
    const manyT = T.tensor(Int32Array.from(manyIds));
    await expectClose(toTensor(wide).gather(manyT), R.gatherRows(wide, manyIds, [50]), 0, 0);
    const manyRows = rand([50, 300]);
    await expectClose(
      T.scatterAddRows(manyT, toTensor(manyRows), 20),
      R.scatterAddRows(manyIds, manyRows, 20),
      1e-5,
      1e-5,
    );
  });

  it('scatter-add sums repeated ids in index order (bit-reproducible) across many chunks', async () => {
    // 70,000 ids > 256 chunks of 256: exercises the chunked two-pass path with uneven chunks.
    const count = 70_000;
    const ids = Int32Array.from({ length: count }, (_, i) => (i * 2654435761) % 11);
    const rows = Float32Array.from(
      { length: count * 2 },
      (_, i) => Math.sin(i) * 10 ** ((i % 7) - 3),
    );
    const run = async () =>
      T.scatterAddRows(T.tensor(ids), T.tensor(rows, { shape: [count, 2] }), 11).data();
    const first = await run();
    expect(await run()).toEqual(first);
    // Same order as the kernel: per chunk in index order (f32), then chunks in order (f32).
    const chunk = Math.max(256, Math.ceil(count / 256));
    const expected = new Float32Array(22);
    for (let start = 0; start < count; start += chunk) {
      const partial = new Float32Array(22);
      for (let i = start; i < Math.min(start + chunk, count); i++) {
        for (let c = 0; c < 2; c++)
          partial[ids[i]! * 2 + c] = Math.fround(partial[ids[i]! * 2 + c]! + rows[i * 2 + c]!);
      }
      for (let j = 0; j < 22; j++) expected[j] = Math.fround(expected[j]! + partial[j]!);
    }
    expect(first).toEqual(expected);
  });

  it('scatter-add into a table of more than 1,024 rows (atomic path)', async () => {
    const ids = [5, 2000, 5, 1999];
    const rows = rand([4, 3]);
    await expectClose(
      T.scatterAddRows(T.tensor(Int32Array.from(ids)), toTensor(rows), 2001),
      R.scatterAddRows(ids, rows, 2001),
      1e-6,
      1e-6,
    );
  });
});

describe('cast', () => {
  it('between f32, i32 and bool', async () => {
    const f = T.tensor([-2.7, -0.5, 0, 0.5, 3.9]);
    expect(await f.cast('i32').data()).toEqual(Int32Array.of(-2, 0, 0, 0, 3));
    expect(await f.cast('bool').data()).toEqual(Uint8Array.of(1, 1, 0, 1, 1));
    const i = T.tensor(Int32Array.of(-3, 0, 7));
    expect(await i.cast('f32').data()).toEqual(Float32Array.of(-3, 0, 7));
    expect(await i.cast('bool').cast('f32').data()).toEqual(Float32Array.of(1, 0, 1));
    expect(await T.tensor([true, false]).cast('i32').data()).toEqual(Int32Array.of(1, 0));
  });
});

describe('in-place updates and custom kernels', () => {
  it('assign copies values in stream order', async () => {
    const a = T.tensor([1, 2, 3]);
    const before = a.mul(2);
    a.assign(T.tensor([7, 8, 9]));
    expect(await before.toArray()).toEqual([2, 4, 6]);
    expect(await a.toArray()).toEqual([7, 8, 9]);
  });

  it('runs a custom WGSL kernel over tensors (the README example)', async () => {
    const y = T.tensor([1, 2, 3, 4, 5]);
    const x = T.tensor([10, 20, 30, 40, 50]);
    const code = `
      @group(0) @binding(0) var<storage, read> p: array<f32>;
      @group(0) @binding(1) var<storage, read> x: array<f32>;
      @group(0) @binding(2) var<storage, read_write> y: array<f32>;
      @compute @workgroup_size(256) fn main(@builtin(global_invocation_id) id: vec3u) {
        if (id.x < arrayLength(&y)) { y[id.x] += p[0] * x[id.x]; }
      }`;
    const none = T.customOp({
      name: 'axpy',
      code,
      params: [0.5],
      inputs: [x],
      updates: [y],
      threads: y.size,
    });
    expect(none).toEqual([]);
    expect(await y.toArray()).toEqual([6, 12, 18, 24, 30]);
  });
});

describe('execution model', () => {
  it('a long chain of ops spans several parameter arenas and automatic submits', async () => {
    let x = T.zeros([5]);
    const first = x;
    for (let i = 0; i < 1500; i++) {
      const next = x.add(1);
      if (x !== first) x.dispose();
      x = next;
    }
    expect(await x.toArray()).toEqual([1500, 1500, 1500, 1500, 1500]);
  });
});
