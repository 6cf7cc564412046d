/**
 * Everything `@trm/tensor` exports, in Node and in a browser alike. The two entry points
 * (`index.ts` for Node, `browser.ts`) re-export it and differ only in where `Device.open` finds
 * WebGPU.
 */

// Autocast (mixed precision)
export { type AutocastPrecision, autocast, autocastPrecision } from './autocast.js';
// Autograd
export { zeroGrad } from './autograd/engine.js';
export { type GradNode, isGradEnabled, noGrad } from './autograd/tape.js';
export {
  type CompiledFunction,
  type CompileOptions,
  type CompileStats,
  compile,
} from './capture/compile.js';
// Tensors
export { getDefaultDevice, setDefaultDevice } from './context.js';
export { type AdapterInfo, type ComputeLimits, Device, type GpuTime } from './device/device.js';
export {
  DeviceLostError,
  GpuError,
  GpuOutOfMemoryError,
  GpuValidationError,
  NoAdapterError,
  noAdapterHelp,
} from './device/errors.js';
export type { Backend, DeviceOptions } from './device/options.js';
export { BYTES_PER_ELEMENT, type DType, type TensorData } from './dtype.js';
export {
  AutogradError,
  DeviceMismatchError,
  DisposedTensorError,
  DTypeError,
  ShapeError,
  TensorError,
} from './errors.js';
export { LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from './kernels/grid.js';
export type { MatmulConfig } from './kernels/matmul.js';
export { matmulCandidates, type TuneOptions, tuneMatmul } from './kernels/matmul-tune.js';
export {
  adapterKey,
  type MatmulChoice,
  type MatmulLayout,
  type MatmulTuning,
  matmulChoiceLabel,
  matmulTuning,
  useMatmulTuning,
} from './kernels/matmul-tuning.js';
// Memory
export type { MemoryStats } from './memory/pool.js';
export { keep, tidy } from './memory/scope.js';
export { dispose, memoryStats, releasePooledMemory } from './memory/stats.js';
// Operations
export { type AttentionOptions, scaledDotProductAttention } from './ops/attention.js';
export {
  add,
  atan2,
  div,
  eq,
  ge,
  gt,
  le,
  logicalAnd,
  logicalOr,
  logicalXor,
  lt,
  maximum,
  minimum,
  mul,
  ne,
  pow,
  sub,
  where,
} from './ops/binary.js';
export { cast } from './ops/cast.js';
// Creation and random
export {
  arange,
  type CreateOptions,
  full,
  fullLike,
  ones,
  onesLike,
  scalar,
  type TensorInput,
  tensor,
  zeros,
  zerosLike,
} from './ops/creation.js';
export { type CustomOpSpec, customOp, type KernelParam } from './ops/custom.js';
export { rmsNorm, swiglu } from './ops/fused-layers.js';
export { gather, scatterAddRows } from './ops/indexing.js';
export { type MatmulOptions, matmul } from './ops/matmul.js';
export { bernoulli, type RandomOptions, rand, randint, randn, truncNormal } from './ops/random.js';
export { argmax, argmin, max, mean, min, sum } from './ops/reduce.js';
export {
  broadcastTo,
  chunk,
  clone,
  concat,
  narrow,
  pad,
  permute,
  reshape,
  type SliceRange,
  slice,
  split,
  squeeze,
  stack,
  transpose,
  unsqueeze,
} from './ops/shape.js';
export { logSoftmax, softmax } from './ops/softmax.js';
export {
  abs,
  cos,
  exp,
  log,
  logicalNot,
  neg,
  powScalar,
  reciprocal,
  relu,
  rsqrt,
  sigmoid,
  sign,
  silu,
  sin,
  sqrt,
  square,
  tanh,
} from './ops/unary.js';
export { erf, erfinv, Generator, type GeneratorState } from './random/generator.js';
export { type NestedArray, Tensor } from './tensor.js';

// Attaches the operations to Tensor.prototype (see tensor-methods.ts).
import './tensor-methods.js';
