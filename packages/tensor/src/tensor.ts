import { runBackward } from './autograd/engine.js';
import type { GradNode } from './autograd/tape.js';
import type { Binding, Device } from './device/device.js';
import type { DType, TensorData } from './dtype.js';
import { AutogradError, DisposedTensorError, DTypeError, ShapeError } from './errors.js';
import { keep, type Scoped, track, untrack } from './memory/scope.js';
import type { Storage } from './memory/storage.js';
import * as bin from './ops/binary.js';
import { cast } from './ops/cast.js';
import { gather } from './ops/indexing.js';
import { type MatmulOptions, matmul } from './ops/matmul.js';
import * as red from './ops/reduce.js';
import * as shp from './ops/shape.js';
import { logSoftmax, softmax } from './ops/softmax.js';
import * as un from './ops/unary.js';
import { assertSameDevice } from './ops/util.js';

/** A nested array of numbers (or booleans), as returned by `toArray()`. */
export type NestedArray = number | boolean | NestedArray[];

let nextId = 1;

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

  /**
   * The GPU buffer holding the data: elements `0..size-1`, row-major, one 32-bit word each.
   * The buffer may be larger than the data, so bind {@link binding} (exactly the data's bytes)
   * to kernels that use `arrayLength`. This is the escape hatch for custom kernels (see README).
   */
  get buffer(): GPUBuffer {
    this.assertLive();
    return this.storage.buffer;
  }

  /** `{ buffer, offset: 0, size: byteLength }`: the tensor's data as a kernel binding. */
  get binding(): Binding {
    return { buffer: this.buffer, offset: 0, size: Math.max(this.byteLength, 4) };
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
    if (this.disposed) return;
    this.disposed = true;
    untrack(this);
    this.storage.release();
    this.setNode(null);
    this.gradTensor?.dispose();
    this.gradTensor = null;
  }

  /** Exempts this tensor from every `tidy()` scope (it lives until `dispose()`). */
  keep(): this {
    return keep(this);
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

  /**
   * Back-propagates from this tensor: from a scalar (one element) by default, or with an
   * explicit upstream gradient of this tensor's shape. Gradients accumulate into `.grad` of
   * the leaves that require grad; the tape of this graph is released afterwards.
   */
  backward(grad?: Tensor): void {
    runBackward(this, grad);
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
    if (this.dtype === 'f32') {
      return n === 0 ? new Float32Array(0) : this.device.read(this.buffer, Float32Array, n);
    }
    if (this.dtype === 'i32') {
      return n === 0 ? new Int32Array(0) : this.device.read(this.buffer, Int32Array, n);
    }
    const words =
      n === 0 ? new Uint32Array(0) : await this.device.read(this.buffer, Uint32Array, n);
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
   * Copies the values of `source` (same shape and dtype) into this tensor's buffer, in
   * stream order. Not recorded by autograd: use it on leaves, e.g. in optimiser updates.
   */
  assign(source: Tensor): this {
    this.assertLive();
    source.assertLive();
    assertSameDevice('assign', [this, source]);
    if (source.dtype !== this.dtype) {
      throw new DTypeError(`assign: ${source.describe()} into ${this.describe()}: dtypes differ.`);
    }
    if (source.shape.join() !== this.shape.join()) {
      throw new ShapeError(`assign: ${source.describe()} into ${this.describe()}: shapes differ.`);
    }
    if (source.storage !== this.storage && this.size > 0) {
      this.device.copy(source.buffer, this.buffer, this.byteLength);
    }
    return this;
  }

  // ---------------------------------------------------------------------------------------
  // Elementwise

  add(other: Tensor | number): Tensor {
    return bin.add(this, other);
  }
  sub(other: Tensor | number): Tensor {
    return bin.sub(this, other);
  }
  mul(other: Tensor | number): Tensor {
    return bin.mul(this, other);
  }
  div(other: Tensor | number): Tensor {
    return bin.div(this, other);
  }
  maximum(other: Tensor | number): Tensor {
    return bin.maximum(this, other);
  }
  minimum(other: Tensor | number): Tensor {
    return bin.minimum(this, other);
  }
  atan2(other: Tensor | number): Tensor {
    return bin.atan2(this, other);
  }
  /** `this ** exponent` (a number or a tensor). */
  pow(exponent: Tensor | number): Tensor {
    return bin.pow(this, exponent);
  }
  eq(other: Tensor | number): Tensor {
    return bin.eq(this, other);
  }
  ne(other: Tensor | number): Tensor {
    return bin.ne(this, other);
  }
  lt(other: Tensor | number): Tensor {
    return bin.lt(this, other);
  }
  le(other: Tensor | number): Tensor {
    return bin.le(this, other);
  }
  gt(other: Tensor | number): Tensor {
    return bin.gt(this, other);
  }
  ge(other: Tensor | number): Tensor {
    return bin.ge(this, other);
  }
  logicalAnd(other: Tensor): Tensor {
    return bin.logicalAnd(this, other);
  }
  logicalOr(other: Tensor): Tensor {
    return bin.logicalOr(this, other);
  }
  logicalXor(other: Tensor): Tensor {
    return bin.logicalXor(this, other);
  }
  logicalNot(): Tensor {
    return un.logicalNot(this);
  }
  neg(): Tensor {
    return un.neg(this);
  }
  exp(): Tensor {
    return un.exp(this);
  }
  log(): Tensor {
    return un.log(this);
  }
  sqrt(): Tensor {
    return un.sqrt(this);
  }
  rsqrt(): Tensor {
    return un.rsqrt(this);
  }
  square(): Tensor {
    return un.square(this);
  }
  abs(): Tensor {
    return un.abs(this);
  }
  sign(): Tensor {
    return un.sign(this);
  }
  sigmoid(): Tensor {
    return un.sigmoid(this);
  }
  silu(): Tensor {
    return un.silu(this);
  }
  tanh(): Tensor {
    return un.tanh(this);
  }
  relu(): Tensor {
    return un.relu(this);
  }
  sin(): Tensor {
    return un.sin(this);
  }
  cos(): Tensor {
    return un.cos(this);
  }
  reciprocal(): Tensor {
    return un.reciprocal(this);
  }
  /** Converts to another dtype (a copy; f32 → i32 truncates toward zero). */
  cast(dtype: DType): Tensor {
    return cast(this, dtype);
  }
  /** `where(this, a, b)`: elements of `a` where this bool tensor is true, else of `b`. */
  where(a: Tensor | number, b: Tensor | number): Tensor {
    return bin.where(this, a, b);
  }

  // ---------------------------------------------------------------------------------------
  // Reductions (axis may be negative; all axes when omitted)

  sum(axis?: number | readonly number[], keepdim = false): Tensor {
    return red.sum(this, axis, keepdim);
  }
  mean(axis?: number | readonly number[], keepdim = false): Tensor {
    return red.mean(this, axis, keepdim);
  }
  max(axis?: number, keepdim = false): Tensor {
    return red.max(this, axis, keepdim);
  }
  min(axis?: number, keepdim = false): Tensor {
    return red.min(this, axis, keepdim);
  }
  argmax(axis?: number, keepdim = false): Tensor {
    return red.argmax(this, axis, keepdim);
  }
  argmin(axis?: number, keepdim = false): Tensor {
    return red.argmin(this, axis, keepdim);
  }
  softmax(axis = -1): Tensor {
    return softmax(this, axis);
  }
  logSoftmax(axis = -1): Tensor {
    return logSoftmax(this, axis);
  }

  // ---------------------------------------------------------------------------------------
  // Linear algebra and indexing

  /** Batched matrix product with broadcast batch dims; see {@link matmul}. */
  matmul(other: Tensor, options: MatmulOptions = {}): Tensor {
    return matmul(this, other, options);
  }
  /** Rows of this 2-D table selected by an i32 tensor of ids: shape `[...ids.shape, D]`. */
  gather(ids: Tensor): Tensor {
    return gather(this, ids);
  }

  // ---------------------------------------------------------------------------------------
  // Shape

  /** Same data, new shape (a view; one dimension may be -1). */
  reshape(shape: readonly number[]): Tensor {
    return shp.reshape(this, shape);
  }
  flatten(): Tensor {
    return shp.reshape(this, [this.size]);
  }
  squeeze(axis?: number): Tensor {
    return shp.squeeze(this, axis);
  }
  unsqueeze(axis: number): Tensor {
    return shp.unsqueeze(this, axis);
  }
  permute(...dims: number[]): Tensor {
    return shp.permute(this, dims);
  }
  transpose(dim0 = -2, dim1 = -1): Tensor {
    return shp.transpose(this, dim0, dim1);
  }
  /** Sub-ranges per dimension: `[start, end]` (end exclusive, negatives count from the end), or `null` for all. */
  slice(ranges: readonly (readonly [number, number?] | null)[]): Tensor {
    return shp.slice(this, ranges);
  }
  /** `length` entries of `axis` from `start`. */
  narrow(axis: number, start: number, length: number): Tensor {
    return shp.narrow(this, axis, start, length);
  }
  /** Pads with `value`: `widths[d] = [before, after]` for the leading dims given. */
  pad(widths: readonly (readonly [number, number])[], value = 0): Tensor {
    return shp.pad(this, widths, value);
  }
  split(sizes: number | readonly number[], axis = 0): Tensor[] {
    return shp.split(this, sizes, axis);
  }
  chunk(chunks: number, axis = 0): Tensor[] {
    return shp.chunk(this, chunks, axis);
  }
  broadcastTo(shape: readonly number[]): Tensor {
    return shp.broadcastTo(this, shape);
  }
  /** A copy with its own storage. */
  clone(): Tensor {
    return shp.clone(this);
  }
}
