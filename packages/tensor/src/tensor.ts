import type { GradNode } from './autograd/tape.js';
import type { Binding } from './backend/backend.js';
import { backendOf, type Device } from './device/device.js';
import type { DType, TensorData } from './dtype.js';
import {
  AutogradError,
  DeviceMismatchError,
  DisposedTensorError,
  DTypeError,
  ShapeError,
} from './errors.js';
import { beforeWrite, describeKernel, realize } from './lazy/fusion.js';
import { poolFor } from './memory/pool.js';
import { keep, type Scoped, track, untrack } from './memory/scope.js';
import type { Storage } from './memory/storage.js';
import type { MatmulOptions } from './ops/matmul.js';

/** A nested array of numbers (or booleans), as returned by `toArray()`. */
export type NestedArray = number | boolean | NestedArray[];

let nextId = 1;
let storageOf: (t: Tensor) => Storage;

/**
 * @internal The GPU buffer holding a tensor's data: elements `0..size-1`, row-major, one
 * 32-bit word each (the buffer may be larger). For `@trm/tensor`'s kernels only: it is not
 * exported from the package, so no GPU buffer reaches other packages.
 */
export function bufferOf(t: Tensor): GPUBuffer {
  t.assertLive();
  const storage = storageOf(t);
  if (storage.pending) realize(storage);
  return storage.buffer;
}

/** @internal A tensor's storage, for the fused elementwise ops (its contents may be pending). */
export function storageFor(t: Tensor): Storage {
  t.assertLive();
  return storageOf(t);
}

/**
 * @internal Prepares a tensor for an in-place read-modify-write (a custom kernel's `updates`):
 * see `beforeWrite` in lazy/fusion.ts.
 */
export function prepareUpdate(t: Tensor): void {
  t.assertLive();
  beforeWrite(storageOf(t), true);
}

/**
 * The WGSL of the fused kernel that will compute `t`, with its expression as `let` lines, or
 * null when `t` is already computed. For reading what the elementwise fusion generates.
 */
export function pendingKernel(t: Tensor): string | null {
  t.assertLive();
  return describeKernel(storageOf(t));
}

/** @internal `{ buffer, offset: 0, size: byteLength }`: a tensor's data as a kernel binding. */
export function bindingOf(t: Tensor): Binding {
  return { buffer: bufferOf(t), offset: 0, size: Math.max(t.byteLength, 4) };
}

/**
 * An n-dimensional array in GPU memory.
 *
 * Tensors are dense and row-major; every element is one 32-bit word (see {@link DType}).
 * Views that need no data movement (reshape, squeeze, unsqueeze, detach) share the buffer;
 * everything else (transpose, slice, …) runs a kernel and makes a new tensor. Operations only
 * encode GPU work; `await t.data()` submits it and reads the values back.
 *
 * Memory is released deterministically: call {@link Tensor.dispose} or create tensors inside
 * {@link tidy}. Using a disposed tensor throws {@link DisposedTensorError}.
 */
export class Tensor implements Scoped {
  /** Dimensions; `[]` for a scalar. */
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  readonly device: Device;
  /** Unique id, for debugging and error messages. */
  readonly id = nextId++;
  /** @internal */
  scope: Set<Scoped> | null = null;
  /** @internal */
  kept = false;
  private storage: Storage;
  private disposed = false;
  private requires = false;
  private node: GradNode | null = null;
  private gradTensor: Tensor | null = null;
  private graphReleased = false;
  private temporaries: Tensor[] | null = null;

  static {
    storageOf = (t) => t.storage;
  }

  /** @internal Use the creators (`tensor`, `zeros`, …) instead. */
  constructor(storage: Storage, shape: readonly number[], dtype: DType) {
    this.storage = storage;
    this.device = storage.device;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = shape.reduce((a, b) => a * b, 1);
    track(this);
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Bytes of data (`size * 4`); the underlying buffer may be larger (pool size class). */
  get byteLength(): number {
    return this.size * 4;
  }

  /** True once disposed. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Throws {@link DisposedTensorError} if the tensor was disposed. */
  assertLive(): void {
    if (this.disposed) {
      throw new DisposedTensorError(
        `${this.describe()} was disposed (by dispose() or by the tidy() scope that created it) and cannot be used.`,
      );
    }
  }

  /** Short description, e.g. `Tensor#12 f32[2,3]`. */
  describe(): string {
    return `Tensor#${this.id} ${this.dtype}[${this.shape.join(',')}]`;
  }

  toString(): string {
    return this.describe();
  }

  // ---------------------------------------------------------------------------------------
  // Memory

  /** Releases the GPU memory (and the gradient). Idempotent. */
  dispose(): void {
    this.disposeWith(false);
  }

  /**
   * @internal Disposes a composite op's temporary: a buffer that the (pending) result still
   * loads stays allocated until the result is computed, instead of computing it now.
   */
  disposeAfterReaders(): void {
    this.disposeWith(true);
  }

  private disposeWith(afterReaders: boolean): void {
    if (this.disposed) return;
    this.disposed = true;
    untrack(this);
    if (afterReaders) this.storage.releaseAfterReaders();
    else this.storage.release();
    this.setNode(null);
    this.gradTensor?.dispose();
    this.gradTensor = null;
    if (this.temporaries) for (const t of this.temporaries) t.dispose();
    this.temporaries = null;
  }

  /** Exempts this tensor from every `tidy()` scope (it lives until `dispose()`). */
  keep(): this {
    return keep(this);
  }

  /**
   * @internal Disposes `tensors` together with this one: the intermediates of the composite
   * op that made it, which its recorded graph reads.
   */
  holdTemporaries(tensors: readonly Tensor[]): void {
    this.temporaries ??= [];
    this.temporaries.push(...tensors);
  }

  /** @internal A new tensor over the same storage (a view). */
  view(shape: readonly number[]): Tensor {
    this.assertLive();
    return new Tensor(this.storage.retain(), shape, this.dtype);
  }

  // ---------------------------------------------------------------------------------------
  // Autograd

  /**
   * Whether gradients flow to this tensor. Set it on leaves (parameters); op outputs require
   * grad when any input does (outside `noGrad`). Only f32 tensors can require grad.
   */
  get requiresGrad(): boolean {
    return this.requires;
  }

  set requiresGrad(value: boolean) {
    if (value && this.dtype !== 'f32') {
      throw new DTypeError(`${this.describe()}: only f32 tensors can require grad.`);
    }
    if (!value && this.node) {
      throw new AutogradError(
        `${this.describe()} is the result of an op; use detach() instead of clearing requiresGrad.`,
      );
    }
    this.requires = value;
  }

  /** Sets `requiresGrad` and returns `this`, for chaining. */
  requireGrad(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  /** @internal The op that produced this tensor (null for leaves). */
  get gradFn(): GradNode | null {
    return this.node;
  }

  /** @internal */
  setNode(node: GradNode | null): void {
    const previous = this.node;
    this.node = node;
    if (node) this.requires = true;
    if (previous && previous !== node) for (const t of previous.owned ?? []) t.dispose();
  }

  /** @internal Called by backward() when it frees the tape through this tensor. */
  releaseGraph(): void {
    this.graphReleased = true;
    this.setNode(null);
  }

  /** @internal True once backward() freed the op that produced this tensor. */
  get isGraphReleased(): boolean {
    return this.graphReleased;
  }

  /** True for tensors not produced by a recorded op. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /**
   * The accumulated gradient of a leaf after `backward()`, or null. The leaf owns it: it is
   * not freed by `tidy()` and is disposed when replaced, set to null, or the leaf is disposed.
   */
  get grad(): Tensor | null {
    return this.gradTensor;
  }

  set grad(value: Tensor | null) {
    if (value === this.gradTensor) return;
    if (value) {
      if (value.shape.join() !== this.shape.join()) {
        throw new ShapeError(
          `grad of ${this.describe()} must have its shape, got [${value.shape.join(',')}].`,
        );
      }
      untrack(value);
    }
    this.gradTensor?.dispose();
    this.gradTensor = value;
  }

  /** A view of the same data that does not require grad and has no history. */
  detach(): Tensor {
    return this.view(this.shape);
  }

  // ---------------------------------------------------------------------------------------
  // Reading back

  /**
   * Submits pending work and reads the values back: `Float32Array` (f32), `Int32Array` (i32)
   * or `Uint8Array` of 0/1 (bool).
   */
  async data(): Promise<TensorData> {
    this.assertLive();
    const n = this.size;
    const backend = backendOf(this.device);
    poolFor(this.device).canonicalize();
    if (this.dtype === 'f32') {
      return n === 0 ? new Float32Array(0) : backend.read(bufferOf(this), Float32Array, n);
    }
    if (this.dtype === 'i32') {
      return n === 0 ? new Int32Array(0) : backend.read(bufferOf(this), Int32Array, n);
    }
    const words = n === 0 ? new Uint32Array(0) : await backend.read(bufferOf(this), Uint32Array, n);
    return Uint8Array.from(words, (w) => (w ? 1 : 0));
  }

  /** The values as nested arrays (booleans for bool tensors); a number for a scalar. */
  async toArray(): Promise<NestedArray> {
    const flat = await this.data();
    const values: (number | boolean)[] =
      this.dtype === 'bool' ? Array.from(flat, (v) => v !== 0) : Array.from(flat);
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return values[offset]!;
      const extent = this.shape[dim]!;
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: extent }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) {
      throw new ShapeError(`item() needs a tensor with one element, got ${this.describe()}.`);
    }
    const data = await this.data();
    return data[0]!;
  }

  // ---------------------------------------------------------------------------------------
  // In-place

  /**
   * Overwrites this tensor's values, in stream order (after all work encoded so far): from
   * another tensor of the same shape and dtype, or from host values (a typed array or plain
   * numbers, `size` of them; booleans as 0/1). Not recorded by autograd: use it on leaves and
   * state (loading weights, optimiser updates, gradient all-reduce).
   */
  assign(source: Tensor | ArrayLike<number>): this {
    this.assertLive();
    if (source instanceof Tensor) bufferOf(source); // computed before this storage changes
    if (!(source instanceof Tensor)) {
      if (source.length !== this.size) {
        throw new ShapeError(
          `assign: ${source.length} values into ${this.describe()}, which holds ${this.size}.`,
        );
      }
      if (this.size === 0) return this;
      const words =
        this.dtype === 'f32'
          ? source instanceof Float32Array
            ? source
            : Float32Array.from(source)
          : this.dtype === 'i32'
            ? source instanceof Int32Array
              ? source
              : Int32Array.from(source)
            : Uint32Array.from(source, (v) => (v ? 1 : 0));
      beforeWrite(this.storage, false);
      // The backend submits pending work first: queue writes would otherwise overtake it.
      backendOf(this.device).write(bufferOf(this), words);
      return this;
    }
    source.assertLive();
    if (source.device !== this.device) {
      throw new DeviceMismatchError(
        `assign: ${source.describe()} is on another device than ${this.describe()}.`,
      );
    }
    if (source.dtype !== this.dtype) {
      throw new DTypeError(`assign: ${source.describe()} into ${this.describe()}: dtypes differ.`);
    }
    if (source.shape.join() !== this.shape.join()) {
      throw new ShapeError(`assign: ${source.describe()} into ${this.describe()}: shapes differ.`);
    }
    if (source.storage !== this.storage && this.size > 0) {
      beforeWrite(this.storage, false);
      backendOf(this.device).copy(bufferOf(source), bufferOf(this), this.byteLength);
    }
    return this;
  }

  // ---------------------------------------------------------------------------------------
  // Operations. Their implementations are attached by tensor-methods.ts, which imports the op
  // modules: no op imports this file's methods back, so the package has no import cycle.

  declare add: (other: Tensor | number) => Tensor;
  declare sub: (other: Tensor | number) => Tensor;
  declare mul: (other: Tensor | number) => Tensor;
  declare div: (other: Tensor | number) => Tensor;
  declare maximum: (other: Tensor | number) => Tensor;
  declare minimum: (other: Tensor | number) => Tensor;
  declare atan2: (other: Tensor | number) => Tensor;
  /** `this ** exponent` (a number or a tensor). */
  declare pow: (exponent: Tensor | number) => Tensor;
  declare eq: (other: Tensor | number) => Tensor;
  declare ne: (other: Tensor | number) => Tensor;
  declare lt: (other: Tensor | number) => Tensor;
  declare le: (other: Tensor | number) => Tensor;
  declare gt: (other: Tensor | number) => Tensor;
  declare ge: (other: Tensor | number) => Tensor;
  declare logicalAnd: (other: Tensor) => Tensor;
  declare logicalOr: (other: Tensor) => Tensor;
  declare logicalXor: (other: Tensor) => Tensor;
  declare logicalNot: () => Tensor;
  declare neg: () => Tensor;
  declare exp: () => Tensor;
  declare log: () => Tensor;
  declare sqrt: () => Tensor;
  declare rsqrt: () => Tensor;
  declare square: () => Tensor;
  declare abs: () => Tensor;
  declare sign: () => Tensor;
  declare sigmoid: () => Tensor;
  declare silu: () => Tensor;
  declare tanh: () => Tensor;
  declare relu: () => Tensor;
  declare sin: () => Tensor;
  declare cos: () => Tensor;
  declare reciprocal: () => Tensor;
  /** Converts to another dtype (a copy; f32 → i32 truncates toward zero). */
  declare cast: (dtype: DType) => Tensor;
  /** `where(this, a, b)`: elements of `a` where this bool tensor is true, else of `b`. */
  declare where: (a: Tensor | number, b: Tensor | number) => Tensor;

  // Reductions (axis may be negative; all axes when omitted)
  declare sum: (axis?: number | readonly number[], keepdim?: boolean) => Tensor;
  declare mean: (axis?: number | readonly number[], keepdim?: boolean) => Tensor;
  declare max: (axis?: number, keepdim?: boolean) => Tensor;
  declare min: (axis?: number, keepdim?: boolean) => Tensor;
  declare argmax: (axis?: number, keepdim?: boolean) => Tensor;
  declare argmin: (axis?: number, keepdim?: boolean) => Tensor;
  /** Softmax along `axis` (default: the last). */
  declare softmax: (axis?: number) => Tensor;
  /** Log-softmax along `axis` (default: the last). */
  declare logSoftmax: (axis?: number) => Tensor;

  // Linear algebra and indexing
  /** Batched matrix product with broadcast batch dims; see {@link matmul}. */
  declare matmul: (other: Tensor, options?: MatmulOptions) => Tensor;
  /** Rows of this 2-D table selected by an i32 tensor of ids: shape `[...ids.shape, D]`. */
  declare gather: (ids: Tensor) => Tensor;

  // Shape
  /** Same data, new shape (a view; one dimension may be -1). */
  declare reshape: (shape: readonly number[]) => Tensor;
  declare flatten: () => Tensor;
  declare squeeze: (axis?: number) => Tensor;
  declare unsqueeze: (axis: number) => Tensor;
  declare permute: (...dims: number[]) => Tensor;
  declare transpose: (dim0?: number, dim1?: number) => Tensor;
  /** Sub-ranges per dimension: `[start, end]` (end exclusive, negatives count from the end), or `null` for all. */
  declare slice: (ranges: readonly (readonly [number, number?] | null)[]) => Tensor;
  /** `length` entries of `axis` from `start`. */
  declare narrow: (axis: number, start: number, length: number) => Tensor;
  /** Pads with `value`: `widths[d] = [before, after]` for the leading dims given. */
  declare pad: (widths: readonly (readonly [number, number])[], value?: number) => Tensor;
  declare split: (sizes: number | readonly number[], axis?: number) => Tensor[];
  declare chunk: (chunks: number, axis?: number) => Tensor[];
  declare broadcastTo: (shape: readonly number[]) => Tensor;
  /** A copy with its own storage. */
  declare clone: () => Tensor;

  /**
   * Back-propagates from this tensor: from a scalar (one element) by default, or with an
   * explicit upstream gradient of this tensor's shape. Gradients accumulate into `.grad` of
   * the leaves that require grad; the tape of this graph is released afterwards.
   */
  declare backward: (grad?: Tensor) => void;
}
