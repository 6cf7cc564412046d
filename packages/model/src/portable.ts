/**
 * Everything `@trm/model` exports that runs in a browser as in Node: the model, its config and
 * loss, and checkpoints read from or written to bytes in memory. The Node entry point
 * (`index.ts`) adds file access and the `torch.save` format; `browser.ts` is this alone.
 */

// --- Checkpoints (src/checkpoint) ------------------------------------------------------------
// safetensors parsing and encoding over bytes, dtype conversions, state-dict rules.
export {
  appendPuzzleEmbeddingRows,
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

// --- Model (src/architectures.ts, src/config.ts, src/model) ----------------------------------
export {
  ARCHITECTURES,
  type Architecture,
  type ArchitectureKind,
  type ArchKey,
  architectureByName,
  architectureChoices,
  DEFAULT_ARCH_NAME,
  groupOfStateDict,
  HIER6_SLOTS,
  MODULE_PREFIXES,
  referenceName,
} from './architectures.js';
export {
  architectureOf,
  ModelConfigError,
  puzzlePositions,
  resolveTrmConfig,
  TRM_DEFAULTS,
  type TrmConfig,
  undeclaredKeys,
} from './config.js';
export {
  type ActCarry,
  ActModel,
  drawExploration,
  type ExplorationDraws,
  type HostBatch,
  haltsByQHead,
  type ModelOptions,
  type StepOptions,
  type StepResult,
  TinyRecursiveModel,
  trainsContinueHead,
} from './model/act.js';
export { actSteps } from './model/act-steps.js';
export { ModuleList, ReasoningModule, TrmBlock } from './model/block.js';
export { createInner } from './model/create-inner.js';
export { HrmInner } from './model/hrm.js';
export {
  type DeviceBatch,
  type InnerCarry,
  InnerModel,
  type InnerOutput,
  TrmInner,
} from './model/inner.js';
export {
  bceWithLogitsSum,
  IGNORE_LABEL,
  oneHot,
  type StepMetrics,
  softmaxCrossEntropy,
  stablemaxCrossEntropy,
  stepMetrics,
} from './model/loss.js';
export { TransformerBaselineInner } from './model/transformer-baseline.js';
export { Hier6Inner } from './model/trm-hier6.js';
export { SingleZInner } from './model/trm-singlez.js';
// --- end Model -------------------------------------------------------------------------------
export {
  type CheckpointMeta,
  checkpointBudget,
  type LoadedModelCheckpoint,
  loadWeightsInto,
  type ReadModelOptions,
  readModelCheckpointBytes,
} from './model-checkpoint-bytes.js';
export { type ComputePrecision, type PrecisionChoice, precisionFor } from './precision.js';
