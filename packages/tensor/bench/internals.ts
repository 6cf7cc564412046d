// What the benchmarks need beyond the public API (the backend, to measure the adapter's own
// floor): bundled from src as one module graph, so the backend of a device opened here is the
// one its kernels use.

export { backendOf } from '../src/device/device.js';
export * from '../src/index.js';
export { mapF32, mapKernelSource } from '../src/kernels/elementwise.js';
export { gridFor } from '../src/kernels/grid.js';
export { encodeMatmul } from '../src/kernels/matmul.js';
