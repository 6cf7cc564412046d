/**
 * The checkpoint code that runs anywhere, a browser included: safetensors parsing and
 * encoding over bytes, dtype conversions, the state-dict rules and the errors. File access
 * and the `torch.save` format (zlib) are Node's: see `index.ts`.
 */

export {
  bf16ToF32,
  DTYPE_SIZE,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  f32ToHalfBits,
  halfBitsToF32,
} from './dtype.js';
export {
  CheckpointError,
  CheckpointFormatError,
  CheckpointSecurityError,
} from './errors.js';
export { type CheckpointFormat, sniffCheckpointFormat } from './format.js';
export {
  encodeSafetensors,
  type HostTensorInput,
  parseSafetensorsHeader,
  type SafetensorsContents,
  type SafetensorsEntry,
  type SafetensorsHeader,
  serializeSafetensors,
} from './safetensors.js';
export {
  appendPuzzleEmbeddingRows,
  normalizeStateDict,
  PUZZLE_EMB_KEY,
  resizePuzzleEmbedding,
  STATE_DICT_PREFIXES,
  stripStateDictPrefix,
} from './state-dict.js';
export type {
  Checkpoint,
  CheckpointDType,
  HostTensor,
  HostTensorData,
  ReadOptions,
  TensorMap,
} from './types.js';
