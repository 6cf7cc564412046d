import { type Device, gridFor } from '@trm/tensor';
import { EMA_WGSL } from './kernels.js';
import { FlatState, type ParamSlot, packRecords } from './slots.js';

/**
 * Exponential moving average of the trainable parameters (spec §7): a shadow copy initialised
 * from the parameters, updated after every optimiser step as `shadow = (1-μ)·p + μ·shadow`.
 * Evaluation and checkpoints read the shadow; training never sees it.
 */
export class Ema {
  private readonly state: FlatState;
  private readonly pipeline: GPUComputePipeline;

  constructor(
    private readonly device: Device,
    params: readonly ParamSlot[],
    readonly rate = 0.999,
  ) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`Ema: rate must be in [0, 1], got ${rate}`);
    this.state = new FlatState(device, params, 1, 'Ema');
    this.pipeline = device.pipeline(EMA_WGSL, 'main', 'Ema');
    // Start from the current parameters.
    for (const p of params) {
      const seg = this.state.segment(p.name, 'Ema');
      device.copy(p.value, this.state.buffers[0]!, p.size * 4, 0, seg.offset * 4);
    }
    device.submit();
  }

  /** Folds the current parameter values into the shadow. */
  update(params: readonly ParamSlot[]): void {
    const scalars = this.device.upload(
      new Uint8Array(
        packRecords(
          params.map((p) => [this.rate, 1 - this.rate, p.size]),
          ['f32', 'f32', 'u32'],
        ),
      ),
      'ema.scalars',
    );
    params.forEach((p, i) => {
      const seg = this.state.segment(p.name, 'Ema');
      this.device.dispatch(
        this.pipeline,
        [
          { buffer: scalars, offset: i * 256, size: 16 },
          { buffer: p.value, size: p.size * 4 },
          { buffer: this.state.buffers[0]!, offset: seg.offset * 4, size: p.size * 4 },
        ],
        gridFor(p.size, this.device.limits.maxComputeWorkgroupsPerDimension),
      );
    });
    this.device.submit();
    scalars.destroy();
  }

  /** Copies the shadow into the given buffers (for example a separate evaluation model). */
  copyTo(targets: readonly ParamSlot[]): void {
    for (const p of targets) {
      const seg = this.state.segment(p.name, 'Ema');
      this.device.copy(this.state.buffers[0]!, p.value, p.size * 4, seg.offset * 4, 0);
    }
    this.device.submit();
  }

  /** The shadow weights per parameter name, read back to the host. */
  async stateDict(): Promise<Record<string, Float32Array>> {
    return (await this.state.toRecord())[0]!;
  }

  /** Restores a saved shadow. */
  loadStateDict(shadow: Record<string, Float32Array>): void {
    this.state.load([shadow], 'Ema');
  }
}
