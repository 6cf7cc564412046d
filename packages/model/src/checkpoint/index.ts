/**
 * Host-side checkpoint I/O: safetensors read/write, `torch.save` zip reading with a safe
 * unpickler, and the state-dict normalisation rules of the reference loader.
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
export { type CheckpointFormat, loadCheckpoint, sniffCheckpointFormat } from './load.js';
export { PickleWriter } from './pickle-writer.js';
export {
  encodeSafetensors,
  type HostTensorInput,
  parseSafetensorsHeader,
  readSafetensors,
  type SafetensorsContents,
  type SafetensorsEntry,
  type SafetensorsHeader,
  saveSafetensors,
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
export { readTorchCheckpoint, TORCH_ALLOWED_GLOBALS, TORCH_STORAGE_DTYPES } from './torch.js';
export {
  encodeTorchCheckpoint,
  saveTorchCheckpoint,
  serializeTorchCheckpoint,
  TORCH_ARCHIVE_NAME,
} from './torch-writer.js';
export type {
  Checkpoint,
  CheckpointDType,
  HostTensor,
  HostTensorData,
  ReadOptions,
  TensorMap,
} from './types.js';
export { encodeZip, TORCH_ZIP_ALIGNMENT, type ZipWriteEntry } from './zip-writer.js';
