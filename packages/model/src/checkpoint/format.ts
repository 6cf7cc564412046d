/** A checkpoint format as recognised from the first bytes of a file. */
export type CheckpointFormat = 'safetensors' | 'torch' | 'torch-legacy' | 'unknown';

/**
 * Recognises a format from a file's first (up to) 9 bytes: `PK\x03\x04` (or an empty archive's
 * `PK\x05\x06`) is a torch.save zip, an 8-byte little-endian length followed by `{` a
 * safetensors file, and a pickle `PROTO` byte a legacy torch file. Safetensors is tried before
 * the pickle: a header of 640 bytes starts with the bytes `80 02`, like a pickle.
 */
export function sniffCheckpointFormat(head: Uint8Array): CheckpointFormat {
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return 'torch';
  if (head.length >= 9 && head[8] === 0x7b) return 'safetensors';
  if (head[0] === 0x80 && head[1] !== undefined && head[1] <= 5) return 'torch-legacy';
  return 'unknown';
}
