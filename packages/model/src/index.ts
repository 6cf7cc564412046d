/**
 * `@trm/model`: the Tiny Recursive Model and its checkpoint I/O.
 *
 * @packageDocumentation
 */

// --- Checkpoints (src/checkpoint) ------------------------------------------------------------
// safetensors read/write, torch.save (zip) reading with a safe unpickler, state-dict rules.
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
  encodeTorchCheckpoint,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  f32ToHalfBits,
  type HostTensor,
  type HostTensorData,
  type HostTensorInput,
  halfBitsToF32,
  loadCheckpoint,
  normalizeStateDict,
  PUZZLE_EMB_KEY,
  parseSafetensorsHeader,
  type ReadOptions,
  readSafetensors,
  readTorchCheckpoint,
  resizePuzzleEmbedding,
  type SafetensorsContents,
  type SafetensorsEntry,
  type SafetensorsHeader,
  STATE_DICT_PREFIXES,
  saveSafetensors,
  saveTorchCheckpoint,
  serializeSafetensors,
  serializeTorchCheckpoint,
  sniffCheckpointFormat,
  stripStateDictPrefix,
  type TensorMap,
  TORCH_ALLOWED_GLOBALS,
  TORCH_STORAGE_DTYPES,
} from './checkpoint/index.js';
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
  type ExportableStateDict,
  exportTorchCheckpoint,
  readExportableStateDict,
} from './export-checkpoint.js';
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
} from './model/act.js';
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
  readCheckpointMetadata,
  readModelCheckpoint,
  saveModelCheckpoint,
} from './model-checkpoint.js';
export { type ComputePrecision, type PrecisionChoice, precisionFor } from './precision.js';
