/**
 * Host-side checkpoint I/O: safetensors read/write, `torch.save` zip reading with a safe
 * unpickler, and the state-dict normalisation rules of the reference loader. The part that
 * also runs in a browser is `portable.ts`; the rest reads and writes files or needs zlib.
 */

export { removeOwnTemporaries } from './atomic.js';
export { loadCheckpoint } from './load.js';
export { PickleWriter } from './pickle-writer.js';
export * from './portable.js';
export { readSafetensors, saveSafetensors } from './safetensors-file.js';
export { readTorchCheckpoint, TORCH_ALLOWED_GLOBALS, TORCH_STORAGE_DTYPES } from './torch.js';
export {
  encodeTorchCheckpoint,
  saveTorchCheckpoint,
  serializeTorchCheckpoint,
  TORCH_ARCHIVE_NAME,
} from './torch-writer.js';
export { encodeZip, TORCH_ZIP_ALIGNMENT, type ZipWriteEntry } from './zip-writer.js';
