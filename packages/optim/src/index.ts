/**
 * `@trm/optim`: the optimisers of TRM training on WebGPU — fused AdamATan2 (and AdamW), the
 * sparse sign-SGD of the puzzle embeddings, learning-rate schedules and the parameter EMA.
 *
 * @packageDocumentation
 */
export { AdamATan2, type AdamOptions, type AdamState, AdamW } from './adam.js';
export { Ema } from './ema.js';
export { GradScaler, type GradScalerOptions, type GradScalerState } from './grad-scaler.js';
export type { Parameters } from './params.js';
export {
  type CosineScheduleOptions,
  constantLr,
  cosineWithWarmup,
  createSchedule,
  type LrSchedule,
  registerSchedule,
} from './schedule.js';
export {
  groupRowsById,
  type SignSgdOptions,
  type SparseGrad,
  SparseSignSGD,
} from './sign-sgd.js';
