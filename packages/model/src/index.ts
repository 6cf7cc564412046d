/**
 * `@trm/model`: the Tiny Recursive Model and its checkpoint I/O.
 *
 * @packageDocumentation
 */

// --- Node only: files and the torch.save format (the browser entry leaves these out) --------
export {
  encodeTorchCheckpoint,
  loadCheckpoint,
  readSafetensors,
  readTorchCheckpoint,
  removeOwnTemporaries,
  saveSafetensors,
  saveTorchCheckpoint,
  serializeTorchCheckpoint,
  TORCH_ALLOWED_GLOBALS,
  TORCH_STORAGE_DTYPES,
} from './checkpoint/index.js';
export {
  type ExportableStateDict,
  exportTorchCheckpoint,
  readExportableStateDict,
} from './export-checkpoint.js';
export {
  readCheckpointMetadata,
  readModelCheckpoint,
  saveModelCheckpoint,
} from './model-checkpoint.js';
export * from './portable.js';
