import { type AdapterInfo, Backend, type ComputeLimits, type GpuTime } from '../backend/backend.js';
import type { DeviceOptions } from './options.js';

export type { AdapterInfo, ComputeLimits, GpuTime } from '../backend/backend.js';

/**
 * The backend of every device. Kept off the public object so that no GPU buffer, pipeline or
 * command encoder is reachable from outside the package: other packages run their kernels
 * through `customOp`, over tensors.
 */
const backends = new WeakMap<Device, Backend>();

/** @internal The private backend of a device; for `@trm/tensor`'s own modules only. */
export function backendOf(device: Device): Backend {
  const backend = backends.get(device);
  if (!backend) throw new TypeError('not a Device opened by Device.open()');
  return backend;
}

/**
 * One WebGPU device, opened through Dawn (or the browser's `navigator.gpu`).
 *
 * Work on tensors is encoded into a pending batch and reaches the GPU when a value is read
 * back (`await t.data()`), when the batch grows long, or at {@link Device.sync}. WebGPU
 * validation and out-of-memory errors surface as thrown errors at the next read or sync.
 */
export class Device {
  private constructor(backend: Backend) {
    backends.set(this, backend);
  }

  /**
   * Opens a device. Throws `NoAdapterError` with the fix for this platform when no adapter is
   * available.
   */
  static async open(options: DeviceOptions = {}): Promise<Device> {
    return new Device(await Backend.open(options));
  }

  /** What the adapter says about itself. */
  get adapterInfo(): AdapterInfo {
    return backendOf(this).adapterInfo;
  }

  /** The limits granted to this device (the adapter's maxima). */
  get limits(): Readonly<ComputeLimits> {
    return backendOf(this).limits;
  }

  /** Optional features enabled on this device (`shader-f16`, `timestamp-query`, `subgroups`). */
  get features(): ReadonlySet<string> {
    return backendOf(this).features;
  }

  /** True once the device has been lost or destroyed. */
  get isLost(): boolean {
    return backendOf(this).isLost;
  }

  /** Number of distinct compiled kernels held in the cache. */
  get pipelineCount(): number {
    return backendOf(this).pipelineCount;
  }

  /** Dispatches and copies encoded since the last submission (for profiling and tests). */
  get pendingCommands(): number {
    return backendOf(this).pendingCommands;
  }

  /**
   * Commands encoded since the device was opened: compute dispatches, buffer copies and
   * submissions, and `fusedBytes`, the bytes the generated (fused elementwise, view and
   * reduction) kernels read and wrote, each input buffer counted whole. Benchmarks read it
   * before and after a step to count its kernels and their memory traffic.
   */
  get counters(): Readonly<{
    dispatches: number;
    copies: number;
    submits: number;
    fusedBytes: number;
  }> {
    return { ...backendOf(this).counters };
  }

  /**
   * Starts counting dispatches per kernel name (`on = true`, from zero) or stops and returns
   * the counts, most frequent first: where a step's kernels go, for profiling.
   */
  countKernels(on: boolean): [string, number][] {
    const backend = backendOf(this);
    const counts = [...(backend.kernelCounts ?? [])].sort((a, b) => b[1] - a[1]);
    backend.kernelCounts = on ? new Map() : null;
    return counts;
  }

  /**
   * Starts measuring kernel time: the GPU time of every compute pass encoded from now on, by
   * timestamp queries. Returns false, measuring nothing, when the device lacks
   * `timestamp-query`. For benchmarks: it adds a query resolution and a read to every batch.
   */
  startGpuTimer(): boolean {
    return backendOf(this).startGpuTimer();
  }

  /** Stops measuring and returns the summed kernel time since {@link Device.startGpuTimer}. */
  stopGpuTimer(): Promise<GpuTime> {
    return backendOf(this).stopGpuTimer();
  }

  /** Sends all encoded work to the GPU without waiting for it. */
  submit(): void {
    backendOf(this).submit();
  }

  /** Submits pending work, waits for the GPU to finish it, and throws any error it raised. */
  sync(): Promise<void> {
    return backendOf(this).sync();
  }

  /** Destroys the device and frees every GPU resource; the object is unusable afterwards. */
  destroy(): void {
    backendOf(this).destroy();
  }
}
