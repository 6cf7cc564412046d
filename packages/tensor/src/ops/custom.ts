/**
 * `customOp`: the one public way to run a hand-written WGSL kernel over tensors. Other packages
 * (the optimisers, data-parallel training) use it instead of touching GPU buffers, so buffers,
 * pipelines and submission stay inside the backend, and their kernels go through the same
 * dispatch path, error scopes and batching as every built-in op.
 */
import { record } from '../autograd/tape.js';
import type { Binding } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { ShapeError, TensorError } from '../errors.js';
import { launch, paramWords } from '../kernels/launch.js';
import { bindingOf, prepareUpdate, type Tensor } from '../tensor.js';
import { assertSameDevice, empty, resolveDevice } from './util.js';

/** A kernel parameter: a plain number is an `f32`; wrap integers as `{ u32 }` or `{ i32 }`. */
export type KernelParam = number | { u32: number } | { i32: number };

/** What {@link customOp} runs. */
export interface CustomOpSpec {
  /** Kernel name, shown in errors and profiles. */
  name: string;
  /**
   * WGSL with a `main` compute entry point. Bindings, all in `@group(0)`, numbered in this
   * order: the parameter struct (only when {@link params} is given, as `var<storage, read>`),
   * then {@link inputs} (`read`), then {@link updates} (`read_write`), then {@link outputs}
   * (`read_write`). Each tensor is bound to exactly its data, so `arrayLength()` is its size.
   */
  code: string;
  /** Tensors the kernel reads. */
  inputs?: readonly Tensor[];
  /**
   * Tensors the kernel updates in place (optimiser state, parameters). In place means outside
   * autograd: they must not be needed by a pending backward.
   */
  updates?: readonly Tensor[];
  /** New tensors the kernel writes (uninitialised before it runs). */
  outputs?: readonly { shape: readonly number[]; dtype?: DType }[];
  /**
   * Kernel parameters, packed as consecutive 32-bit words in a struct bound first. Give a
   * function for values that change on every call (a scheduled learning rate, a step count):
   * it is called now and, inside a step compiled with `compile()`, again before every
   * replay, so it must read the current values (fields of a live object), not capture them.
   */
  params?: readonly KernelParam[] | (() => readonly KernelParam[]);
  /**
   * Set when the parameters change on every call: they then use the batch's parameter arena
   * instead of the backend's shared, cached constant slots. Implied by a `params` function;
   * a compiled step cannot replay per-call parameters given as an array.
   */
  varyingParams?: boolean;
  /** Threads of a 1-D grid (index them with `LINEAR_INDEX_WGSL`); or give {@link workgroups}. */
  threads?: number;
  /** Workgroup width of the 1-D grid (default 256): must match the kernel's `@workgroup_size`. */
  workgroupSize?: number;
  /** An explicit grid of workgroups, instead of {@link threads}. */
  workgroups?: readonly [number, number?, number?];
  /**
   * The gradient of a single-output op: given the gradient of the output, the gradients of
   * {@link inputs} in order (`null` for none), written with tensor ops or further custom ops.
   * Without it the output never requires grad.
   */
  gradient?: (
    grad: Tensor,
    context: { inputs: readonly Tensor[]; output: Tensor },
  ) => readonly (Tensor | null)[];
}

/**
 * Runs a hand-written WGSL kernel over tensors and returns its new outputs (possibly none, for
 * a kernel that only updates tensors in place). The work is encoded into the device's pending
 * batch like any other op.
 *
 * @example
 * ```ts
 * // y += a · x, in place
 * customOp({
 *   name: 'axpy',
 *   code: `struct P { a: f32 }
 *     @group(0) @binding(0) var<storage, read> p: P;
 *     @group(0) @binding(1) var<storage, read> x: array<f32>;
 *     @group(0) @binding(2) var<storage, read_write> y: array<f32>;
 *     @compute @workgroup_size(256) fn main(@builtin(global_invocation_id) id: vec3u) {
 *       if (id.x < arrayLength(&y)) { y[id.x] += p.a * x[id.x]; }
 *     }`,
 *   params: [0.5],
 *   inputs: [x],
 *   updates: [y],
 *   threads: y.size,
 * });
 * ```
 */
export function customOp(spec: CustomOpSpec): Tensor[] {
  const inputs = spec.inputs ?? [];
  const updates = spec.updates ?? [];
  const outputSpecs = spec.outputs ?? [];
  const what = `customOp "${spec.name}"`;
  const tensors = [...inputs, ...updates];
  const device = tensors.length > 0 ? assertSameDevice(what, tensors) : resolveDevice(undefined);
  for (const t of updates) {
    if (t.gradFn) {
      throw new TensorError(
        `${what}: ${t.describe()} is the result of a recorded op; update leaves or detached tensors in place, not graph nodes.`,
      );
    }
  }
  if (spec.gradient && outputSpecs.length !== 1) {
    throw new TensorError(
      `${what}: a gradient needs exactly one output, got ${outputSpecs.length}.`,
    );
  }
  if ((spec.threads === undefined) === (spec.workgroups === undefined)) {
    throw new TensorError(`${what}: give either threads or workgroups.`);
  }
  if (spec.threads !== undefined && !(Number.isInteger(spec.threads) && spec.threads >= 0)) {
    throw new TensorError(`${what}: threads must be an integer ≥ 0, got ${spec.threads}.`);
  }
  const outputs = outputSpecs.map((o) => {
    for (const d of o.shape) {
      if (!Number.isInteger(d) || d < 0) {
        throw new ShapeError(`${what}: output shape [${o.shape.join(',')}] is not a valid shape.`);
      }
    }
    return empty(o.shape, o.dtype ?? 'f32', device);
  });
  // Updated tensors are computed, and so is every pending expression that reads them.
  for (const t of updates) prepareUpdate(t);
  const bindings: Binding[] = [];
  const given = spec.params;
  if (typeof given === 'function') {
    const pack = () => packParams(given(), what);
    bindings.push(paramWords(device, pack(), true, pack));
  } else if (given && given.length > 0) {
    bindings.push(paramWords(device, packParams(given, what), spec.varyingParams));
  }
  for (const t of [...inputs, ...updates, ...outputs]) bindings.push(bindingOf(t));
  const empty3 = spec.threads === 0 || spec.workgroups?.some((n) => n === 0);
  if (!empty3) {
    launch(
      device,
      spec.code,
      spec.name,
      bindings,
      spec.threads !== undefined
        ? { threads: spec.threads, workgroupSize: spec.workgroupSize }
        : { workgroups: [...spec.workgroups!] as [number, number?, number?] },
    );
  }
  const gradient = spec.gradient;
  if (gradient) {
    const output = outputs[0]!;
    record(output, spec.name, inputs, (g) => gradient(g, { inputs, output }));
  }
  return outputs;
}

function packParams(params: readonly KernelParam[], what: string): Uint32Array {
  const words = new Uint32Array(params.length);
  const view = new DataView(words.buffer);
  params.forEach((p, i) => {
    if (typeof p === 'number') view.setFloat32(i * 4, p, true);
    else if ('u32' in p) {
      if (!(Number.isInteger(p.u32) && p.u32 >= 0 && p.u32 < 2 ** 32))
        throw new RangeError(`${what}: parameter ${i} is not a u32: ${p.u32}`);
      view.setUint32(i * 4, p.u32, true);
    } else {
      if (!(Number.isInteger(p.i32) && Math.abs(p.i32) < 2 ** 31))
        throw new RangeError(`${what}: parameter ${i} is not an i32: ${p.i32}`);
      view.setInt32(i * 4, p.i32, true);
    }
  });
  return words;
}
