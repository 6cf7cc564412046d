import { backendOf, type Device } from '../device/device.js';

/** Memory counters of one device's tensor allocator. */
export interface MemoryStats {
  /** Bytes of GPU buffers currently owned by live tensors (size-class bytes). */
  liveBytes: number;
  /** Highest `liveBytes` seen since the pool was created (or `resetPeak()`). */
  peakBytes: number;
  /** Number of GPU buffers currently owned by live tensors. */
  liveBuffers: number;
  /** Bytes of free buffers the pool keeps for reuse. */
  pooledBytes: number;
  /** Bytes of intermediates owned by compiled steps (`compile()`), outside the pool. */
  capturedBytes: number;
}

/**
 * A pool of GPU storage buffers by size class, one per device.
 *
 * Sizes round up to a power of two (at least 256 bytes) below 64 MiB and to a multiple of
 * 16 MiB above, so a training loop that allocates the same shapes every step reuses the
 * same buffers and memory stays flat.
 *
 * Reuse safety: a released buffer may still be read or written by work that is encoded but
 * not yet submitted. Handing it out again is still safe, because every use of a pooled buffer
 * goes through the device's single command stream, which runs in encoding order: a kernel
 * encoded later that overwrites the buffer runs after the earlier kernels that read it. The
 * only writes that bypass the stream are queue writes, and `Device.write()` submits pending
 * work before it writes. Buffers are only destroyed by {@link BufferPool.trim}, which submits
 * pending work first.
 */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  /** Creation order of the pool's buffers (see {@link canonicalize}). */
  private readonly order = new WeakMap<GPUBuffer, number>();
  /**
   * Which hand-out of a buffer is current (0 while it is free): a captured step checks that
   * the tensors it was traced with still hold the buffers it binds.
   */
  private readonly generations = new WeakMap<GPUBuffer, number>();
  private handedOut = 0;
  private created = 0;
  private live = 0;
  private peak = 0;
  private count = 0;
  private pooled = 0;
  private held = 0;

  constructor(readonly device: Device) {}

  /** Rounds a byte length up to its size class. */
  static sizeClass(bytes: number): number {
    const n = Math.max(bytes, 256);
    if (n <= 64 * 1024 * 1024) return 2 ** Math.ceil(Math.log2(n));
    const chunk = 16 * 1024 * 1024;
    return Math.ceil(n / chunk) * chunk;
  }

  /** A buffer of at least `bytes` bytes, reused from the pool when one is free. */
  acquire(bytes: number, label = 'tensor'): GPUBuffer {
    const size = BufferPool.sizeClass(bytes);
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (buffer) {
      this.pooled -= size;
    } else {
      buffer = backendOf(this.device).createBuffer(size, label);
      this.order.set(buffer, this.created++);
    }
    this.live += size;
    this.count++;
    if (this.live > this.peak) this.peak = this.live;
    this.generations.set(buffer, ++this.handedOut);
    backendOf(this.device).recording?.acquired.add(buffer);
    return buffer;
  }

  /** The current hand-out of a pool buffer: 0 when free, undefined when not the pool's. */
  generationOf(buffer: GPUBuffer): number | undefined {
    return this.generations.get(buffer);
  }

  /**
   * Takes a free buffer out of the pool for good (a captured step's intermediates, which
   * nothing else may reuse between its replays). False when the buffer is not free.
   */
  take(buffer: GPUBuffer): boolean {
    const list = this.free.get(buffer.size);
    const i = list?.indexOf(buffer) ?? -1;
    if (i < 0) return false;
    list!.splice(i, 1);
    this.pooled -= buffer.size;
    this.held += buffer.size;
    return true;
  }

  /** Gives back a buffer {@link take} took (the capture that held it was released). */
  giveBack(buffer: GPUBuffer): void {
    this.held -= buffer.size;
    if (!this.device.isLost) this.pushFree(buffer);
  }

  /** Returns a buffer to the pool. */
  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    this.generations.set(buffer, 0);
    this.live -= size;
    this.count--;
    if (!this.device.isLost) this.pushFree(buffer);
  }

  /** Puts a buffer on the free list of its size. */
  private pushFree(buffer: GPUBuffer): void {
    let list = this.free.get(buffer.size);
    if (!list) {
      list = [];
      this.free.set(buffer.size, list);
    }
    list.push(buffer);
    this.pooled += buffer.size;
  }

  /**
   * Puts every free list in creation order, so the next buffers handed out depend only on
   * which buffers are free, not on the order they were released in. Called when the host waits
   * for the GPU (a read): a training loop then hands each op the same buffers every step, so
   * its kernels' bind groups come from the cache instead of being created again (the dearest
   * part of encoding a small kernel). Without it, the release order of one step permutes the
   * next step's buffers, and the permutation rarely repeats.
   */
  canonicalize(): void {
    const order = (b: GPUBuffer) => this.order.get(b) ?? -1;
    // pop() takes from the end: the oldest buffer last in the list.
    for (const list of this.free.values()) list.sort((a, b) => order(b) - order(a));
  }

  /** Destroys every free buffer (after submitting pending work that may still use them). */
  trim(): void {
    if (!this.device.isLost) {
      const backend = backendOf(this.device);
      // A traced step may reuse the buffers it freed: they must not be destroyed under it.
      backend.recording?.fail('it releases pooled memory (releasePooledMemory()) inside the step');
      backend.submit();
    }
    for (const list of this.free.values()) for (const buffer of list) buffer.destroy();
    this.free.clear();
    // Cached bind groups may name the destroyed buffers.
    backendOf(this.device).forgetBindGroups();
    this.pooled = 0;
  }

  stats(): MemoryStats {
    return {
      liveBytes: this.live,
      peakBytes: this.peak,
      liveBuffers: this.count,
      pooledBytes: this.pooled,
      capturedBytes: this.held,
    };
  }

  /** Sets the peak back to the current live bytes. */
  resetPeak(): void {
    this.peak = this.live;
  }
}

const pools = new WeakMap<Device, BufferPool>();

/** The buffer pool of a device (created on first use). */
export function poolFor(device: Device): BufferPool {
  let pool = pools.get(device);
  if (!pool) {
    pool = new BufferPool(device);
    pools.set(device, pool);
  }
  return pool;
}
