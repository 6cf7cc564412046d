/**
 * Collectives between the workers of one data-parallel run, over a SharedArrayBuffer.
 *
 * Layout: a small Int32 control block (barrier counter, barrier generation, abort flag,
 * failing rank), then one scratch slot per rank and one result slot, each `slotBytes` long.
 * Payloads larger than a slot go through in chunks, so the buffer's size does not depend on
 * the model. Every operation is a fixed sequence of barriers that all ranks run in the same
 * order; sums always add the ranks in rank order, so a reduction is deterministic.
 *
 * Waiting uses `Atomics.waitAsync`, never the blocking `Atomics.wait`: a waiting worker keeps
 * its event loop (GPU callbacks still run), and several ranks can share one thread in tests.
 */

const COUNT = 0;
const GENERATION = 1;
const ABORTED = 2;
const FAILED_RANK = 3;
const CONTROL_BYTES = 64;

/**
 * Thrown in every rank once the run is aborted (another rank failed, or the parent stopped it).
 *
 * @group Errors
 */
export class CollectiveAbortedError extends Error {
  constructor(readonly failedRank: number) {
    super(
      failedRank >= 0
        ? `stopped because rank ${failedRank} failed`
        : 'stopped because the run was aborted',
    );
    this.name = 'CollectiveAbortedError';
  }
}

/** What a worker needs to join the collective: post it through `workerData`. */
export interface CollectiveHandle {
  buffer: SharedArrayBuffer;
  worldSize: number;
  slotBytes: number;
}

/** Allocates the shared buffer for `worldSize` ranks with `slotBytes` of scratch each. */
export function createCollective(worldSize: number, slotBytes = 8 << 20): CollectiveHandle {
  if (!Number.isInteger(worldSize) || worldSize < 1)
    throw new RangeError(`worldSize must be a positive integer, got ${worldSize}`);
  if (!Number.isInteger(slotBytes) || slotBytes < 64 || slotBytes % 8 !== 0)
    throw new RangeError(`slotBytes must be a multiple of 8 and at least 64, got ${slotBytes}`);
  const buffer = new SharedArrayBuffer(CONTROL_BYTES + (worldSize + 1) * slotBytes);
  return { buffer, worldSize, slotBytes };
}

/** Sets the abort flag and wakes every waiting rank (any thread may call it). */
export function abortCollective(handle: CollectiveHandle, failedRank = -1): void {
  const control = new Int32Array(handle.buffer, 0, CONTROL_BYTES / 4);
  if (Atomics.compareExchange(control, ABORTED, 0, 1) === 0) {
    Atomics.store(control, FAILED_RANK, failedRank);
  }
  Atomics.add(control, GENERATION, 1);
  Atomics.notify(control, GENERATION);
}

/** `Atomics.waitAsync` (Node ≥ 16), missing from the ES2022 typings this project compiles with. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

type Numeric = Float32Array | Float64Array | Int32Array;
type NumericCtor<T extends Numeric> = {
  new (buffer: ArrayBufferLike, offset: number, length: number): T;
  BYTES_PER_ELEMENT: number;
};

/** One rank's view of the collective. */
export class Collective {
  readonly worldSize: number;
  private readonly control: Int32Array;
  private readonly slotBytes: number;

  constructor(
    private readonly handle: CollectiveHandle,
    readonly rank: number,
  ) {
    this.worldSize = handle.worldSize;
    this.slotBytes = handle.slotBytes;
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.worldSize)
      throw new RangeError(`rank ${rank} outside 0..${this.worldSize - 1}`);
    this.control = new Int32Array(handle.buffer, 0, CONTROL_BYTES / 4);
  }

  /** True once any rank or the parent aborted the run. */
  get aborted(): boolean {
    return Atomics.load(this.control, ABORTED) === 1;
  }

  /** Aborts the run on behalf of this rank (call it when this rank fails). */
  abort(): void {
    abortCollective(this.handle, this.rank);
  }

  /** Resolves once every rank has called `barrier()` the same number of times. */
  async barrier(): Promise<void> {
    this.throwIfAborted();
    const generation = Atomics.load(this.control, GENERATION);
    if (Atomics.add(this.control, COUNT, 1) === this.worldSize - 1) {
      Atomics.store(this.control, COUNT, 0);
      Atomics.add(this.control, GENERATION, 1);
      Atomics.notify(this.control, GENERATION);
    } else {
      // A pending waitAsync does not keep Node's event loop alive; this timer does.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      try {
        while (Atomics.load(this.control, GENERATION) === generation) {
          const wait = waitAsync(this.control, GENERATION, generation);
          if (wait.async) await wait.value;
        }
      } finally {
        clearInterval(keepAlive);
      }
    }
    this.throwIfAborted();
  }

  /**
   * Sums `data` element-wise over all ranks, in place. Each rank reduces its share of every
   * chunk (in f64, ranks added in order, rounded once), so the work is spread over the workers.
   */
  async allReduceSum<T extends Float32Array | Float64Array>(data: T): Promise<T> {
    const ctor = data.constructor as NumericCtor<T>;
    const per = this.slotElements(ctor);
    for (let start = 0; start < data.length; start += per) {
      const n = Math.min(per, data.length - start);
      this.slot(ctor, this.rank, n).set(data.subarray(start, start + n));
      await this.barrier();
      const lo = Math.floor((n * this.rank) / this.worldSize);
      const hi = Math.floor((n * (this.rank + 1)) / this.worldSize);
      const result = this.slot(ctor, this.worldSize, n);
      const slots = Array.from({ length: this.worldSize }, (_, r) => this.slot(ctor, r, n));
      for (let i = lo; i < hi; i++) {
        let sum = 0;
        for (const s of slots) sum += s[i]!;
        result[i] = sum;
      }
      await this.barrier();
      data.set(result, start);
    }
    return data;
  }

  /** Every rank's `data` (all the same length), concatenated in rank order, on every rank. */
  async allGather<T extends Numeric>(data: T): Promise<T> {
    return (await this.gatherImpl(data, true)) as T;
  }

  /** Like {@link allGather}, but only rank 0 receives the result (others get null). */
  async gather<T extends Numeric>(data: T): Promise<T | null> {
    return this.gatherImpl(data, false);
  }

  /** Overwrites `data` on every rank with rank 0's `data`. */
  async broadcast<T extends Numeric>(data: T): Promise<T> {
    const ctor = data.constructor as NumericCtor<T>;
    const per = this.slotElements(ctor);
    for (let start = 0; start < data.length; start += per) {
      const n = Math.min(per, data.length - start);
      if (this.rank === 0) this.slot(ctor, 0, n).set(data.subarray(start, start + n));
      await this.barrier();
      if (this.rank !== 0) data.set(this.slot(ctor, 0, n), start);
      await this.barrier();
    }
    return data;
  }

  private async gatherImpl<T extends Numeric>(data: T, everyone: boolean): Promise<T | null> {
    const ctor = data.constructor as NumericCtor<T>;
    const per = this.slotElements(ctor);
    const len = data.length;
    const receives = everyone || this.rank === 0;
    const out = receives
      ? new ctor(
          new ArrayBuffer(len * this.worldSize * ctor.BYTES_PER_ELEMENT),
          0,
          len * this.worldSize,
        )
      : null;
    // Always at least one round, so ranks with empty payloads still meet the others.
    for (let start = 0; start < Math.max(len, 1); start += per) {
      const n = Math.min(per, len - start);
      this.slot(ctor, this.rank, n).set(data.subarray(start, start + n));
      await this.barrier();
      if (out) {
        for (let r = 0; r < this.worldSize; r++) out.set(this.slot(ctor, r, n), r * len + start);
      }
      await this.barrier();
    }
    return out;
  }

  private slotElements(ctor: { BYTES_PER_ELEMENT: number }): number {
    return Math.floor(this.slotBytes / ctor.BYTES_PER_ELEMENT);
  }

  private slot<T extends Numeric>(ctor: NumericCtor<T>, index: number, length: number): T {
    return new ctor(this.handle.buffer, CONTROL_BYTES + index * this.slotBytes, length);
  }

  private throwIfAborted(): void {
    if (this.aborted) throw new CollectiveAbortedError(Atomics.load(this.control, FAILED_RANK));
  }
}
