import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { useDefaultDevice } from './helpers.js';

useDefaultDevice();

const HEADER = `const WG: u32 = ${T.WORKGROUP_SIZE}u;`;
const ENTRY = `@compute @workgroup_size(${T.WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u)`;

/** out = a·x + b with f32 a, i32 b and a u32 length, as three kinds of parameter. */
const AFFINE = `${HEADER}
struct P { a: f32, b: i32, n: u32 }
@group(0) @binding(0) var<storage, read> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${ENTRY} {
  let i = ${T.LINEAR_INDEX_WGSL};
  if (i >= p.n) { return; }
  out[i] = p.a * x[i] + f32(p.b);
}`;

describe('customOp', () => {
  it('packs f32, i32 and u32 parameters and returns its new outputs', async () => {
    const x = T.tensor([1, 2, 3]);
    const outs = T.customOp({
      name: 'affine',
      code: AFFINE,
      params: [0.5, { i32: -2 }, { u32: 3 }],
      inputs: [x],
      outputs: [{ shape: [3] }],
      threads: 3,
    });
    expect(outs).toHaveLength(1);
    expect(outs[0]!.shape).toEqual([3]);
    expect(await outs[0]!.toArray()).toEqual([-1.5, -1, -0.5]);
  });

  it('covers a grid folded past one dimension of workgroups', async () => {
    // 70,000 workgroups of 1 thread do not fit one dimension (65,535): the grid folds to 2-D.
    const n = 70_000;
    const x = T.ones([n]);
    const [y] = T.customOp({
      name: 'affine-wide',
      code: AFFINE.replaceAll(String(T.WORKGROUP_SIZE), '1'),
      params: [2, { i32: 1 }, { u32: n }],
      inputs: [x],
      outputs: [{ shape: [n] }],
      threads: n,
      workgroupSize: 1,
    });
    const got = (await y!.data()) as Float32Array;
    expect(got.every((v) => v === 3)).toBe(true);
  });

  it('updates tensors in place in stream order with the ops around it', async () => {
    const y = T.tensor([1, 2, 3]);
    const before = y.mul(10); // encoded before the update: must see the old values
    T.customOp({
      name: 'scale-in-place',
      code: `${HEADER}
        @group(0) @binding(0) var<storage, read> p: array<f32>;
        @group(0) @binding(1) var<storage, read_write> y: array<f32>;
        ${ENTRY} { let i = ${T.LINEAR_INDEX_WGSL}; if (i < arrayLength(&y)) { y[i] *= p[0]; } }`,
      params: [3],
      updates: [y],
      threads: y.size,
    });
    const after = y.add(1);
    expect(await before.toArray()).toEqual([10, 20, 30]);
    expect(await y.toArray()).toEqual([3, 6, 9]);
    expect(await after.toArray()).toEqual([4, 7, 10]);
  });

  it('records its gradient on the tape like a built-in op', async () => {
    const x = T.tensor([1, -2, 3]).requireGrad();
    const [y] = T.customOp({
      name: 'cube',
      code: `${HEADER}
        @group(0) @binding(0) var<storage, read> x: array<f32>;
        @group(0) @binding(1) var<storage, read_write> y: array<f32>;
        ${ENTRY} { let i = ${T.LINEAR_INDEX_WGSL}; if (i < arrayLength(&y)) { y[i] = x[i] * x[i] * x[i]; } }`,
      inputs: [x],
      outputs: [{ shape: x.shape }],
      threads: x.size,
      gradient: (g, { inputs }) => [g.mul(inputs[0]!.square().mul(3))],
    });
    expect(y!.requiresGrad).toBe(true);
    y!
      .mul(T.tensor([1, 10, 100]))
      .sum()
      .backward();
    expect(await x.grad!.toArray()).toEqual([3, 120, 2700]);
    // Without a gradient the output is a constant for autograd.
    const [z] = T.customOp({
      name: 'copy',
      code: `${HEADER}
        @group(0) @binding(0) var<storage, read> x: array<f32>;
        @group(0) @binding(1) var<storage, read_write> y: array<f32>;
        ${ENTRY} { let i = ${T.LINEAR_INDEX_WGSL}; if (i < arrayLength(&y)) { y[i] = x[i]; } }`,
      inputs: [x],
      outputs: [{ shape: x.shape }],
      threads: x.size,
    });
    expect(z!.requiresGrad).toBe(false);
  });

  it('refuses what it cannot run, naming the op', () => {
    const x = T.tensor([1, 2]);
    const base = { name: 'bad', code: AFFINE, inputs: [x] } as const;
    expect(() => T.customOp({ ...base })).toThrow(/"bad": give either threads or workgroups/);
    expect(() => T.customOp({ ...base, threads: 2, workgroups: [1] })).toThrow(/either/);
    expect(() => T.customOp({ ...base, threads: -1 })).toThrow(/threads must be an integer/);
    expect(() => T.customOp({ ...base, threads: 2, params: [{ u32: -1 }] })).toThrow(/not a u32/);
    expect(() => T.customOp({ ...base, threads: 2, outputs: [{ shape: [2.5] }] })).toThrow(
      /not a valid shape/,
    );
    expect(() =>
      T.customOp({
        ...base,
        threads: 2,
        outputs: [{ shape: [2] }, { shape: [2] }],
        gradient: () => [null],
      }),
    ).toThrow(/exactly one output/);
    const node = T.tensor([1, 2]).requireGrad().mul(2);
    expect(() => T.customOp({ ...base, threads: 2, updates: [node] })).toThrow(
      /result of a recorded op/,
    );
    x.dispose();
    expect(() => T.customOp({ ...base, threads: 2 })).toThrow(T.DisposedTensorError);
  });
});
