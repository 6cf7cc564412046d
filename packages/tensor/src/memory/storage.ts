import { backendOf, type Device } from '../device/device.js';
import { BYTES_PER_ELEMENT, type WgslType } from '../dtype.js';
import { poolFor } from './pool.js';

/** One node of a pending elementwise expression (see `src/lazy/fusion.ts`). */
export type LazyNode =
  | {
      readonly kind: 'load';
      readonly storage: Storage;
      readonly type: WgslType;
      /** A one-element input broadcast to every output element. */
      readonly scalar: boolean;
      /**
       * Read transposed in its last two dims: the output is `[..., rows, cols]` and the
       * storage holds `[..., cols, rows]` (a lazy `transpose(-2, -1)`, which a matmul reads
       * in place).
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
  /** Computes a pending storage (installed by lazy/fusion.ts, which imports this module). */
  static realize: (storage: Storage) => void = () => {};

  private constructor(
    readonly device: Device,
    readonly buffer: GPUBuffer,
  ) {}

  /** A fresh storage for `elements` 32-bit elements, from the device's pool. */
  static alloc(device: Device, elements: number, label = 'tensor'): Storage {
    const bytes = Math.max(elements, 1) * BYTES_PER_ELEMENT;
    const storage = new Storage(device, poolFor(device).acquire(bytes, label));
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
    this.refs--;
    if (this.refs === 0) {
      if (!this.device.isLost) {
        const recording = backendOf(this.device).recording;
        if (recording && !recording.storages.has(this)) {
          recording.fail(
            'it disposes a tensor made before the step (one of its inputs, a gradient or a tensor of the previous call); dispose it outside the compiled function',
          );
        }
      }
      // Expressions that read this buffer run now, before the pool can hand it out again.
      this.realizeReaders();
      this.dropPending();
      poolFor(this.device).release(this.buffer);
    }
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
    this.takePending();
  }

  /** Computes every pending expression that loads this storage. */
  realizeReaders(): void {
    if (!this.readers || this.readers.size === 0) return;
    for (const reader of [...this.readers]) Storage.realize(reader);
  }
}
