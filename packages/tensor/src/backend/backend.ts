import {
  DeviceLostError,
  GpuError,
  GpuOutOfMemoryError,
  GpuValidationError,
  lostError,
  NoAdapterError,
} from '../device/errors.js';
import { gpuSource } from '../device/gpu-source.js';
import { type DeviceOptions, validateOptions } from '../device/options.js';
import {
  PARAM_CHUNK_BYTES,
  type ParamChunk,
  type RecordedCommand,
  type Recording,
} from './recording.js';

/** Typed arrays the device can upload and read back. */
export type GpuTypedArray = Float32Array | Int32Array | Uint32Array | Uint8Array;
type TypedArrayCtor<T extends GpuTypedArray> = {
  new (buffer: ArrayBuffer): T;
  BYTES_PER_ELEMENT: number;
};

/** What the adapter says about itself. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for software adapters such as Mesa's lavapipe. */
  isFallbackAdapter: boolean;
}

/** A buffer bound to a kernel: the whole buffer, or a byte range of it. */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

/** Limits a compute workload cares about; all taken at the adapter's maximum. */
const COMPUTE_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxBindGroups',
  'maxBindingsPerBindGroup',
] as const;
export type ComputeLimits = Record<(typeof COMPUTE_LIMITS)[number], number>;

/**
 * The private WebGPU backend of one {@link Device}: the only code that touches GPU buffers,
 * pipelines, bind groups, parameter slots, error scopes and submission. Nothing outside
 * `@trm/tensor` can reach it; kernels reach the GPU through `launch()` (the one path that
 * encodes a dispatch), and other packages through `customOp`.
 *
 * Execution model: `dispatch()` and `copy()` only *encode* work into a pending command
 * encoder; the work reaches the GPU when `submit()` is called, or implicitly when a value is
 * read back with `read()`. WebGPU validation and out-of-memory errors are collected with
 * error scopes around each batch and thrown from the next `submit()`/`read()`/`sync()`, so an
 * error is never just a console line.
 */
export class Backend {
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private scopeOpen = false;
  private readonly pendingChecks: Promise<GpuError | undefined>[] = [];
  /** Compiled kernels by entry point, then by WGSL source. */
  private readonly pipelines = new Map<string, Map<string, GPUComputePipeline>>();
  private pipelineTotal = 0;
  /**
   * Bind groups by pipeline and bound ranges. Pooled buffers come back for the next op, so a
   * loop re-binds the same few ranges and a hit saves a `createBindGroup` call, by far the
   * dearest part of encoding a small kernel. Bounded; cleared by {@link forgetBindGroups}.
   */
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  /** The bind-group layout of each pipeline. */
  private readonly layouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();
  /** Small ids of pipelines and buffers, for bind-group keys. */
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  /** Buffers that live for one batch (parameter arenas): their bind groups are not cached. */
  private readonly transient = new WeakSet<GPUBuffer>();
  /** Parameter slots by content: immutable, shared by every dispatch with the same values. */
  private readonly constants = new Map<
    string,
    { buffer: GPUBuffer; offset: number; size: number }
  >();
  private constantChunk: { buffer: GPUBuffer; used: number } | undefined;
  private readonly constantChunks: GPUBuffer[] = [];
  /** The pipeline last set on the open compute pass. */
  private passPipeline: GPUComputePipeline | undefined;
  private lost: DeviceLostError | undefined;
  /** Kernel-parameter arenas of the current batch: mapped while encoding, unmapped at submit. */
  private arena: { buffer: GPUBuffer; bytes: Uint8Array; used: number } | undefined;
  private readonly arenas: GPUBuffer[] = [];
  private encodedCommands = 0;
  /** Totals since the device was opened, for benchmarks and tests. */
  readonly counters = { dispatches: 0, copies: 0, submits: 0, fusedBytes: 0 };
  /** Dispatches per kernel label, while counting is on. */
  kernelCounts: Map<string, number> | null = null;
  private uncaptured: GpuError | undefined;
  /** Kernel time by timestamp queries, between {@link startGpuTimer} and {@link stopGpuTimer}. */
  private timer: GpuTimer | undefined;
  /** The step being traced by `compile()`, if any (see `src/capture/`). */
  recording: Recording | undefined;

  private constructor(
    /** The underlying WebGPU device, for code that needs the raw API. Keep error scopes balanced. */
    readonly gpu: GPUDevice,
    readonly adapterInfo: AdapterInfo,
    /** The limits granted to this device (the adapter's maxima). */
    readonly limits: Readonly<ComputeLimits>,
    /** Optional features enabled on this device. */
    readonly features: ReadonlySet<string>,
  ) {
    gpu.lost.then((info) => {
      this.lost = lostError(info);
    });
    gpu.addEventListener?.('uncapturederror', (event: Event) => {
      this.uncaptured ??= toGpuError((event as GPUUncapturedErrorEvent).error, 'uncaptured');
    });
  }

  /**
   * Opens a device. Throws {@link NoAdapterError} with the fix for this platform when no
   * adapter is available.
   */
  static async open(options: DeviceOptions = {}): Promise<Backend> {
    validateOptions(options);
    const source = gpuSource();
    const gpu = await source.gpu(options);
    const adapter = await gpu.requestAdapter(
      options.powerPreference ? { powerPreference: options.powerPreference } : undefined,
    );
    if (!adapter) {
      const wanted = options.backend ? ` for the "${options.backend}" backend` : '';
      throw new NoAdapterError(`No WebGPU adapter was found${wanted}.\n${source.noAdapterHelp()}`);
    }
    const requiredLimits: Record<string, number> = {};
    for (const key of COMPUTE_LIMITS) {
      const value = (adapter.limits as unknown as Record<string, number | undefined>)[key];
      if (typeof value === 'number') requiredLimits[key] = value;
    }
    const requiredFeatures: GPUFeatureName[] = [];
    if (options.optionalFeatures !== false) {
      for (const f of ['shader-f16', 'timestamp-query', 'subgroups'] as GPUFeatureName[]) {
        if (adapter.features.has(f)) requiredFeatures.push(f);
      }
    }
    let device: GPUDevice;
    try {
      device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'trm' });
    } catch (cause) {
      throw new GpuError(`The adapter refused to open a device: ${(cause as Error).message}`, {
        cause,
      });
    }
    const info = adapter.info;
    const limits = Object.fromEntries(
      COMPUTE_LIMITS.map((k) => [k, (device.limits as unknown as Record<string, number>)[k] ?? 0]),
    ) as ComputeLimits;
    return new Backend(
      device,
      {
        vendor: info.vendor,
        architecture: info.architecture,
        device: info.device,
        description: info.description,
        isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
      },
      Object.freeze(limits),
      new Set([...device.features].map(String)),
    );
  }

  /** True once the device has been lost or destroyed. */
  get isLost(): boolean {
    return this.lost !== undefined;
  }

  /** Creates an uninitialised storage buffer of `byteLength` bytes (rounded up to 4). */
  createBuffer(byteLength: number, label = 'buffer', extraUsage = 0): GPUBuffer {
    this.checkSize(byteLength, label);
    this.openScope();
    return this.gpu.createBuffer({
      label,
      size: align4(Math.max(byteLength, 4)),
      usage:
        GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage,
    });
  }

  /** Creates a storage buffer holding a copy of `data`. */
  upload(data: GpuTypedArray, label = 'upload'): GPUBuffer {
    this.checkSize(data.byteLength, label);
    this.recording?.fail(HOST_DATA);
    this.openScope();
    const buffer = this.gpu.createBuffer({
      label,
      size: align4(Math.max(data.byteLength, 4)),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      mappedAtCreation: true,
    });
    new Uint8Array(buffer.getMappedRange()).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    buffer.unmap();
    return buffer;
  }

  /**
   * Overwrites part of a buffer. Pending work is submitted first, because queue writes run
   * before any command buffer submitted after them and would otherwise overtake it.
   */
  write(buffer: GPUBuffer, data: GpuTypedArray, byteOffset = 0): void {
    this.recording?.fail(HOST_DATA);
    this.submit();
    this.openScope();
    this.gpu.queue.writeBuffer(
      buffer,
      byteOffset,
      data.buffer,
      data.byteOffset,
      align4(data.byteLength),
    );
  }

  /**
   * Compiles a WGSL compute shader (once per distinct source and entry point; later calls hit
   * the cache). Compilation errors are thrown by the next `submit()`/`read()`/`sync()`; use
   * {@link compile} to get them immediately.
   */
  pipeline(code: string, entryPoint = 'main', label = 'kernel'): GPUComputePipeline {
    let pipeline = this.pipelines.get(entryPoint)?.get(code);
    if (!pipeline) {
      this.openScope();
      const module = this.gpu.createShaderModule({ code, label });
      pipeline = this.gpu.createComputePipeline({
        layout: 'auto',
        compute: { module, entryPoint },
        label,
      });
      this.cachePipeline(entryPoint, code, pipeline);
    }
    return pipeline;
  }

  private cachePipeline(entryPoint: string, code: string, pipeline: GPUComputePipeline): void {
    let byCode = this.pipelines.get(entryPoint);
    if (!byCode) {
      byCode = new Map();
      this.pipelines.set(entryPoint, byCode);
    }
    byCode.set(code, pipeline);
    this.pipelineTotal++;
  }

  /** Like {@link pipeline}, but reports WGSL errors at once, with line numbers. */
  async compile(code: string, entryPoint = 'main', label = 'kernel'): Promise<GPUComputePipeline> {
    const cached = this.pipelines.get(entryPoint)?.get(code);
    if (cached) return cached;
    this.throwIfLost();
    const module = this.gpu.createShaderModule({ code, label });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      const lines = errors.map((m) => `  line ${m.lineNum}:${m.linePos}: ${m.message}`);
      throw new GpuValidationError(`WGSL kernel "${label}" does not compile:\n${lines.join('\n')}`);
    }
    try {
      const pipeline = await this.gpu.createComputePipelineAsync({
        layout: 'auto',
        compute: { module, entryPoint },
        label,
      });
      this.cachePipeline(entryPoint, code, pipeline);
      return pipeline;
    } catch (cause) {
      throw new GpuValidationError(
        `Kernel "${label}" could not be built: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }

  /** Number of distinct compiled kernels held in the cache. */
  get pipelineCount(): number {
    return this.pipelineTotal;
  }

  /**
   * Encodes one dispatch of `pipeline` with `bindings` at @group(0) @binding(0..n-1) in order.
   * The work runs at the next `submit()`.
   */
  dispatch(
    pipeline: GPUComputePipeline,
    bindings: readonly Binding[],
    workgroups: readonly [number, number?, number?],
  ): void {
    this.openScope();
    const bindGroup = this.bindGroup(pipeline, bindings);
    const x = workgroups[0];
    const y = workgroups[1] ?? 1;
    const z = workgroups[2] ?? 1;
    this.encodeDispatch(pipeline, bindGroup, x, y, z);
    if (this.recording?.active) {
      const buffers = bindings.map((b) => (b instanceof GPUBuffer ? b : b.buffer));
      this.recording.commands.push({ pipeline, bindGroup, x, y, z, buffers });
    }
  }

  /** One dispatch into the open compute pass (opened here if need be), counted. */
  private encodeDispatch(
    pipeline: GPUComputePipeline,
    bindGroup: GPUBindGroup,
    x: number,
    y: number,
    z: number,
  ): void {
    if (!this.pass) {
      this.pass = this.commandEncoder().beginComputePass(this.timer?.passDescriptor());
      this.passPipeline = undefined;
    }
    if (this.passPipeline !== pipeline) {
      this.pass.setPipeline(pipeline);
      this.passPipeline = pipeline;
    }
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(x, y, z);
    this.encodedCommands++;
    this.counters.dispatches++;
    if (this.kernelCounts) {
      const label = pipeline.label || 'kernel';
      this.kernelCounts.set(label, (this.kernelCounts.get(label) ?? 0) + 1);
    }
  }

  /** One buffer-to-buffer copy (after ending the compute pass), counted. */
  private encodeCopy(
    src: GPUBuffer,
    dst: GPUBuffer,
    size: number,
    srcOffset: number,
    dstOffset: number,
  ): void {
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
    this.encodedCommands++;
    this.counters.copies++;
  }

  /** The bind group of `bindings` for `pipeline`, from the cache when the same ranges were bound before. */
  private bindGroup(pipeline: GPUComputePipeline, bindings: readonly Binding[]): GPUBindGroup {
    let key = `${this.idOf(pipeline)}`;
    let cacheable = true;
    for (const b of bindings) {
      if (b instanceof GPUBuffer) {
        if (this.transient.has(b)) cacheable = false;
        key += `|${this.idOf(b)}`;
      } else {
        if (this.transient.has(b.buffer)) cacheable = false;
        key += `|${this.idOf(b.buffer)}:${b.offset ?? 0}:${b.size ?? ''}`;
      }
    }
    let group = cacheable ? this.bindGroups.get(key) : undefined;
    if (group) return group;
    let layout = this.layouts.get(pipeline);
    if (!layout) {
      // Each getBindGroupLayout() call makes a new layout object: ask once per pipeline.
      layout = pipeline.getBindGroupLayout(0);
      this.layouts.set(pipeline, layout);
    }
    group = this.gpu.createBindGroup({
      layout,
      entries: bindings.map((b, binding) =>
        b instanceof GPUBuffer
          ? { binding, resource: { buffer: b } }
          : { binding, resource: { buffer: b.buffer, offset: b.offset ?? 0, size: b.size } },
      ),
    });
    if (cacheable) {
      if (this.bindGroups.size >= BIND_GROUP_CACHE) {
        // Drop the oldest entry (Map iterates in insertion order).
        this.bindGroups.delete(this.bindGroups.keys().next().value as string);
      }
      this.bindGroups.set(key, group);
    }
    return group;
  }

  /**
   * Drops cached bind groups, so that they no longer hold buffers alive. Call after
   * destroying buffers that kernels were bound to (the tensor pool does so when it trims).
   */
  forgetBindGroups(): void {
    this.bindGroups.clear();
  }

  private idOf(object: object): number {
    let id = this.ids.get(object);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(object, id);
    }
    return id;
  }

  /**
   * A small read-only storage binding holding `data` (kernel parameters: sizes, strides,
   * scalars). Parameters of one batch share one mapped arena buffer, unmapped at `submit()` and
   * destroyed once the batch is submitted, so they cost no allocation per dispatch. Valid for
   * bindings encoded before the next `submit()` only.
   */
  params(
    data: GpuTypedArray,
    varying = false,
    refresh?: () => Uint32Array,
  ): { buffer: GPUBuffer; offset: number; size: number } {
    this.throwIfLost();
    const size = align4(Math.max(data.byteLength, 16));
    // Values that change every call (a learning rate) would fill the shared slots with one-off
    // entries, so they go to the batch's arena.
    if (!varying && size <= CONSTANT_SLOT_BYTES && data.byteLength % 4 === 0) {
      const constant = this.constant(data, size);
      if (constant) return constant;
    }
    // A traced step keeps its own slots: the arena is gone after the batch, and a replay
    // re-writes the slots whose values are computed per call.
    if (this.recording?.active)
      return this.recordedParams(this.recording, data, size, varying, refresh);
    if (!this.arena || this.arena.used + size > this.arena.bytes.byteLength) {
      this.openScope();
      const capacity = Math.max(PARAMS_ARENA_BYTES, align256(size));
      const buffer = this.gpu.createBuffer({
        label: 'params',
        size: capacity,
        // Kernels bind parameters as storage or as a uniform (matmul): both come from here.
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.UNIFORM,
        mappedAtCreation: true,
      });
      this.arena = { buffer, bytes: new Uint8Array(buffer.getMappedRange()), used: 0 };
      this.arenas.push(buffer);
      this.transient.add(buffer);
    }
    const arena = this.arena;
    const offset = arena.used;
    arena.bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    arena.used = align256(offset + size);
    return { buffer: arena.buffer, offset, size };
  }

  /** A slot in the traced step's own parameter chunks (see {@link params}). */
  private recordedParams(
    recording: Recording,
    data: GpuTypedArray,
    size: number,
    varying: boolean,
    refresh: (() => Uint32Array) | undefined,
  ): { buffer: GPUBuffer; offset: number; size: number } {
    let chunk = recording.chunks[recording.chunks.length - 1];
    if (!chunk || chunk.used + size > chunk.bytes.byteLength) {
      this.openScope();
      const capacity = Math.max(PARAM_CHUNK_BYTES, align256(size));
      const buffer = this.gpu.createBuffer({
        label: 'captured-params',
        size: capacity,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      chunk = { buffer, bytes: new Uint8Array(capacity), used: 0 };
      recording.chunks.push(chunk);
    }
    const offset = chunk.used;
    chunk.bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    chunk.used = align256(offset + size);
    // A fresh slot no earlier command reads: writing it now cannot overtake pending work.
    this.gpu.queue.writeBuffer(
      chunk.buffer,
      offset,
      chunk.bytes.buffer,
      offset,
      align4(data.byteLength),
    );
    if (refresh) recording.refreshes.push({ chunk, offset, words: refresh });
    else if (varying) {
      recording.fail(
        'a kernel takes per-call parameters as fixed values (customOp varyingParams with a params array); give customOp params as a function, so a replay can compute them again',
      );
    }
    return { buffer: chunk.buffer, offset, size };
  }

  /**
   * The shared, immutable slot holding `data` (written once, by a queue write, which runs
   * before the command buffer that first uses it). Kernels launched with the same parameters
   * — every step of a training loop — bind the same slot, so their bind groups are cached
   * too. Undefined once {@link MAX_CONSTANT_SLOTS} distinct values are held.
   */
  private constant(
    data: GpuTypedArray,
    size: number,
  ): { buffer: GPUBuffer; offset: number; size: number } | undefined {
    const words = new Uint32Array(data.buffer, data.byteOffset, data.byteLength / 4);
    const key = `${size}:${words.join(',')}`;
    let slot = this.constants.get(key);
    if (slot) return slot;
    if (this.constants.size >= MAX_CONSTANT_SLOTS) return undefined;
    this.openScope();
    if (
      !this.constantChunk ||
      this.constantChunk.used + CONSTANT_SLOT_BYTES > CONSTANT_CHUNK_BYTES
    ) {
      const buffer = this.gpu.createBuffer({
        label: 'constants',
        size: CONSTANT_CHUNK_BYTES,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      this.constantChunk = { buffer, used: 0 };
      this.constantChunks.push(buffer);
    }
    const chunk = this.constantChunk;
    slot = { buffer: chunk.buffer, offset: chunk.used, size };
    chunk.used += CONSTANT_SLOT_BYTES;
    this.gpu.queue.writeBuffer(
      chunk.buffer,
      slot.offset,
      data.buffer,
      data.byteOffset,
      data.byteLength,
    );
    this.constants.set(key, slot);
    return slot;
  }

  /** Dispatches and copies encoded since the last `submit()`. */
  get pendingCommands(): number {
    return this.encodedCommands;
  }

  /** Encodes a buffer-to-buffer copy (sizes and offsets in bytes, multiples of 4). */
  copy(src: GPUBuffer, dst: GPUBuffer, byteLength: number, srcOffset = 0, dstOffset = 0): void {
    this.openScope();
    const size = align4(byteLength);
    this.encodeCopy(src, dst, size, srcOffset, dstOffset);
    if (this.recording?.active) {
      this.recording.commands.push({ src, dst, size, srcOffset, dstOffset });
    }
  }

  /**
   * Counts the bytes a generated kernel moves (see `Device.counters`); a traced step keeps
   * its total, which each replay adds again.
   */
  noteFusedBytes(bytes: number): void {
    this.counters.fusedBytes += bytes;
    if (this.recording?.active) this.recording.fusedBytes += bytes;
  }

  /**
   * Encodes a traced step's commands again, as they were recorded: the same pipelines, bind
   * groups, dispatch sizes and copies, with none of the per-op work that first produced them.
   */
  replay(commands: readonly RecordedCommand[]): void {
    this.openScope();
    for (const c of commands) {
      if ('pipeline' in c) this.encodeDispatch(c.pipeline, c.bindGroup, c.x, c.y, c.z);
      else this.encodeCopy(c.src, c.dst, c.size, c.srcOffset, c.dstOffset);
    }
  }

  /**
   * Writes a capture's parameter chunk (its per-call values) in stream order: after all work
   * encoded so far, before anything encoded later.
   */
  writeParams(chunk: ParamChunk): void {
    this.submit();
    this.openScope();
    this.gpu.queue.writeBuffer(
      chunk.buffer,
      0,
      chunk.bytes.buffer,
      chunk.bytes.byteOffset,
      chunk.used,
    );
  }

  /** Frees a capture's parameter chunks. */
  releaseParams(chunks: readonly ParamChunk[]): void {
    if (!this.isLost) this.submit();
    for (const c of chunks) c.buffer.destroy();
  }

  /** Sends all encoded work to the GPU. Errors of the batch surface at the next `sync()`/`read()`. */
  submit(): void {
    this.throwIfLost();
    for (const buffer of this.arenas) buffer.unmap();
    this.arena = undefined;
    if (this.encoder) {
      this.endPass();
      const readback = this.timer?.resolve(this.encoder);
      const commands = this.encoder.finish();
      this.encoder = undefined;
      this.gpu.queue.submit([commands]);
      this.counters.submits++;
      if (readback) this.timer?.collect(readback);
    }
    // Destroying after submit is safe: WebGPU frees them once the submitted work is done.
    for (const buffer of this.arenas.splice(0)) buffer.destroy();
    this.encodedCommands = 0;
    this.closeScope();
  }

  /** Submits pending work, waits for the GPU to finish it, and throws any error it raised. */
  async sync(): Promise<void> {
    this.submit();
    await this.gpu.queue.onSubmittedWorkDone();
    await this.throwPendingErrors();
  }

  /**
   * Reads `length` elements (default: the whole buffer) of a buffer back to the host, after all
   * work encoded so far.
   */
  async read<T extends GpuTypedArray>(
    buffer: GPUBuffer,
    ctor: TypedArrayCtor<T>,
    length?: number,
    elementOffset = 0,
  ): Promise<T> {
    const bytes = ctor.BYTES_PER_ELEMENT;
    const byteLength = (length ?? Math.floor(buffer.size / bytes) - elementOffset) * bytes;
    if (byteLength < 0 || elementOffset * bytes + byteLength > buffer.size) {
      throw new RangeError(
        `read of ${byteLength} bytes at element ${elementOffset} is outside buffer "${buffer.label}" (${buffer.size} bytes)`,
      );
    }
    this.recording?.fail(
      'it reads a tensor back to the host (data(), item(), toArray()) in the middle of the step; read the outputs after the call instead',
    );
    const staging = this.gpu.createBuffer({
      label: 'readback',
      size: align4(Math.max(byteLength, 4)),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      this.copy(buffer, staging, byteLength, elementOffset * bytes, 0);
      this.submit();
      await this.throwPendingErrors();
      await staging.mapAsync(GPUMapMode.READ).catch((cause: Error) => {
        this.throwIfLost();
        throw new GpuError(`Reading buffer "${buffer.label}" back failed: ${cause.message}`, {
          cause,
        });
      });
      const out = new ctor(
        staging.getMappedRange(0, align4(Math.max(byteLength, 4))).slice(0, byteLength),
      );
      staging.unmap();
      return out;
    } finally {
      staging.destroy();
    }
  }

  /**
   * Starts summing the GPU time of every compute pass from the next one on, by timestamp
   * queries written at the start and end of each pass. False (and nothing measured) when the
   * device lacks `timestamp-query`.
   */
  startGpuTimer(): boolean {
    if (!this.features.has('timestamp-query')) return false;
    // Work already encoded belongs to nobody's measurement: send it off untimed.
    this.submit();
    this.timer?.dispose();
    this.timer = new GpuTimer(this.gpu);
    return true;
  }

  /**
   * Stops the timer: waits for the GPU to finish the measured work and returns its compute
   * passes' summed time. Passes past the query budget of a batch are counted as untimed.
   */
  async stopGpuTimer(): Promise<GpuTime> {
    const timer = this.timer;
    if (!timer) return { ms: 0, passes: 0, untimedPasses: 0 };
    this.submit();
    this.timer = undefined;
    try {
      return await timer.total();
    } finally {
      timer.dispose();
    }
  }

  /** Destroys the device and frees every GPU resource; the object is unusable afterwards. */
  destroy(): void {
    this.timer?.dispose();
    this.timer = undefined;
    this.encoder = undefined;
    this.pass = undefined;
    this.arena = undefined;
    this.arenas.length = 0;
    this.pipelines.clear();
    this.bindGroups.clear();
    this.constants.clear();
    this.constantChunk = undefined;
    this.constantChunks.length = 0;
    this.gpu.destroy();
    this.lost ??= new DeviceLostError('The WebGPU device was destroyed.', 'destroyed');
  }

  private commandEncoder(): GPUCommandEncoder {
    this.encoder ??= this.gpu.createCommandEncoder({ label: 'trm-batch' });
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = undefined;
      this.passPipeline = undefined;
    }
  }

  private checkSize(byteLength: number, label: string): void {
    this.throwIfLost();
    if (!Number.isSafeInteger(byteLength) || byteLength < 0) {
      throw new RangeError(
        `Buffer "${label}" needs a non-negative integer size, got ${byteLength}.`,
      );
    }
    if (byteLength > this.limits.maxBufferSize) {
      throw new GpuOutOfMemoryError(
        `Buffer "${label}" of ${byteLength} bytes exceeds this device's maxBufferSize (${this.limits.maxBufferSize} bytes).`,
      );
    }
  }

  private openScope(): void {
    this.throwIfLost();
    if (this.scopeOpen) return;
    this.gpu.pushErrorScope('out-of-memory');
    this.gpu.pushErrorScope('validation');
    this.scopeOpen = true;
  }

  private closeScope(): void {
    if (!this.scopeOpen) return;
    this.scopeOpen = false;
    const validation = this.gpu.popErrorScope();
    const oom = this.gpu.popErrorScope();
    this.pendingChecks.push(
      Promise.all([validation, oom]).then(
        ([v, o]) => (v ? toGpuError(v, 'validation') : o ? toGpuError(o, 'oom') : undefined),
        () => this.lost ?? new DeviceLostError('The WebGPU device was lost.', 'unknown'),
      ),
    );
  }

  private async throwPendingErrors(): Promise<void> {
    this.closeScope();
    const results = await Promise.all(this.pendingChecks.splice(0));
    const first = results.find((e) => e !== undefined) ?? this.uncaptured;
    this.uncaptured = undefined;
    if (first) throw first;
    this.throwIfLost();
  }

  private throwIfLost(): void {
    if (this.lost) throw this.lost;
  }
}

/** GPU time measured by {@link Backend.stopGpuTimer}. */
export interface GpuTime {
  /** Summed time of the timed compute passes, in milliseconds. */
  ms: number;
  /** Compute passes timed. */
  passes: number;
  /** Compute passes that ran past a batch's query budget, so are not in {@link ms}. */
  untimedPasses: number;
}

/** A batch's resolved timestamps on their way back to the host. */
interface TimerReadback {
  resolved: GPUBuffer;
  buffer: GPUBuffer;
  count: number;
}

/**
 * Timestamp queries around the compute passes of each submitted batch: a pair per pass in one
 * query set, resolved into a buffer at submit and read back asynchronously. Measuring is for
 * benchmarks: every batch costs a resolve, a copy and a mapped read.
 */
class GpuTimer {
  private readonly querySet: GPUQuerySet;
  private used = 0;
  private untimed = 0;
  private timed = 0;
  private ns = 0;
  private readonly reads: Promise<void>[] = [];

  constructor(private readonly gpu: GPUDevice) {
    this.querySet = gpu.createQuerySet({ type: 'timestamp', count: 2 * TIMED_PASSES });
  }

  /** The descriptor of the next compute pass: timed while the batch has queries left. */
  passDescriptor(): GPUComputePassDescriptor | undefined {
    if (this.used >= 2 * TIMED_PASSES) {
      this.untimed++;
      return undefined;
    }
    const begin = this.used;
    this.used += 2;
    return {
      timestampWrites: {
        querySet: this.querySet,
        beginningOfPassWriteIndex: begin,
        endOfPassWriteIndex: begin + 1,
      },
    };
  }

  /** Encodes the batch's query resolution; returns the buffer to read after submission. */
  resolve(encoder: GPUCommandEncoder): TimerReadback | undefined {
    const count = this.used;
    if (count === 0) return undefined;
    this.used = 0;
    const resolved = this.gpu.createBuffer({
      size: count * 8,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    const buffer = this.gpu.createBuffer({
      size: count * 8,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    encoder.resolveQuerySet(this.querySet, 0, count, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, buffer, 0, count * 8);
    return { resolved, buffer, count };
  }

  /** Adds a submitted batch's pass times once the GPU has written them. */
  collect({ resolved, buffer, count }: TimerReadback): void {
    // Destroying after submit is safe: WebGPU frees it once the submitted work is done.
    resolved.destroy();
    this.reads.push(
      buffer.mapAsync(GPUMapMode.READ).then(
        () => {
          const t = new BigInt64Array(buffer.getMappedRange(0, count * 8));
          for (let i = 0; i < count; i += 2) {
            const d = Number(t[i + 1]! - t[i]!);
            // A driver may report a pass it did not time as 0 or as going backwards.
            if (d > 0) this.ns += d;
            this.timed++;
          }
          buffer.unmap();
          buffer.destroy();
        },
        () => buffer.destroy(),
      ),
    );
  }

  async total(): Promise<GpuTime> {
    await Promise.all(this.reads.splice(0));
    return { ms: this.ns / 1e6, passes: this.timed, untimedPasses: this.untimed };
  }

  dispose(): void {
    this.querySet.destroy();
  }
}

/** Compute passes timed per batch (a step has a few dozen: a pass ends at every buffer copy). */
const TIMED_PASSES = 2048;

function toGpuError(error: GPUError, kind: 'validation' | 'oom' | 'uncaptured'): GpuError {
  const message = error.message.trim();
  if (kind === 'oom' || error.constructor?.name === 'GPUOutOfMemoryError') {
    return new GpuOutOfMemoryError(`The GPU ran out of memory: ${message}`);
  }
  return new GpuValidationError(`WebGPU rejected an operation: ${message}`);
}

const PARAMS_ARENA_BYTES = 64 * 1024;
const HOST_DATA =
  'it uploads host data inside the step (tensor(), assign() from an array, a random tensor made on the CPU); make those tensors before the call and pass them in as inputs';
/** Bind groups kept by {@link Backend.dispatch}. */
const BIND_GROUP_CACHE = 4096;
/** Parameter slots: 256 bytes (the storage offset alignment), 256 to a 64 KiB chunk. */
const CONSTANT_SLOT_BYTES = 256;
const CONSTANT_CHUNK_BYTES = 64 * 1024;
const MAX_CONSTANT_SLOTS = 8192;

function align256(n: number): number {
  return Math.ceil(n / 256) * 256;
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
