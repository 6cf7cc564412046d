/**
 * The gradient table, walked: every primitive's rule is checked against central finite
 * differences of an f64 CPU reference (with numbers as operands where the primitive takes
 * them), and the walk fails when a primitive has no case. Then every composite's gradient, which
 * the chain rule assembles from the table, is checked against its derivative written out by hand
 * on the CPU, and the elementwise composites are shown to stay one generated kernel.
 */
import { describe, expect, it } from 'vitest';
import { GRADIENTS } from '../src/autograd/gradients.js';
import * as T from '../src/index.js';
import { binary, boolOp, cast, unary, where } from '../src/prims/elementwise.js';
import * as ix from '../src/prims/gather.js';
import * as mv from '../src/prims/movement.js';
import { installRules, type PrimName } from '../src/prims/primitive.js';
import * as red from '../src/prims/reduce.js';
import { pendingKernel } from '../src/tensor.js';
import { type GradCase, gradChecker } from './grad-check.js';
import { toTensor, useDefaultDevice } from './helpers.js';
import * as R from './reference/nd.js';
import { rng, uniforms } from './reference/random.js';

const gpu = useDefaultDevice();

const next = rng(2024);
const rand = (shape: number[], lo = -2, hi = 2) =>
  R.nd(shape, uniforms(next, R.size(shape), lo, hi));
const checkGrad = gradChecker(rand);

const unaryCase = (
  prim: Parameters<typeof unary>[0],
  f: (x: number) => number,
  lo = -2,
  hi = 2,
): GradCase => ({
  inputs: [rand([3, 4], lo, hi)],
  cpu: ([x]) => R.map(x!, f),
  gpu: ([x]) => unary(prim, x!),
});

type Binary = Parameters<typeof binary>[0];

/** Both operands tensors, broadcast against each other. */
const broadcastCase = (
  prim: Binary,
  f: (a: number, b: number) => number,
  lo = -2,
  hi = 2,
): GradCase => ({
  inputs: [rand([3, 1, 4], lo, hi), rand([2, 4], lo, hi)],
  cpu: ([a, b]) => R.mapN([a!, b!], f),
  gpu: ([a, b]) => binary(prim, a!, b!),
});

/** One operand a number, on the `side` given. */
const numberCase = (
  prim: Binary,
  s: number,
  side: 'left' | 'right',
  f: (a: number, b: number) => number,
  lo = -2,
  hi = 2,
): GradCase => ({
  inputs: [rand([2, 5], lo, hi)],
  cpu: ([x]) => R.map(x!, (v) => (side === 'left' ? f(s, v) : f(v, s))),
  gpu: ([x]) => (side === 'left' ? binary(prim, s, x!) : binary(prim, x!, s)),
});

const ids = [2, 0, 2, 1, 3, 2];
const idsTensor = () => T.tensor(ids, { shape: [2, 3], dtype: 'i32' });

/** At least one case per primitive; the type and the first test make sure none is missing. */
const CASES: Record<PrimName, GradCase[]> = {
  exp: [unaryCase('exp', Math.exp)],
  log: [unaryCase('log', Math.log, 0.2, 3)],
  sqrt: [unaryCase('sqrt', Math.sqrt, 0.2, 3)],
  recip: [unaryCase('recip', (x) => 1 / x, 0.3, 3), unaryCase('recip', (x) => 1 / x, -3, -0.3)],
  sin: [unaryCase('sin', Math.sin)],
  cos: [unaryCase('cos', Math.cos)],
  tanh: [unaryCase('tanh', Math.tanh)],
  sign: [unaryCase('sign', Math.sign)],
  add: [broadcastCase('add', (a, b) => a + b), numberCase('add', 2, 'right', (a, b) => a + b)],
  mul: [
    broadcastCase('mul', (a, b) => a * b),
    numberCase('mul', -3, 'left', (a, b) => a * b),
    {
      inputs: [rand([4])],
      cpu: ([x]) => R.map(x!, (v) => v * v),
      gpu: ([x]) => binary('mul', x!, x!),
    },
  ],
  div: [
    broadcastCase('div', (a, b) => a / b, 0.5, 2),
    numberCase('div', 3, 'right', (a, b) => a / b),
    numberCase('div', 2, 'left', (a, b) => a / b, 0.3, 3),
  ],
  maximum: [
    broadcastCase('maximum', Math.max),
    numberCase('maximum', 0.3, 'right', Math.max),
    numberCase('maximum', 0, 'left', Math.max),
  ],
  pow: [
    broadcastCase('pow', (a, b) => a ** b, 0.5, 2),
    // a number exponent: negative bases too
    numberCase('pow', 3, 'right', (a, b) => a ** b),
    numberCase('pow', 2, 'right', (a, b) => a ** b),
    numberCase('pow', -0.5, 'right', (a, b) => a ** b, 0.3, 3),
  ],
  atan2: [broadcastCase('atan2', Math.atan2, 0.2, 2)],
  where: [
    {
      inputs: [rand([1, 4]), rand([3, 4])],
      cpu: ([a, b]) => R.mapN([R.nd([3, 1], [1, 0, 1]), a!, b!], (c, x, y) => (c ? x : y)),
      gpu: ([a, b]) => where(T.tensor([[true], [false], [true]]), a!, b!),
    },
    {
      inputs: [rand([2, 3])],
      cpu: ([x]) => R.map(x!, (v) => (v > 0 ? v : 0.5)),
      gpu: ([x]) => where(boolOp('gt', x!, 0), x!, 0.5),
    },
  ],
  cast: [castCase()],
  sum: [
    {
      inputs: [rand([3, 4, 5])],
      cpu: ([x]) => R.reduce(x!, 1, R.rowSum, true),
      gpu: ([x]) => red.sum(x!, [1]),
    },
    {
      inputs: [rand([3, 4, 5])],
      cpu: ([x]) => R.reduce(R.reduce(x!, 2, R.rowSum, true), 0, R.rowSum, true),
      gpu: ([x]) => red.sum(x!, [0, 2]),
    },
    { inputs: [rand([3, 2])], cpu: ([x]) => x!, gpu: ([x]) => red.sum(x!, []) },
  ],
  max: [
    {
      inputs: [rand([3, 4, 5])],
      cpu: ([x]) => R.reduce(x!, 1, R.rowMax, true),
      gpu: ([x]) => red.max(x!, 1),
    },
  ],
  reshape: [
    {
      inputs: [rand([3, 4])],
      cpu: ([x]) => R.nd([2, 6], x!.data),
      gpu: ([x]) => mv.reshape(x!, [2, 6]),
    },
  ],
  permute: [
    {
      inputs: [rand([2, 3, 4])],
      cpu: ([x]) => R.permute(x!, [2, 0, 1]),
      gpu: ([x]) => mv.permute(x!, [2, 0, 1]),
    },
  ],
  expand: [
    {
      inputs: [rand([3, 1])],
      cpu: ([x]) => R.broadcastTo(x!, [2, 3, 4]),
      gpu: ([x]) => mv.expand(x!, [2, 3, 4]),
    },
  ],
  shrink: [
    {
      inputs: [rand([4, 5])],
      cpu: ([x]) =>
        R.slice(x!, [
          [1, 3],
          [0, 4],
        ]),
      gpu: ([x]) =>
        mv.shrink(x!, [
          [1, 3],
          [0, 4],
        ]),
    },
  ],
  pad: [
    {
      inputs: [rand([2, 3])],
      cpu: ([x]) =>
        R.pad(
          x!,
          [
            [1, 0],
            [2, 1],
          ],
          0.5,
        ),
      gpu: ([x]) =>
        mv.pad(
          x!,
          [
            [1, 0],
            [2, 1],
          ],
          0.5,
        ),
    },
  ],
  concat: [
    {
      inputs: [rand([2, 3]), rand([2, 2])],
      cpu: ([a, b]) => R.concat([a!, b!], 1),
      gpu: ([a, b]) => mv.concat([a!, b!], 1),
    },
  ],
  copy: [{ inputs: [rand([5])], cpu: ([x]) => x!, gpu: ([x]) => mv.copy(x!) }],
  gather: [
    {
      inputs: [rand([4, 3])],
      cpu: ([table]) => R.gatherRows(table!, ids, [2, 3]),
      gpu: ([table]) => ix.gather(table!, idsTensor()),
    },
  ],
  scatterAddRows: [
    {
      inputs: [rand([2, 3, 2])],
      cpu: ([rows]) => R.scatterAddRows(ids, rows!, 5),
      gpu: ([rows]) => ix.scatterAddRows(idsTensor(), rows!, 5),
    },
  ],
};

function castCase(): GradCase {
  return { inputs: [rand([3])], cpu: ([x]) => x!, gpu: ([x]) => cast(x!, 'f32') };
}

describe('the gradient table', () => {
  it('has a case here for every primitive', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(GRADIENTS).sort());
  });

  for (const [prim, cases] of Object.entries(CASES)) {
    it(`${prim}: the rule matches finite differences`, async () => {
      for (const c of cases) await checkGrad(c);
    });
  }

  it('catches a wrong rule', async () => {
    installRules({ ...GRADIENTS, exp: (g) => [g] });
    try {
      await expect(checkGrad(CASES.exp[0]!)).rejects.toThrow(/finite differences/);
    } finally {
      installRules(GRADIENTS);
    }
  });
});

/** A composite, its CPU forward, and its derivative by hand: `grad(xs, w)` for upstream `w`. */
interface CompositeCase {
  name: string;
  inputs: R.Nd[];
  gpu: (xs: T.Tensor[]) => T.Tensor;
  cpu: (xs: R.Nd[]) => R.Nd;
  grad: (xs: R.Nd[], w: R.Nd) => R.Nd[];
}

const each = (x: R.Nd, w: R.Nd, f: (x: number, w: number) => number) => R.mapN([x, w], f);
const sigma = (v: number) => 1 / (1 + Math.exp(-v));
/** Inputs of an activation, the extremes included (|x| past where exp overflows in f32). */
const wide = () => R.nd([2, 6], [-100, -20, -3, -0.5, 0, 0.25, 1, 2.5, 7, 20, 100, -1e-3]);

/** Softmax's Jacobian applied to `w` along the last axis of a 2-D input. */
function softmaxGrad(x: R.Nd, w: R.Nd, log: boolean): R.Nd {
  const y = R.softmax(x, 1);
  const [rows, n] = x.shape as [number, number];
  const out = R.nd(x.shape);
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let total = 0;
    for (let j = 0; j < n; j++) {
      dot += w.data[r * n + j]! * y.data[r * n + j]!;
      total += w.data[r * n + j]!;
    }
    for (let j = 0; j < n; j++) {
      const k = r * n + j;
      out.data[k] = log ? w.data[k]! - y.data[k]! * total : y.data[k]! * (w.data[k]! - dot);
    }
  }
  return out;
}

const COMPOSITES: CompositeCase[] = [
  {
    name: 'sub',
    inputs: [rand([3, 4]), rand([4])],
    gpu: ([a, b]) => a!.sub(b!),
    cpu: ([a, b]) => R.mapN([a!, b!], (x, y) => x - y),
    grad: (_, w) => [w, R.map(R.reduce(w, 0, R.rowSum, false), (v) => -v)],
  },
  {
    name: 'neg',
    inputs: [rand([5])],
    gpu: ([x]) => x!.neg(),
    cpu: ([x]) => R.map(x!, (v) => -v),
    grad: (_, w) => [R.map(w, (v) => -v)],
  },
  {
    name: 'minimum (ties to the first operand)',
    inputs: [R.nd([5], [1, -2, 0.5, 3, -1]), R.nd([5], [0, -2, 2, 3, -4])],
    gpu: ([a, b]) => a!.minimum(b!),
    cpu: ([a, b]) => R.mapN([a!, b!], Math.min),
    grad: ([a, b], w) => [
      R.mapN([a!, b!, w], (x, y, g) => (x <= y ? g : 0)),
      R.mapN([a!, b!, w], (x, y, g) => (x <= y ? 0 : g)),
    ],
  },
  {
    name: 'abs',
    inputs: [R.nd([5], [-2, -0.5, 0, 0.5, 3])],
    gpu: ([x]) => x!.abs(),
    cpu: ([x]) => R.map(x!, Math.abs),
    grad: ([x], w) => [each(x!, w, (v, g) => Math.sign(v) * g)],
  },
  {
    name: 'relu (0 at 0, as PyTorch)',
    inputs: [R.nd([5], [-2, -0.5, 0, 0.5, 3])],
    gpu: ([x]) => x!.relu(),
    cpu: ([x]) => R.map(x!, (v) => Math.max(v, 0)),
    grad: ([x], w) => [each(x!, w, (v, g) => (v > 0 ? g : 0))],
  },
  {
    name: 'square',
    inputs: [rand([6])],
    gpu: ([x]) => x!.square(),
    cpu: ([x]) => R.map(x!, (v) => v * v),
    grad: ([x], w) => [each(x!, w, (v, g) => 2 * v * g)],
  },
  {
    name: 'rsqrt',
    inputs: [rand([6], 0.2, 3)],
    gpu: ([x]) => x!.rsqrt(),
    cpu: ([x]) => R.map(x!, (v) => 1 / Math.sqrt(v)),
    grad: ([x], w) => [each(x!, w, (v, g) => -0.5 * v ** -1.5 * g)],
  },
  {
    name: 'sigmoid, finite at ±100',
    inputs: [wide()],
    gpu: ([x]) => x!.sigmoid(),
    cpu: ([x]) => R.map(x!, sigma),
    grad: ([x], w) => [each(x!, w, (v, g) => sigma(v) * (1 - sigma(v)) * g)],
  },
  {
    name: 'silu, finite at ±100',
    inputs: [wide()],
    gpu: ([x]) => x!.silu(),
    cpu: ([x]) => R.map(x!, (v) => v * sigma(v)),
    grad: ([x], w) => [each(x!, w, (v, g) => (sigma(v) + v * sigma(v) * (1 - sigma(v))) * g)],
  },
  {
    name: 's − x, x − s, min(x, s)',
    inputs: [R.nd([4], [-1, 0.25, 0.5, 2])],
    gpu: ([x]) => T.sub(2, x!).add(x!.sub(1).mul(3)).add(x!.minimum(0.5)),
    cpu: ([x]) => R.map(x!, (v) => 2 - v + 3 * (v - 1) + Math.min(v, 0.5)),
    grad: ([x], w) => [each(x!, w, (v, g) => (-1 + 3 + (v <= 0.5 ? 1 : 0)) * g)],
  },
  {
    name: 'mean over an axis and over all',
    inputs: [rand([3, 4])],
    gpu: ([x]) => x!.mean(1).add(x!.mean()),
    cpu: ([x]) => R.map(R.reduce(x!, 1, R.rowMean, false), (v) => v + R.sumAll(x!) / 12),
    grad: ([x], w) => {
      const total = R.sumAll(w);
      return [
        R.nd(
          [3, 4],
          x!.data.map((_, i) => w.data[Math.floor(i / 4)]! / 4 + total / 12),
        ),
      ];
    },
  },
  {
    name: 'min over an axis (to the first minimum)',
    inputs: [R.nd([2, 4], [3, 1, 1, 2, -1, 0, -3, -3])],
    gpu: ([x]) => x!.min(1),
    cpu: ([x]) => R.reduce(x!, 1, (r) => Math.min(...r), false),
    grad: ([x], w) => {
      const out = R.nd([2, 4]);
      for (let r = 0; r < 2; r++) {
        const row = [...x!.data.slice(r * 4, r * 4 + 4)];
        out.data[r * 4 + row.indexOf(Math.min(...row))] = w.data[r]!;
      }
      return [out];
    },
  },
  {
    name: 'softmax',
    inputs: [rand([3, 5], -4, 4)],
    gpu: ([x]) => x!.softmax(-1),
    cpu: ([x]) => R.softmax(x!, 1),
    grad: ([x], w) => [softmaxGrad(x!, w, false)],
  },
  {
    name: 'logSoftmax',
    inputs: [rand([3, 5], -4, 4)],
    gpu: ([x]) => x!.logSoftmax(-1),
    cpu: ([x]) => R.softmax(x!, 1, true),
    grad: ([x], w) => [softmaxGrad(x!, w, true)],
  },
];

describe('composites get their gradients from the table', () => {
  for (const c of COMPOSITES) {
    it(`${c.name}: forward and gradient match the CPU`, async () => {
      const want = c.cpu(c.inputs);
      const w = rand(want.shape, -1, 1);
      const grads = c.grad(c.inputs, w);
      const xs = c.inputs.map((x) => toTensor(x, true));
      const y = T.tidy(() => {
        const out = c.gpu(xs);
        out.mul(toTensor(w)).sum().backward();
        return out;
      });
      const got = (await y.data()) as Float32Array;
      want.data.forEach((v, i) => {
        expect(Math.abs(got[i]! - v), `forward element ${i}`).toBeLessThanOrEqual(
          1e-6 + 1e-5 * Math.abs(v),
        );
      });
      for (const [k, x] of xs.entries()) {
        const g = (await x.grad!.data()) as Float32Array;
        grads[k]!.data.forEach((v, i) => {
          expect(Number.isFinite(g[i]!), `gradient ${k}[${i}] is finite`).toBe(true);
          expect(Math.abs(g[i]! - v), `gradient ${k}[${i}]`).toBeLessThanOrEqual(
            1e-6 + 1e-5 * Math.abs(v),
          );
        });
        x.dispose();
      }
      y.dispose();
    });
  }
});

describe('elementwise composites stay one kernel', () => {
  it('sigmoid, silu and sub run as one generated kernel each, forward and backward', async () => {
    const x = T.tensor([-3, -0.5, 0.5, 3]);
    const y = T.tensor([1, 2, 3, 4]);
    await x.data();
    await y.data();
    for (const f of [
      (t: T.Tensor) => t.sigmoid(),
      (t: T.Tensor) => t.silu(),
      (t: T.Tensor) => t.sub(y),
    ]) {
      const before = gpu().counters.dispatches;
      const out = f(x);
      expect(pendingKernel(out)).not.toBeNull();
      await out.data();
      expect(gpu().counters.dispatches - before).toBe(1);
      out.dispose();
    }
    const p = T.tensor([0.5, -1, 2, 0]).requireGrad();
    await p.data();
    const before = gpu().counters.dispatches;
    T.tidy(() => p.silu().backward(T.tensor([1, 1, 1, 1])));
    await p.grad!.data();
    // the upstream's upload is no kernel; the gradient is one
    expect(gpu().counters.dispatches - before).toBe(1);
  });
});
