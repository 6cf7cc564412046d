import type { Binding } from '../backend/backend.js';
import { backendOf, type Device } from '../device/device.js';
import { gridFor } from './grid.js';

/** Encoded commands after which pending work is submitted automatically. */
export const AUTO_SUBMIT_COMMANDS = 32;

/** Entry-point signature shared by the 1-D kernels; pairs with `LINEAR_INDEX_WGSL`. */
export const ENTRY_1D =
  '@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u';

/** Binds the first `elements` 32-bit words of a buffer. */
export function words(buffer: GPUBuffer, elements: number, offsetElements = 0): Binding {
  return { buffer, offset: offsetElements * 4, size: Math.max(elements, 1) * 4 };
}

/**
 * Compiles (once) and encodes one kernel. `threads` sizes a 1-D grid of `workgroupSize`-wide
 * groups; pass `workgroups` for anything else. Pending work is submitted every
 * {@link AUTO_SUBMIT_COMMANDS} commands so a long chain of ops starts running early.
 */
export function launch(
  device: Device,
  code: string,
  label: string,
  bindings: readonly Binding[],
  size: { threads: number; workgroupSize?: number } | { workgroups: [number, number?, number?] },
): void {
  const backend = backendOf(device);
  const pipeline = backend.pipeline(code, 'main', label);
  const workgroups =
    'threads' in size
      ? gridFor(size.threads, backend.limits.maxComputeWorkgroupsPerDimension, size.workgroupSize)
      : size.workgroups;
  backend.dispatch(pipeline, bindings, workgroups);
  if (backend.pendingCommands >= AUTO_SUBMIT_COMMANDS) backend.submit();
}

/** Packs kernel parameters (all u32) into a params binding. */
export function params(device: Device, values: readonly number[]): Binding {
  return backendOf(device).params(Uint32Array.from(values, (v) => v >>> 0));
}

/**
 * A params binding of raw 32-bit words. `varying` marks values that change on every call
 * (learning rates), which must not take up the backend's shared constant slots. `refresh`
 * computes the words again: a captured step (`compile()`) calls it before every replay.
 */
export function paramWords(
  device: Device,
  words: Uint32Array,
  varying = false,
  refresh?: () => Uint32Array,
): Binding {
  return backendOf(device).params(words, varying, refresh);
}
