/**
 * Everything `@trm/model` exports that runs in a browser as in Node: the model, its config and
 * loss, and checkpoints read from or written to bytes in memory. The Node entry point
 * (`index.ts`) adds file access and the `torch.save` format; `browser.ts` is this alone.
 */

// --- Checkpoints (src/checkpoint) ------------------------------------------------------------
// safetensors parsing and encoding over bytes, dtype conversions, state-dict rules.
export {
  bf16ToF32,
  type Checkpoint,
  type CheckpointDType,
  CheckpointError,
  type CheckpointFormat,
  CheckpointFormatError,
  CheckpointSecurityError,
  DTYPE_SIZE,
  encodeSafetensors,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  f32ToHalfBits,
  type HostTensor,
  type HostTensorData,
  type HostTensorInput,
  halfBitsToF32,
  normalizeStateDict,
  PUZZLE_EMB_KEY,
  parseSafetensorsHeader,
  type ReadOptions,
  resizePuzzleEmbedding,
  type SafetensorsContents,
  type SafetensorsEntry,
  type SafetensorsHeader,
  STATE_DICT_PREFIXES,
  serializeSafetensors,
  sniffCheckpointFormat,
  stripStateDictPrefix,
  type TensorMap,
} from './checkpoint/portable.js';
// --- end Checkpoints -------------------------------------------------------------------------

// --- Model (src/config.ts, src/model) --------------------------------------------------------
export {
  ModelConfigError,
  puzzlePositions,
  resolveTrmConfig,
  TRM_DEFAULTS,
  type TrmConfig,
} from './config.js';
export {
  type ActCarry,
  ActModel,
  drawExploration,
  type ExplorationDraws,
  type HostBatch,
  haltsByQHead,
  type StepOptions,
  type StepResult,
  TinyRecursiveModel,
} from './model/act.js';
export { actSteps } from './model/act-steps.js';
export { ModuleList, ReasoningModule, TrmBlock } from './model/block.js';
export { type DeviceBatch, type InnerCarry, type InnerOutput, TrmInner } from './model/inner.js';
export {
  bceWithLogitsSum,
  IGNORE_LABEL,
  oneHot,
  type StepMetrics,
  softmaxCrossEntropy,
  stablemaxCrossEntropy,
  stepMetrics,
} from './model/loss.js';
// --- end Model -------------------------------------------------------------------------------
export {
  type CheckpointMeta,
  checkpointBudget,
  type LoadedModelCheckpoint,
  loadWeightsInto,
  type ReadModelOptions,
  readModelCheckpointBytes,
} from './model-checkpoint-bytes.js';
