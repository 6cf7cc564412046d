import type { Binding } from '../backend/backend.js';
import { backendOf, type Device } from '../device/device.js';
import { launch, paramWords } from './launch.js';
import { fitRegisterTile } from './matmul-plan.js';
import { registerKStep, registerSource } from './matmul-register.js';
import { sharedSource } from './matmul-shared.js';
import { tunedMatmulChoice } from './matmul-tuning.js';
import type {
  MatmulActivation,
  MatmulConfig,
  MatmulEpilogueVariant,
  MatmulVariant,
} from './matmul-wgsl.js';
import { memoSource } from './memo.js';

export type { MatmulActivation, MatmulConfig } from './matmul-wgsl.js';

/**
 * Batched f32 matrix multiplication: `out[b] = op(A[b]) · op(B[b])`.
 *
 * - A is `[m, k]` row-major, or stored `[k, m]` when `transA` (read transposed without a copy).
 * - B is `[k, n]` row-major, or stored `[n, k]` when `transB`.
 * - Batch `b` of A starts at element `aOffset + b * aBatchStride` (0 stride = broadcast), and
 *   likewise for B. `out` is written dense and row-major as `[batch, m, n]`.
 */
export interface MatmulArgs {
  a: GPUBuffer;
  b: GPUBuffer;
  out: GPUBuffer;
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Element stride between batch matrices of A; 0 broadcasts one matrix over the batch. */
  aBatchStride: number;
  /** Element stride between batch matrices of B; 0 broadcasts one matrix over the batch. */
  bBatchStride: number;
  /** Element offset of the first matrix of A (default 0). */
  aOffset?: number;
  /** Element offset of the first matrix of B (default 0). */
  bOffset?: number;
  /** Work fused into the kernel's store (see {@link MatmulEpilogue}). */
  epilogue?: MatmulEpilogue;
}

/**
 * Fused into the store: `out = activation(op(A)·op(B) + bias + residual)`, each part optional.
 * A bias is one value per output column (`n` values), broadcast over rows and batches; a
 * residual is dense in the output's layout (`[batch, m, n]`). `pre`, when given, receives the
 * value before the activation, which the gradient of an activation such as silu needs.
 */
export interface MatmulEpilogue {
  bias?: GPUBuffer;
  residual?: GPUBuffer;
  activation?: MatmulActivation;
  pre?: GPUBuffer;
}

/** Tuned on Mesa lavapipe (2-core AVX-512 Xeon). */
export const CPU_MATMUL_CONFIG: MatmulConfig = {
  kind: 'register',
  threads: 16,
  rows: 16,
  cols: 2,
};
/** A conventional discrete-GPU configuration: 16×16 threads, 4×4 outputs each, 64×64×16 tiles. */
export const GPU_MATMUL_CONFIG: MatmulConfig = {
  kind: 'shared',
  threads: 16,
  rows: 4,
  cols: 4,
  bk: 16,
};

/** The configuration {@link encodeMatmul} uses on `device` unless told otherwise. */
export function defaultMatmulConfig(device: Device): MatmulConfig {
  return device.adapterInfo.isFallbackAdapter ||
    /llvmpipe|lavapipe|swiftshader/i.test(
      `${device.adapterInfo.description} ${device.adapterInfo.device}`,
    )
    ? CPU_MATMUL_CONFIG
    : GPU_MATMUL_CONFIG;
}

/**
 * Workgroup grid covering `groups` workgroups when one dimension holds at most `maxPerDim`:
 * folds into 2-D, then 3-D. Kernels rebuild the linear id as `x + nx * (y + ny * z)` and skip
 * ids past the end.
 */
export function foldGrid(groups: number, maxPerDim = 65_535): [number, number, number] {
  const g = Math.max(1, groups);
  if (g <= maxPerDim) return [g, 1, 1];
  const y = Math.ceil(g / maxPerDim);
  if (y <= maxPerDim) return [Math.ceil(g / y), y, 1];
  const z = Math.ceil(g / (maxPerDim * maxPerDim));
  if (z > maxPerDim) throw new RangeError(`${groups} workgroups do not fit a 3-D grid`);
  return [maxPerDim, Math.ceil(g / (maxPerDim * z)), z];
}

/** True when the device has subgroups of at least 8 lanes (lavapipe on AVX: exactly 8). */
export function subgroupsOf8(device: Device): boolean {
  if (!device.features.has('subgroups')) return false;
  const info = (backendOf(device).gpu as { adapterInfo?: { subgroupMinSize?: number } })
    .adapterInfo;
  return (info?.subgroupMinSize ?? 0) >= 8;
}

function checkInt(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`matmul: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

/** Overrides for {@link encodeMatmul}, for tests and tuning. */
export interface MatmulKernelOptions {
  /**
   * Tiling; by default the one `tuneMatmul` found fastest on this adapter, else the adapter's
   * default ({@link defaultMatmulConfig}).
   */
  config?: MatmulConfig;
  /**
   * Fit a register tiling to the shape: its rows per tile, its columns per thread, and whether
   * to compute the transposed product (see {@link MatmulVariant.transOut}), by the load count
   * of `matmul-plan.ts`. Default: on, unless `config` is given.
   */
  fitShape?: boolean;
  /** Force the transposed (true) or direct (false) product, for tests. */
  transOut?: boolean;
  /** Pretend the device allows at most this many workgroups per grid dimension. */
  maxWorkgroupsPerDimension?: number;
  /** Set false to never use subgroup operations (default: use them where they help). */
  subgroups?: boolean;
  /** Round operands and result to f16 (see {@link MatmulVariant.half}). */
  half?: boolean;
}

/**
 * The operands' layout as one kernel reads them: the caller's, or swapped for a transposed
 * product. (`m`, `n` are the kernel's; `k` is the same either way.)
 */
export interface MatmulOperands {
  m: number;
  n: number;
  transA: boolean;
  transB: boolean;
  aStride: number;
  bStride: number;
  aOffset: number;
  bOffset: number;
}

/** `Cᵀ = op(B)ᵀ · op(A)ᵀ`: B becomes the left operand, each transposed the other way. */
function swapped(o: MatmulOperands): MatmulOperands {
  return {
    m: o.n,
    n: o.m,
    transA: !o.transB,
    transB: !o.transA,
    aStride: o.bStride,
    bStride: o.aStride,
    aOffset: o.bOffset,
    bOffset: o.aOffset,
  };
}

/** Whether the kernel may read `o`'s B as vec4 (the contiguous axis a multiple of 4). */
function bAlignedOf(o: MatmulOperands, k: number): boolean {
  return (o.transB ? k : o.n) % 4 === 0 && o.bOffset % 4 === 0 && o.bStride % 4 === 0;
}

/** Whether the kernel may read `o`'s A as vec4 under `cfg`. */
function aAlignedOf(o: MatmulOperands, k: number, cfg: MatmulConfig): boolean {
  return (
    cfg.kind === 'register' &&
    o.aOffset % 4 === 0 &&
    o.aStride % 4 === 0 &&
    (o.transA ? o.m % 4 === 0 && cfg.rows % 4 === 0 : k % 4 === 0)
  );
}

/** How a kernel of `cfg` reads the operands `o` (already oriented) and stores the result. */
function matmulVariant(
  cfg: MatmulConfig,
  o: MatmulOperands,
  k: number,
  opts: { subgroups: boolean; transOut: boolean; half: boolean; epilogue: MatmulEpilogueVariant },
): MatmulVariant {
  const isRegister = cfg.kind === 'register';
  const v: MatmulVariant = {
    transA: o.transA,
    transB: o.transB,
    vecA: aAlignedOf(o, k, cfg),
    subgroupA: isRegister && opts.subgroups,
    vecB: isRegister && bAlignedOf(o, k),
    // A transposed store writes single values; the direct one vec4s where rows allow.
    vecOut: isRegister && !opts.transOut && o.n % 4 === 0,
    ...(opts.transOut ? { transOut: true } : {}),
    ...(opts.half ? { half: true } : {}),
    ...(Object.keys(opts.epilogue).length ? { epilogue: opts.epilogue } : {}),
  };
  if (v.subgroupA && v.vecA && v.transA && cfg.kind === 'register') {
    // Transposed vec4 A is shared across lanes in whole groups of k-steps: needs 8 % (rows/4)
    // == 0 and k a multiple of the step.
    const G = cfg.rows / 4;
    if (8 % G !== 0 || k % registerKStep(cfg, v) !== 0) v.subgroupA = false;
  }
  return v;
}

/**
 * Products (m·n·k) from which the register tiling is fitted to the shape. Below, a product
 * takes well under a millisecond on lavapipe while each extra kernel variant fitting would
 * add costs seconds to compile, so small products keep the tuned tiling.
 */
const FIT_MIN_PRODUCTS = 2 ** 21;

/** What {@link planMatmul} decided: the tiling, the orientation and the kernel variant. */
export interface MatmulPlan {
  config: MatmulConfig;
  /** The kernel computes the transposed product (its operands swapped, see `layout`). */
  transOut: boolean;
  /** The operands' layout as the kernel reads them. */
  layout: MatmulOperands;
  variant: MatmulVariant;
}

/**
 * Chooses the kernel for a product of `layout` (the caller's orientation) with `epilogue`:
 * an explicit tiling, else what `tuneMatmul` measured fastest on this adapter, else the
 * adapter's default; a register tiling then fitted to the shape (`matmul-plan.ts`).
 */
export function planMatmul(
  device: Device,
  layout: MatmulOperands & { k: number },
  epilogue: MatmulEpilogueVariant = {},
  options: MatmulKernelOptions = {},
): MatmulPlan {
  const { k, transA, transB } = layout;
  const tuned = options.config ? undefined : tunedMatmulChoice(device, transA, transB);
  let config = options.config ?? tuned?.config ?? defaultMatmulConfig(device);
  const subgroups = (options.subgroups ?? tuned?.subgroups ?? true) && subgroupsOf8(device);
  const variantOf = (c: MatmulConfig, t: boolean): MatmulVariant =>
    matmulVariant(c, t ? swapped(layout) : layout, k, {
      subgroups,
      transOut: t,
      half: options.half ?? false,
      epilogue,
    });
  let transOut = options.transOut ?? false;
  const big = layout.m * layout.n * k >= FIT_MIN_PRODUCTS;
  if (config.kind === 'register' && (options.fitShape ?? (!options.config && big))) {
    const fit = fitRegisterTile(config, layout, variantOf, options.transOut);
    config = fit.config;
    transOut = fit.transOut;
  } else if (config.kind === 'register' && !options.config && !variantOf(config, false).vecB) {
    // A small product with unaligned B reads it with 4 scalar loads per column group: a
    // smaller register block keeps that variant quick to compile (seconds on lavapipe).
    config = { ...config, rows: Math.min(config.rows, 8), cols: 1 };
  }
  return {
    config,
    transOut,
    layout: transOut ? swapped(layout) : layout,
    variant: variantOf(config, transOut),
  };
}

/**
 * Encodes `out = op(A) · op(B)` for every batch (see {@link MatmulArgs}) on `device`, with the
 * fused epilogue if any. The work runs at the next `submit()`/`read()`/`sync()`. One pipeline
 * is compiled per tiling and layout variant (transposes, vec4 alignment, epilogue); shapes,
 * strides and offsets travel in a small uniform buffer, so new shapes of one variant compile
 * nothing.
 */
export function encodeMatmul(
  device: Device,
  args: MatmulArgs,
  options: MatmulKernelOptions = {},
): void {
  const { a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = args;
  const aOffset = args.aOffset ?? 0;
  const bOffset = args.bOffset ?? 0;
  checkInt('m', m, 1);
  checkInt('n', n, 1);
  checkInt('k', k, 1);
  checkInt('batch', batch, 1);
  checkInt('aBatchStride', aBatchStride, 0);
  checkInt('bBatchStride', bBatchStride, 0);
  checkInt('aOffset', aOffset, 0);
  checkInt('bOffset', bOffset, 0);
  const aEnd = aOffset + (batch - 1) * aBatchStride + m * k;
  const bEnd = bOffset + (batch - 1) * bBatchStride + k * n;
  const outLen = batch * m * n;
  const ep = args.epilogue ?? {};
  const buffers: [string, GPUBuffer | undefined, number][] = [
    ['A', a, aEnd],
    ['B', b, bEnd],
    ['out', out, outLen],
    ['bias', ep.bias, n],
    ['residual', ep.residual, outLen],
    ['pre', ep.pre, outLen],
  ];
  for (const [name, buf, len] of buffers) {
    if (buf && len * 4 > buf.size) {
      throw new RangeError(
        `matmul: ${name} needs ${len} f32 values but its buffer holds ${Math.floor(buf.size / 4)}`,
      );
    }
  }
  if (ep.pre && !ep.activation) {
    throw new RangeError('matmul: an epilogue stores `pre` only before an activation');
  }
  const maxBinding = device.limits.maxStorageBufferBindingSize;
  for (const [name, , len] of buffers) {
    if (len * 4 > maxBinding) {
      throw new RangeError(
        `matmul: ${name} spans ${len * 4} bytes, over maxStorageBufferBindingSize (${maxBinding})`,
      );
    }
  }
  if (Math.max(aEnd, bEnd, outLen) >= 2 ** 32) {
    throw new RangeError('matmul: operands must hold fewer than 2^32 elements');
  }

  const plan = planMatmul(
    device,
    {
      m,
      n,
      k,
      transA,
      transB,
      aStride: aBatchStride,
      bStride: bBatchStride,
      aOffset,
      bOffset,
    },
    {
      ...(ep.bias ? { bias: true } : {}),
      ...(ep.residual ? { residual: true } : {}),
      ...(ep.activation ? { activation: ep.activation } : {}),
      ...(ep.pre ? { savePre: true } : {}),
    },
    options,
  );
  const { config: cfg, variant, layout: o, transOut } = plan;
  const [aBuf, bBuf] = transOut ? [b, a] : [a, b];
  const aLen = transOut ? bEnd : aEnd;
  const bLen = transOut ? aEnd : bEnd;
  const { bm, bn } = matmulTile(cfg);
  const tilesM = Math.ceil(o.m / bm);
  const tilesN = Math.ceil(o.n / bn);
  if (tilesM * tilesN * batch >= 2 ** 32) {
    throw new RangeError('matmul: too many output tiles for one dispatch (≥ 2^32)');
  }
  const params = Uint32Array.of(
    o.m,
    o.n,
    k,
    batch,
    o.aStride,
    o.bStride,
    o.aOffset,
    o.bOffset,
    tilesM,
    tilesN,
    0,
    0,
  );
  const label = `matmul${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${transOut ? '-out-T' : ''}${options.half ? '-f16' : ''}`;
  // Bind exactly the elements used (rounded to whole vec4s), never past the buffer's end.
  const bindSize = (buf: GPUBuffer, len: number, vec: boolean) => {
    const bytes = vec ? Math.ceil(len / 4) * 16 : len * 4;
    return Math.min(buf.size, bytes, vec ? Math.floor(maxBinding / 16) * 16 : maxBinding);
  };
  const bindings: Binding[] = [
    { buffer: aBuf, size: bindSize(aBuf, aLen, variant.vecA) },
    { buffer: bBuf, size: bindSize(bBuf, bLen, variant.vecB) },
    { buffer: out, size: bindSize(out, outLen, variant.vecOut) },
    paramWords(device, params),
  ];
  if (ep.bias) bindings.push({ buffer: ep.bias, size: bindSize(ep.bias, n, variant.vecOut) });
  if (ep.residual)
    bindings.push({ buffer: ep.residual, size: bindSize(ep.residual, outLen, variant.vecOut) });
  if (ep.pre) bindings.push({ buffer: ep.pre, size: bindSize(ep.pre, outLen, variant.vecOut) });
  launch(device, matmulSource(cfg, variant), label, bindings, {
    workgroups: foldGrid(
      tilesM * tilesN * batch,
      Math.min(
        device.limits.maxComputeWorkgroupsPerDimension,
        options.maxWorkgroupsPerDimension ?? Number.POSITIVE_INFINITY,
      ),
    ),
  });
}

/** Output tile (rows × columns) one workgroup of `config` computes. */
export function matmulTile(config: MatmulConfig): { bm: number; bn: number } {
  return config.kind === 'register'
    ? { bm: config.rows, bn: config.threads * config.cols * 4 }
    : { bm: config.threads * config.rows, bn: config.threads * config.cols };
}

/** WGSL source of the kernel for `config` and `variant`; shapes come from a uniform buffer. */
export const matmulSource = memoSource((config: MatmulConfig, variant: MatmulVariant) =>
  config.kind === 'register' ? registerSource(config, variant) : sharedSource(config, variant),
);
