import { backendOf, type Device } from '../device/device.js';
import { BYTES_PER_ELEMENT, type WgslType } from '../dtype.js';
import { poolFor } from './pool.js';

/**
 * How the elements of a domain (an expression's output, or a reduction's input) read a buffer:
 * element `i`, split into coordinates over `shape` (row-major), reads
 * `offset + Σ coord[d] · strides[d]`. Broadcasts (stride 0), permutations and slices are maps.
 */
export interface IndexMap {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** One node of a pending expression (see `src/lazy/fusion.ts`). */
export type LazyNode =
  | {
      readonly kind: 'load';
      readonly storage: Storage;
      readonly type: WgslType;
      /** A one-element input broadcast to every output element. */
      readonly scalar: boolean;
      /**
       * The index maps the domain's element index goes through, outermost first; none when
       * element `i` reads element `i`. A view of a pending view composes its maps.
       */
      readonly maps?: readonly IndexMap[];
      /**
       * Set on a lazy `transpose(-2, -1)` of a computed storage: the output is
       * `[..., rows, cols]` and the storage holds `[..., cols, rows]`, which a matmul reads in
       * place.
       */
      readonly transpose?: { readonly rows: number; readonly cols: number };
    }
  | {
      readonly kind: 'op';
      /** WGSL in terms of `a`, `b`, `c` (the args), `s` (the scalar) and `T` (the input type). */
      readonly expr: string;
      readonly args: readonly LazyNode[];
      readonly tin: WgslType;
      readonly tout: WgslType;
      /** The expression is a WGSL bool, stored as 0u/1u. */
      readonly boolOut: boolean;
      /** The bits of the scalar `s`, or null when the expression has none. */
      readonly scalarBits: number | null;
    }
  | {
      /**
       * A sum or maximum of `arg` (an expression over the input, viewed as `[outer, r, inner]`)
       * over `r`: element `o` of the output folds `arg` at `(o / inner)·r·inner + o % inner +
       * j·inner` for `j` in `[0, r)`, in order.
       */
      readonly kind: 'reduce';
      readonly op: 'sum' | 'max';
      readonly type: WgslType;
      readonly arg: LazyNode;
      readonly r: number;
      readonly inner: number;
    };

/** The not-yet-computed contents of a storage: an expression over other storages. */
export interface Pending {
  readonly node: LazyNode;
  /** Elements to compute. */
  readonly size: number;
  readonly type: WgslType;
  /**
   * Every storage the expression loads. They are not retained: a storage computes its pending
   * readers before it is released or written, so memory is freed exactly when it would be
   * without fusion.
   */
  readonly loads: readonly Storage[];
  /** Distinct nodes of the expression (a bound on the generated kernel's size). */
  readonly nodes: number;
  /** The expression contains a reduction (it is not recomputed per element of a broadcast). */
  readonly reduces: boolean;
}

/**
 * A pooled GPU buffer shared by a tensor and its views (reshape, detach), reference-counted:
 * the buffer returns to the pool when the last tensor using it is disposed.
 *
 * Its contents may be *pending*: an elementwise expression not yet run, computed by one fused
 * kernel when something needs the buffer (see `src/lazy/fusion.ts`).
 */
export class Storage {
  private refs = 1;
  /** The expression that will fill this storage, or null once computed. */
  pending: Pending | null = null;
  /** Pending storages whose expressions load this one. */
  readers: Set<Storage> | null = null;
  /** Released, its buffer kept for the pending readers still loading it. */
  private orphaned = false;
  /** Computes a pending storage (installed by lazy/fusion.ts, which imports this module). */
  static realize: (storage: Storage) => void = () => {};

  private constructor(
    readonly device: Device,
    readonly buffer: GPUBuffer,
    /** The 32-bit elements it holds. */
    readonly elements: number,
  ) {}

  /** A fresh storage for `elements` 32-bit elements, from the device's pool. */
  static alloc(device: Device, elements: number, label = 'tensor'): Storage {
    const bytes = Math.max(elements, 1) * BYTES_PER_ELEMENT;
    const storage = new Storage(device, poolFor(device).acquire(bytes, label), elements);
    backendOf(device).recording?.storages.add(storage);
    return storage;
  }

  /** True while some tensor (or a compiled step) still uses this storage. */
  get isLive(): boolean {
    return this.refs > 0;
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (!this.drop()) return;
    // Expressions that read this buffer run now, before the pool can hand it out again.
    this.realizeReaders();
    this.free();
  }

  /**
   * Like {@link release}, but a buffer that pending expressions still load stays allocated
   * until the last of them is computed or dropped, instead of computing them now: for the
   * temporaries of a composite op, whose result (still pending) reads them.
   */
  releaseAfterReaders(): void {
    if (!this.drop()) return;
    if (this.readers && this.readers.size > 0) this.orphaned = true;
    else this.free();
  }

  /** Drops one reference; true when it was the last. */
  private drop(): boolean {
    this.refs--;
    if (this.refs !== 0) return false;
    if (!this.device.isLost) {
      const recording = backendOf(this.device).recording;
      if (recording && !recording.storages.has(this)) {
        recording.fail(
          'it disposes a tensor made before the step (one of its inputs, a gradient or a tensor of the previous call); dispose it outside the compiled function',
        );
      }
    }
    return true;
  }

  private free(): void {
    this.dropPending();
    poolFor(this.device).release(this.buffer);
  }

  /** Gives this storage pending contents. */
  setPending(pending: Pending): void {
    this.pending = pending;
    for (const s of pending.loads) {
      s.readers ??= new Set();
      s.readers.add(this);
    }
  }

  /** Takes the pending contents off (to compute them or to forget them). */
  takePending(): Pending | null {
    const pending = this.pending;
    if (pending) {
      this.pending = null;
      for (const s of pending.loads) s.readers?.delete(this);
    }
    return pending;
  }

  /** Forgets pending contents that will never be needed (overwritten, or freed). */
  dropPending(): void {
    const pending = this.takePending();
    if (pending) Storage.freeOrphans(pending);
  }

  /**
   * Frees the released storages that `pending` (taken off its storage, and computed or
   * dropped) was the last reader of. Called after its kernel is encoded.
   */
  static freeOrphans(pending: Pending): void {
    for (const s of pending.loads) if (s.orphaned && !s.readers?.size) s.free();
  }

  /** Computes every pending expression that loads this storage. */
  realizeReaders(): void {
    if (!this.readers || this.readers.size === 0) return;
    for (const reader of [...this.readers]) Storage.realize(reader);
  }
}
