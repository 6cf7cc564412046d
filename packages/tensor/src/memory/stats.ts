import { getDefaultDevice } from '../context.js';
import type { Device } from '../device/device.js';
import { type MemoryStats, poolFor } from './pool.js';

/** Live bytes, peak bytes, live buffer count and pooled (free) bytes of a device's tensors. */
export function memoryStats(device?: Device): MemoryStats {
  return poolFor(device ?? getDefaultDevice()).stats();
}

/** Destroys the free buffers a device's pool keeps for reuse (live tensors are untouched). */
export function releasePooledMemory(device?: Device): void {
  poolFor(device ?? getDefaultDevice()).trim();
}

/** Disposes every tensor found in `value` (a tensor, or arrays/objects of tensors). */
export function dispose(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  if (
    'dispose' in value &&
    typeof (value as { dispose: unknown }).dispose === 'function' &&
    'kept' in value
  ) {
    (value as { dispose(): void }).dispose();
    return;
  }
  if (Array.isArray(value)) for (const v of value) dispose(v);
  else if (value instanceof Map) for (const v of value.values()) dispose(v);
  else if (Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) dispose(v);
}
