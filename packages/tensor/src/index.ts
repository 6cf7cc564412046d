/**
 * `@trm/tensor`: the WebGPU tensor core of trm.
 *
 * This first layer talks to the GPU: it opens a Dawn device, moves typed arrays to and from
 * GPU buffers, compiles and caches WGSL compute kernels, and turns every WebGPU failure into
 * a thrown error.
 *
 * @packageDocumentation
 */
export {
  type AdapterInfo,
  type Binding,
  type ComputeLimits,
  Device,
  type GpuTypedArray,
} from './device/device.js';
export {
  DeviceLostError,
  GpuError,
  GpuOutOfMemoryError,
  GpuValidationError,
  NoAdapterError,
  noAdapterHelp,
} from './device/errors.js';
export type { Backend, DeviceOptions } from './device/options.js';
export { mapF32, mapKernelSource } from './kernels/elementwise.js';
export { gridFor, LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from './kernels/grid.js';
