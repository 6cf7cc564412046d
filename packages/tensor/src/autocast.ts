/**
 * Autocast: PyTorch's mixed precision for the ops that dominate a step. While
 * {@link autocast}`('f16', fn)` runs, every `matmul` (and so every `Linear`) rounds its operands
 * and its result to f16, accumulating in f32 — as `torch.autocast(dtype=float16)` runs a
 * linear layer — and records a backward that does the same. Everything else computes in f32.
 * Values are rounded, not stored narrower: tensors keep their f32 storage.
 */

/** The precision matmuls run in. */
export type AutocastPrecision = 'f16' | 'f32';

let current: AutocastPrecision = 'f32';

/**
 * Runs `fn` (synchronous: the ops it encodes, not the GPU work) with matmuls in `precision`,
 * then restores the previous setting, also when `fn` throws. The f16 rounding is exact IEEE
 * binary16 (ties to even, subnormals, overflow to ±inf) done on f32 bits, so it gives the same
 * values on every adapter; it saves no memory and, without f16 storage, no time.
 *
 * @example
 * ```ts
 * const y = autocast('f16', () => layer.forward(x)); // f16 products, f32 accumulation
 * y.sum().backward(); // the recorded matmuls differentiate in f16 too
 * ```
 */
export function autocast<T>(precision: AutocastPrecision, fn: () => T): T {
  if (precision !== 'f16' && precision !== 'f32') {
    throw new TypeError(`autocast: precision must be "f16" or "f32", got ${String(precision)}.`);
  }
  const previous = current;
  current = precision;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** The precision matmuls run in now: `'f16'` inside {@link autocast}`('f16', …)`. */
export function autocastPrecision(): AutocastPrecision {
  return current;
}
