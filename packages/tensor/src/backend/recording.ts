/**
 * What the backend writes down while a step is traced for `compile()` (`src/capture/`): the
 * commands it encodes, the parameter slots whose values are re-computed at every replay, the
 * buffers and storages the step created, and the first thing it did that a replay could not
 * repeat. The backend, the pool and the storages fill it in; `src/capture/trace.ts` reads it.
 */

/** One recorded compute dispatch: everything its re-encoding needs, resolved once. */
export interface RecordedDispatch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly x: number;
  readonly y: number;
  readonly z: number;
  /** The buffers bound (a bind group does not say), to check them before a replay. */
  readonly buffers: readonly GPUBuffer[];
}

/** One recorded buffer-to-buffer copy. */
export interface RecordedCopy {
  readonly src: GPUBuffer;
  readonly dst: GPUBuffer;
  readonly size: number;
  readonly srcOffset: number;
  readonly dstOffset: number;
}

export type RecordedCommand = RecordedDispatch | RecordedCopy;

/** A chunk of parameter slots owned by one capture: per-call values are re-written here. */
export interface ParamChunk {
  readonly buffer: GPUBuffer;
  /** The chunk's contents on the host, written to the GPU in one queue write per replay. */
  readonly bytes: Uint8Array;
  used: number;
}

/** A parameter slot whose words are re-computed before every replay. */
export interface ParamRefresh {
  readonly chunk: ParamChunk;
  readonly offset: number;
  readonly words: () => Uint32Array;
}

/** The recording of one traced call. */
export class Recording {
  readonly commands: RecordedCommand[] = [];
  /** Buffers the pool handed out while tracing (intermediates and outputs). */
  readonly acquired = new Set<GPUBuffer>();
  /** Storages created while tracing (only their identity is used). */
  readonly storages = new Set<object>();
  readonly chunks: ParamChunk[] = [];
  readonly refreshes: ParamRefresh[] = [];
  /** Host-side work a replay must repeat before it runs (advancing a random generator). */
  readonly effects: (() => void)[] = [];
  /** Why the traced call cannot be replayed: the first thing it did that a replay can't. */
  reason: string | null = null;
  /** Bytes moved by the step's generated kernels (`Device.counters.fusedBytes`). */
  fusedBytes = 0;
  /** > 0 while the backend runs work that belongs to no step (a lazy tensor from before it). */
  paused = 0;

  /** True while encoded commands belong to the step. */
  get active(): boolean {
    return this.paused === 0;
  }

  /** Notes the first reason the call cannot be replayed (the call itself still runs eagerly). */
  fail(reason: string): void {
    this.reason ??= reason;
  }
}

/** Bytes of one capture's parameter chunk. */
export const PARAM_CHUNK_BYTES = 64 * 1024;
