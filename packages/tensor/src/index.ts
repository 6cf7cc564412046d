/**
 * `@trm/tensor`: the WebGPU tensor core of trm.
 *
 * - Device layer: opens a WebGPU device (Dawn in Node, `navigator.gpu` in a browser), moves typed arrays to and from GPU buffers, compiles
 *   and caches WGSL kernels, and turns every WebGPU failure into a thrown error.
 * - Tensors: dense f32/i32/bool arrays in pooled GPU buffers, NumPy-broadcasting ops whose
 *   work is encoded into batched command buffers, async read-back, tape-based autograd,
 *   deterministic memory release with `dispose()`/`tidy()`, and seedable random tensors.
 *
 * See the README for the execution and memory models.
 *
 * @packageDocumentation
 */

import { setGpuSource } from './device/gpu-source.js';
import { dawnGpuSource } from './device/webgpu-module.js';

export * from './portable.js';

// The Node entry point: devices come from Dawn (the `webgpu` package). Bundlers that honour the
// `browser` export condition take browser.ts instead, which leaves Dawn out.
setGpuSource(dawnGpuSource);
