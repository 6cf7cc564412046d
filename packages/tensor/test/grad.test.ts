/**
 * Every differentiable op's gradient, checked against central finite differences of the f64
 * CPU reference. For an op `y = f(x₁, …)` we take the scalar `L = Σ w ⊙ f(x₁, …)` with random
 * weights `w`, run `L.backward()` on the GPU, and compare each `xᵢ.grad` with
 * `(L(x + h·eⱼ) − L(x − h·eⱼ)) / 2h` computed entirely in f64 on the CPU.
 */
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { bufferOf } from '../src/tensor.js';
import { gradChecker } from './grad-check.js';
import { toTensor, useDefaultDevice } from './helpers.js';
import * as R from './reference/nd.js';
import { rng, uniforms } from './reference/random.js';

useDefaultDevice();

const next = rng(99);
const rand = (shape: number[], lo = -2, hi = 2) =>
  R.nd(shape, uniforms(next, R.size(shape), lo, hi));

const checkGrad = gradChecker(rand);

const unaryCases: [string, (t: T.Tensor) => T.Tensor, (x: number) => number, [number, number]?][] =
  [
    ['neg', (t) => t.neg(), (x) => -x],
    ['exp', (t) => t.exp(), Math.exp],
    ['log', (t) => t.log(), Math.log, [0.2, 3]],
    ['sqrt', (t) => t.sqrt(), Math.sqrt, [0.2, 3]],
    ['rsqrt', (t) => t.rsqrt(), (x) => 1 / Math.sqrt(x), [0.2, 3]],
    ['square', (t) => t.square(), (x) => x * x],
    ['abs', (t) => t.abs(), Math.abs],
    ['sign', (t) => t.sign(), Math.sign],
    ['sigmoid', (t) => t.sigmoid(), (x) => 1 / (1 + Math.exp(-x))],
    ['silu', (t) => t.silu(), (x) => x / (1 + Math.exp(-x))],
    ['tanh', (t) => t.tanh(), Math.tanh],
    ['relu', (t) => t.relu(), (x) => Math.max(0, x)],
    ['sin', (t) => t.sin(), Math.sin],
    ['cos', (t) => t.cos(), Math.cos],
    ['reciprocal', (t) => t.reciprocal(), (x) => 1 / x, [0.3, 3]],
    ['pow(3)', (t) => t.pow(3), (x) => x ** 3],
    ['pow(2)', (t) => t.pow(2), (x) => x ** 2],
    ['pow(-0.5)', (t) => t.pow(-0.5), (x) => x ** -0.5, [0.3, 3]],
    ['add(2)', (t) => t.add(2), (x) => x + 2],
    ['sub(2)', (t) => t.sub(2), (x) => x - 2],
    ['2 - x', (t) => T.sub(2, t), (x) => 2 - x],
    ['mul(3)', (t) => t.mul(3), (x) => 3 * x],
    ['div(3)', (t) => t.div(3), (x) => x / 3],
    ['2 / x', (t) => T.div(2, t), (x) => 2 / x, [0.3, 3]],
    ['maximum(0.3)', (t) => t.maximum(0.3), (x) => Math.max(x, 0.3)],
    ['minimum(0.3)', (t) => t.minimum(0.3), (x) => Math.min(x, 0.3)],
    ['cast(f32)', (t) => t.cast('f32'), (x) => x],
    ['clone', (t) => t.clone(), (x) => x],
    ['2 ** x', (t) => T.pow(2, t), (x) => 2 ** x],
    ['atan2(x, 0.5)', (t) => T.atan2(t, 0.5), (x) => Math.atan2(x, 0.5)],
    ['atan2(0.5, x)', (t) => T.atan2(0.5, t), (x) => Math.atan2(0.5, x)],
    ['where(x > 0, x, 0.1)', (t) => T.where(t.gt(0), t, 0.1), (x) => (x > 0 ? x : 0.1)],
  ];

describe('unary gradients', () => {
  for (const [name, gpu, cpu, range] of unaryCases) {
    it(name, async () => {
      await checkGrad({
        inputs: [rand([3, 5], range?.[0], range?.[1])],
        cpu: ([x]) => R.map(x!, cpu),
        gpu: ([x]) => gpu(x!),
      });
    });
  }
});

const binaryCases: [
  string,
  (a: T.Tensor, b: T.Tensor) => T.Tensor,
  (a: number, b: number) => number,
  [number, number]?,
][] = [
  ['add', T.add, (a, b) => a + b],
  ['sub', T.sub, (a, b) => a - b],
  ['mul', T.mul, (a, b) => a * b],
  ['div', T.div, (a, b) => a / b, [0.5, 2]],
  ['maximum', T.maximum, Math.max],
  ['minimum', T.minimum, Math.min],
  ['atan2', T.atan2, Math.atan2, [0.2, 2]],
  ['pow', T.pow, (a, b) => a ** b, [0.5, 2]],
];

describe('binary gradients with broadcasting', () => {
  for (const [name, gpu, cpu, range] of binaryCases) {
    it(name, async () => {
      for (const [sa, sb] of [
        [
          [3, 1, 4],
          [2, 4],
        ],
        [[2, 3], []],
        [
          [2, 3],
          [2, 3],
        ],
      ] as [number[], number[]][]) {
        await checkGrad({
          inputs: [rand(sa, range?.[0], range?.[1]), rand(sb, range?.[0], range?.[1])],
          cpu: ([a, b]) => R.mapN([a!, b!], cpu),
          gpu: ([a, b]) => gpu(a!, b!),
        });
      }
    });
  }

  it('where', async () => {
    const cond = R.nd([3, 1], [1, 0, 1]);
    await checkGrad({
      inputs: [rand([1, 4]), rand([3, 4])],
      cpu: ([a, b]) => R.mapN([cond, a!, b!], (c, x, y) => (c ? x : y)),
      gpu: ([a, b]) => T.where(T.tensor([[true], [false], [true]]), a!, b!),
    });
  });

  it('a tensor used twice accumulates both paths (x·x + x)', async () => {
    await checkGrad({
      inputs: [rand([4])],
      cpu: ([x]) => R.map(x!, (v) => v * v + v),
      gpu: ([x]) => x!.mul(x!).add(x!),
    });
  });
});

describe('reduction gradients', () => {
  const x = () => rand([3, 4, 5]);
  it('sum over an axis, several axes, all, keepdim', async () => {
    await checkGrad({
      inputs: [x()],
      cpu: ([a]) => R.reduce(a!, 1, R.rowSum, false),
      gpu: ([a]) => a!.sum(1),
    });
    await checkGrad({
      inputs: [x()],
      cpu: ([a]) => R.reduce(R.reduce(a!, 2, R.rowSum, true), 0, R.rowSum, true),
      gpu: ([a]) => a!.sum([0, -1], true),
    });
    await checkGrad({
      inputs: [x()],
      cpu: ([a]) => R.nd([], [R.sumAll(a!)]),
      gpu: ([a]) => a!.sum(),
    });
  });
  it('mean', async () => {
    await checkGrad({
      inputs: [x()],
      cpu: ([a]) => R.reduce(a!, 2, R.rowMean, true),
      gpu: ([a]) => a!.mean(2, true),
    });
    await checkGrad({
      inputs: [x()],
      cpu: ([a]) => R.nd([], [R.sumAll(a!) / 60]),
      gpu: ([a]) => a!.mean(),
    });
  });
  it('max and min', async () => {
    await checkGrad({
      inputs: [x()],
      cpu: ([a]) => R.reduce(a!, 1, R.rowMax, false),
      gpu: ([a]) => a!.max(1),
    });
    await checkGrad({
      inputs: [x()],
      cpu: ([a]) => R.reduce(a!, 0, (r) => Math.min(...r), true),
      gpu: ([a]) => a!.min(0, true),
    });
    await checkGrad({
      inputs: [x()],
      cpu: ([a]) => R.nd([], [Math.max(...a!.data)]),
      gpu: ([a]) => a!.max(),
    });
  });
});

describe('matmul gradients', () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[3, 4], [4, 2], false, false],
    [[4, 3], [4, 2], true, false],
    [[3, 4], [2, 4], false, true],
    [[4, 3], [2, 4], true, true],
    [[2, 1, 3, 4], [3, 4, 2], false, false],
    [[2, 4, 3], [2, 4], true, true],
  ];
  for (const [sa, sb, transA, transB] of cases) {
    it(`[${sa}]${transA ? 'ᵀ' : ''} · [${sb}]${transB ? 'ᵀ' : ''}`, async () => {
      await checkGrad({
        inputs: [rand(sa), rand(sb)],
        cpu: ([a, b]) => R.matmul(a!, b!, transA, transB),
        gpu: ([a, b]) => a!.matmul(b!, { transA, transB }),
      });
    });
  }
});

describe('matmul with a fused epilogue: gradients', () => {
  const addBias = (y: R.Nd, bias: R.Nd) =>
    R.mapN([y, R.broadcastTo(bias, y.shape)], (v, b) => v + b);
  const act = { relu: (z: number) => Math.max(z, 0), silu: (z: number) => z / (1 + Math.exp(-z)) };
  // The shapes put the products both ways round (few columns: computed transposed).
  const cases: [number[], number[], boolean, boolean, 'relu' | 'silu' | undefined][] = [
    [[3, 4], [2, 4], false, true, undefined],
    [[2, 3, 4], [4, 5], false, false, 'relu'],
    [[4, 20], [4, 3], true, false, 'silu'],
    [[2, 3, 4], [2, 5, 4], false, true, 'silu'],
  ];
  for (const [sa, sb, transA, transB, activation] of cases) {
    it(`[${sa}]${transA ? 'ᵀ' : ''} · [${sb}]${transB ? 'ᵀ' : ''} + bias + residual, ${activation ?? 'no activation'}`, async () => {
      const product = R.matmul(rand(sa), rand(sb), transA, transB);
      const n = product.shape[product.shape.length - 1]!;
      await checkGrad({
        inputs: [rand(sa), rand(sb), rand([n]), rand(product.shape)],
        cpu: ([a, b, bias, res]) => {
          const z = R.mapN(
            [addBias(R.matmul(a!, b!, transA, transB), bias!), res!],
            (u, v) => u + v,
          );
          return activation ? R.mapN([z], act[activation]) : z;
        },
        gpu: ([a, b, bias, residual]) =>
          a!.matmul(b!, {
            transA,
            transB,
            bias: bias!,
            residual: residual!,
            ...(activation ? { activation } : {}),
          }),
      });
    });
  }
});

describe('matmul epilogue arguments', () => {
  it('rejects a bias or residual of the wrong shape and an unknown activation, naming them', () => {
    const a = toTensor(rand([3, 4]));
    const b = toTensor(rand([4, 2]));
    expect(() => a.matmul(b, { bias: toTensor(rand([3])) })).toThrow(/bias .* shape \[2\]/);
    expect(() => a.matmul(b, { residual: toTensor(rand([2, 3])) })).toThrow(/residual .*\[3, ?2\]/);
    expect(() => a.matmul(b, { activation: 'gelu' as never })).toThrow(/unknown activation "gelu"/);
  });
});

describe('matmul with vectors', () => {
  it('vector · matrix and matrix · vector', async () => {
    await checkGrad({
      inputs: [rand([3]), rand([3, 4])],
      cpu: ([v, m]) => ({ shape: [4], data: R.matmul(R.nd([1, 3], v!.data), m!).data }),
      gpu: ([v, m]) => T.matmul(v!, m!),
    });
    await checkGrad({
      inputs: [rand([4, 3]), rand([3])],
      cpu: ([m, v]) => ({ shape: [4], data: R.matmul(m!, R.nd([3, 1], v!.data)).data }),
      gpu: ([m, v]) => T.matmul(m!, v!),
    });
  });
});

describe('softmax gradients', () => {
  it('softmax and logSoftmax', async () => {
    for (const axis of [0, 1]) {
      await checkGrad({
        inputs: [rand([3, 4])],
        cpu: ([a]) => R.softmax(a!, axis),
        gpu: ([a]) => a!.softmax(axis),
      });
      await checkGrad({
        inputs: [rand([3, 4])],
        cpu: ([a]) => R.softmax(a!, axis, true),
        gpu: ([a]) => a!.logSoftmax(axis),
      });
    }
  });
});

describe('layout gradients', () => {
  it('reshape, squeeze, unsqueeze', async () => {
    await checkGrad({
      inputs: [rand([2, 6])],
      cpu: ([a]) => ({ shape: [3, 1, 4], data: a!.data }),
      gpu: ([a]) => a!.reshape([3, 4]).unsqueeze(1).squeeze(1).unsqueeze(-2),
    });
  });
  it('transpose and permute', async () => {
    await checkGrad({
      inputs: [rand([2, 3, 4])],
      cpu: ([a]) => R.permute(a!, [2, 0, 1]),
      gpu: ([a]) => a!.permute(2, 0, 1),
    });
    await checkGrad({
      inputs: [rand([2, 3, 4])],
      cpu: ([a]) => R.permute(a!, [0, 2, 1]),
      gpu: ([a]) => a!.transpose(1, 2),
    });
  });
  it('slice, narrow, split, chunk', async () => {
    await checkGrad({
      inputs: [rand([4, 5])],
      cpu: ([a]) =>
        R.slice(a!, [
          [1, 3],
          [0, 4],
        ]),
      gpu: ([a]) =>
        a!.slice([
          [1, 3],
          [0, -1],
        ]),
    });
    await checkGrad({
      inputs: [rand([4, 5])],
      cpu: ([a]) =>
        R.slice(a!, [
          [0, 4],
          [2, 5],
        ]),
      gpu: ([a]) => a!.split([2, 3], 1)[1]!,
    });
    await checkGrad({
      inputs: [rand([4, 5])],
      cpu: ([a]) =>
        R.slice(a!, [
          [2, 4],
          [0, 5],
        ]),
      gpu: ([a]) => a!.chunk(2)[1]!,
    });
  });
  it('pad', async () => {
    await checkGrad({
      inputs: [rand([2, 3])],
      cpu: ([a]) =>
        R.pad(
          a!,
          [
            [1, 0],
            [2, 1],
          ],
          0.5,
        ),
      gpu: ([a]) =>
        a!.pad(
          [
            [1, 0],
            [2, 1],
          ],
          0.5,
        ),
    });
  });
  it('concat and stack', async () => {
    await checkGrad({
      inputs: [rand([2, 3]), rand([2, 1]), rand([2, 2])],
      cpu: (xs) => R.concat(xs, 1),
      gpu: (xs) => T.concat(xs, 1),
    });
    await checkGrad({
      inputs: [rand([2, 3]), rand([2, 3])],
      cpu: (xs) =>
        R.concat(
          xs.map((x) => ({ shape: [2, 1, 3], data: x.data })),
          1,
        ),
      gpu: (xs) => T.stack(xs, 1),
    });
  });
  it('broadcastTo', async () => {
    await checkGrad({
      inputs: [rand([3, 1])],
      cpu: ([a]) => R.broadcastTo(a!, [2, 3, 4]),
      gpu: ([a]) => a!.broadcastTo([2, 3, 4]),
    });
  });
});

describe('indexing gradients', () => {
  const ids = [2, 0, 2, 4, 2, 1];
  it('gather (the table gets scatter-added rows)', async () => {
    await checkGrad({
      inputs: [rand([5, 3])],
      cpu: ([t]) => R.gatherRows(t!, ids, [2, 3]),
      gpu: ([t]) => t!.gather(T.tensor(Int32Array.from(ids), { shape: [2, 3] })),
    });
  });
  it('scatterAddRows (the rows get gathered gradients)', async () => {
    await checkGrad({
      inputs: [rand([6, 3])],
      cpu: ([r]) => R.scatterAddRows(ids, r!, 5),
      gpu: ([r]) => T.scatterAddRows(T.tensor(Int32Array.from(ids)), r!, 5),
    });
  });
});

describe('autograd semantics', () => {
  it('gradients accumulate over backward calls until reset; noGrad and detach stop them', async () => {
    const x = T.tensor([1, 2, 3]).requireGrad();
    x.mul(2).sum().backward();
    x.mul(x).sum().backward();
    expect(await x.grad!.toArray()).toEqual([4, 6, 8]);
    T.zeroGrad([x]);
    expect(x.grad).toBeNull();
    const y = T.noGrad(() => x.mul(3));
    expect(y.requiresGrad).toBe(false);
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(bufferOf(d)).toBe(bufferOf(x));
    const z = x.mul(d).sum();
    z.backward();
    expect(await x.grad!.toArray()).toEqual([1, 2, 3]);
  });

  it('backward with an explicit upstream gradient', async () => {
    const x = T.tensor([1, 2]).requireGrad();
    x.mul(3).backward(T.tensor([1, 10]));
    expect(await x.grad!.toArray()).toEqual([3, 30]);
  });

  it('only leaves get .grad; inputs without requiresGrad get none', async () => {
    const a = T.tensor([1, 2]).requireGrad();
    const b = T.tensor([3, 4]);
    const h = a.mul(b);
    h.sum().backward();
    expect(h.grad).toBeNull();
    expect(b.grad).toBeNull();
    expect(await a.grad!.toArray()).toEqual([3, 4]);
  });
});
