/**
 * What a tensor must be to be loaded as a model weight: floating point (every parameter and
 * buffer of the model is f32; integer data under a weight key means the file is not a
 * checkpoint of this model) and, unless allowed, finite.
 */
import { CheckpointFormatError } from './errors.js';
import type { HostTensor } from './types.js';

/**
 * The f32 values of a weight tensor read from `file`: F32 as is, F64 rounded to f32 (F16/BF16
 * were converted on reading).
 *
 * @throws CheckpointFormatError naming the file and tensor when the tensor is not floating
 *   point, or (unless `allowNonFinite`) holds NaN or infinities, counting them.
 */
export function weightValues(
  file: string,
  name: string,
  tensor: HostTensor,
  allowNonFinite = false,
): Float32Array {
  let values: Float32Array;
  if (tensor.dtype === 'F32' && tensor.data instanceof Float32Array) values = tensor.data;
  else if (tensor.dtype === 'F64' && tensor.data instanceof Float64Array)
    values = Float32Array.from(tensor.data);
  else {
    throw new CheckpointFormatError(
      file,
      `has dtype ${tensor.dtype}, but model weights are floating-point tensors (F32, F64, F16 or BF16): the file is not a checkpoint of this model, or was written with the wrong tensor names`,
      name,
    );
  }
  if (!allowNonFinite) {
    let bad = 0;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) bad++;
    if (bad > 0) {
      const widened = tensor.dtype === 'F64' ? ' (after rounding its F64 values to f32)' : '';
      throw new CheckpointFormatError(
        file,
        `${bad} of its ${values.length} values are NaN or infinite${widened}: the run that wrote this checkpoint probably diverged. Use an earlier checkpoint of that run`,
        name,
      );
    }
  }
  return values;
}
