import { type Device, gridFor } from '@trm/tensor';
import { ADAM_ATAN2_WGSL, ADAMW_WGSL } from './kernels.js';
import { FlatState, type ParamSlot, packRecords } from './slots.js';

/** Hyper-parameters shared by {@link AdamATan2} and {@link AdamW} (reference defaults). */
export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  weightDecay?: number;
}

/** What {@link AdamATan2.stateDict} returns: enough to continue bit-for-bit. */
export interface AdamState {
  step: number;
  /** First and second moments per parameter name. */
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

abstract class FusedAdam {
  /** Steps taken so far; the next `step()` uses t = step + 1 in the bias corrections. */
  stepCount = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly weightDecay: number;
  private readonly state: FlatState;
  private readonly pipeline: GPUComputePipeline;

  protected constructor(
    protected readonly device: Device,
    params: readonly Pick<ParamSlot, 'name' | 'size'>[],
    options: AdamOptions,
    private readonly label: string,
    source: string,
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.95;
    this.weightDecay = options.weightDecay ?? 0.1;
    for (const [k, v] of [
      ['beta1', this.beta1],
      ['beta2', this.beta2],
    ] as const) {
      if (!(v >= 0 && v < 1)) throw new RangeError(`${label}: ${k} must be in [0, 1), got ${v}`);
    }
    if (!(this.weightDecay >= 0))
      throw new RangeError(`${label}: weightDecay must be ≥ 0, got ${this.weightDecay}`);
    this.state = new FlatState(device, params, 2, label);
    this.pipeline = device.pipeline(source, 'main', label);
  }

  protected abstract extraScalars(): number[];

  /**
   * Applies one update to every parameter with a gradient, at learning rate `lr`. All
   * parameters' updates are encoded into one batch: one upload of scalars, one dispatch per
   * parameter tensor, no host round trip.
   */
  step(params: readonly ParamSlot[], lr: number): void {
    if (!Number.isFinite(lr))
      throw new RangeError(`${this.label}: learning rate must be finite, got ${lr}`);
    this.stepCount += 1;
    const t = this.stepCount;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    const live = params.filter((p) => p.grad !== null);
    const records = live.map((p) => [
      1 - lr * this.weightDecay,
      lr / bc1,
      1 - this.beta1,
      1 - this.beta2,
      Math.sqrt(bc2),
      p.size,
      ...this.extraScalars(),
    ]);
    const kinds = ['f32', 'f32', 'f32', 'f32', 'f32', 'u32', 'f32', 'f32'] as const;
    const scalars = this.device.upload(
      new Uint8Array(packRecords(records, kinds)),
      `${this.label}.scalars`,
    );
    const [m, v] = this.state.buffers as [GPUBuffer, GPUBuffer];
    live.forEach((p, i) => {
      const seg = this.state.segment(p.name, this.label);
      if (seg.size !== p.size) {
        throw new Error(
          `${this.label}: parameter "${p.name}" has ${p.size} elements, but ${seg.size} when the optimiser was built`,
        );
      }
      const bytes = p.size * 4;
      this.device.dispatch(
        this.pipeline,
        [
          { buffer: scalars, offset: i * 256, size: 32 },
          { buffer: p.value, size: bytes },
          { buffer: p.grad!, size: bytes },
          { buffer: m, offset: seg.offset * 4, size: bytes },
          { buffer: v, offset: seg.offset * 4, size: bytes },
        ],
        gridFor(p.size, this.device.limits.maxComputeWorkgroupsPerDimension),
      );
    });
    this.device.submit();
    scalars.destroy();
  }

  /** Reads the moments back (async) with the step count. */
  async stateDict(): Promise<AdamState> {
    const [m, v] = (await this.state.toRecord()) as [
      Record<string, Float32Array>,
      Record<string, Float32Array>,
    ];
    return { step: this.stepCount, m, v };
  }

  /** Restores what {@link stateDict} returned. */
  loadStateDict(state: AdamState): void {
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new Error(
        `${this.label}: saved step count must be a non-negative integer, got ${state.step}`,
      );
    }
    this.state.load([state.m, state.v], this.label);
    this.stepCount = state.step;
  }
}

/**
 * AdamATan2, the optimiser of the TRM reference (spec §7): Adam whose update is
 * `atan2(m̂, sqrt(v̂))`, so it needs no epsilon and is bounded by π/2·lr, with decoupled
 * weight decay. One fused WGSL kernel per parameter tensor.
 */
export class AdamATan2 extends FusedAdam {
  constructor(
    device: Device,
    params: readonly Pick<ParamSlot, 'name' | 'size'>[],
    options: AdamOptions = {},
  ) {
    super(device, params, options, 'AdamATan2', ADAM_ATAN2_WGSL);
  }

  protected extraScalars(): number[] {
    return [];
  }
}

/** AdamW (PyTorch semantics, decoupled weight decay), as an alternative to {@link AdamATan2}. */
export class AdamW extends FusedAdam {
  readonly eps: number;

  constructor(
    device: Device,
    params: readonly Pick<ParamSlot, 'name' | 'size'>[],
    options: AdamOptions & { eps?: number } = {},
  ) {
    super(device, params, options, 'AdamW', ADAMW_WGSL);
    this.eps = options.eps ?? 1e-8;
  }

  protected extraScalars(): number[] {
    return [this.eps, this.beta2];
  }
}
