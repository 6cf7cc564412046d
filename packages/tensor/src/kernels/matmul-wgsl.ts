/**
 * The pieces every matmul kernel shares: the configuration and layout types, the uniform
 * parameters, the tile decoding, f16 rounding, and the store with its fused epilogue. Kept
 * apart from `matmul.ts` (which chooses and encodes) so that the two kernel generators,
 * `matmul-register.ts` and `matmul-shared.ts`, import no encoder.
 */

/**
 * How a matmul kernel tiles its work.
 *
 * - `register`: no workgroup memory and no barriers. All threads of a workgroup share the same
 *   `rows` output rows; each thread owns `cols` groups of 4 adjacent output columns, so it keeps
 *   `rows × cols` vec4 accumulators. B is read as vec4 where the layout allows, and A rows
 *   loaded once per subgroup and shared with `subgroupBroadcast`. Made for lavapipe, which
 *   runs a workgroup as 8-wide SIMD on a CPU thread, and where every memory load inside a loop
 *   is executed lane by lane (measured: ~12 cycles per lane and component, uniform address or
 *   not) while FMAs are cheap: the kernel minimises loads per FMA and leaves data reuse to the
 *   CPU caches.
 * - `shared`: classic GPU tiling: a `threads × threads` workgroup stages `bk`-deep tiles of A
 *   and B in workgroup memory and each thread accumulates a `rows × cols` register block.
 */
export type MatmulConfig =
  | { kind: 'register'; threads: number; rows: number; cols: number; unroll?: number }
  | { kind: 'shared'; threads: number; rows: number; cols: number; bk: number };

/** An activation applied to each output value in the matmul kernel's store. */
export type MatmulActivation = 'relu' | 'silu';

/**
 * What a kernel does to each output value before storing it, in this order: add `bias[col]`,
 * add `residual[row, col]` (same layout as the output), store the sum to `pre` when asked (the
 * backward of an activation reads it), apply the activation.
 */
export interface MatmulEpilogueVariant {
  bias?: boolean;
  residual?: boolean;
  activation?: MatmulActivation;
  /** Also store the value before the activation (the gradient of silu needs it). */
  savePre?: boolean;
}

/** The layout variant a kernel is specialised on (everything else is a uniform). */
export interface MatmulVariant {
  transA: boolean;
  transB: boolean;
  /** A is read as vec4 (along k, or along m when transA). */
  vecA: boolean;
  /**
   * A rows are loaded once per subgroup (lane r loads row r of each group of 8) and shared with
   * `subgroupBroadcast`, instead of every lane loading every row: CPU drivers pay per lane for
   * each load, so this cuts A loads 8×. Needs subgroups of ≥ 8 lanes.
   */
  subgroupA?: boolean;
  /** B is read as vec4 (along n, or along k when transB). */
  vecB: boolean;
  /** out is written as vec4 (n is a multiple of 4). */
  vecOut: boolean;
  /**
   * The kernel computes the transposed product `Cᵀ = op(B)ᵀ · op(A)ᵀ` (its `m`, `n` are the
   * caller's `n`, `m`) and stores it transposed, so `C` comes out as asked. A register tile
   * spreads columns over lanes and shares rows, so a product with few columns and many rows
   * (n = 17 against m = 2048) runs far fuller this way round.
   */
  transOut?: boolean;
  /**
   * Half precision (autocast f16): every loaded A and B value is rounded to the nearest f16,
   * products accumulate in f32 (exact: a product of two f16 values fits f32), and the result
   * is rounded to f16; past the f16 range a value becomes ±inf, as in an f16 tensor. Storage
   * stays f32, and the epilogue adds to the rounded product in f32.
   */
  half?: boolean;
  epilogue?: MatmulEpilogueVariant;
}

/**
 * WGSL rounding f32 values to the nearest f16 value (ties to even), kept as f32: `h1` for a
 * scalar, `h4` for a vec4. Done on the bits rather than by `f32(f16(x))`, whose rounding
 * drivers may skip (lavapipe does) and whose overflow WGSL leaves undefined: normal values
 * drop 13 mantissa bits with round-to-nearest-even; below 2^-14 (f16 subnormals, spacing
 * 2^-24) `round` (ties to even) on the scaled value; from 65520 up (IEEE's overflow threshold)
 * ±inf, which dynamic loss scaling relies on seeing; NaN stays NaN.
 */
export const F16_ROUND_WGSL = /* wgsl */ `
fn h1(x: f32) -> f32 {
  let u = bitcast<u32>(x);
  let a = u & 0x7fffffffu;
  let normal = bitcast<f32>((u + 0xfffu + ((u >> 13u) & 1u)) & 0xffffe000u);
  let tiny = round(x * 16777216.0) * 5.9604644775390625e-8;
  let big = select(bitcast<f32>((u & 0x80000000u) | 0x7f800000u), x, a > 0x7f800000u);
  return select(select(normal, tiny, a < 0x38800000u), big, a >= 0x477ff000u);
}
fn h4(x: vec4f) -> vec4f {
  let u = bitcast<vec4u>(x);
  let a = u & vec4u(0x7fffffffu);
  let normal = bitcast<vec4f>((u + vec4u(0xfffu) + ((u >> vec4u(13u)) & vec4u(1u))) & vec4u(0xffffe000u));
  let tiny = round(x * 16777216.0) * 5.9604644775390625e-8;
  let inf = bitcast<vec4f>((u & vec4u(0x80000000u)) | vec4u(0x7f800000u));
  let big = select(inf, x, a > vec4u(0x7f800000u));
  return select(select(normal, tiny, a < vec4u(0x38800000u)), big, a >= vec4u(0x477ff000u));
}
`;

/** Wraps a loaded or stored expression in the f16 rounding of a half-precision variant. */
export function halfOf(v: MatmulVariant): (expr: string, vec: boolean) => string {
  return v.half ? (expr, vec) => `${vec ? 'h4' : 'h1'}(${expr})` : (expr) => expr;
}

export const PARAMS_WGSL = /* wgsl */ `
struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  aStride: u32, bStride: u32, aOff: u32, bOff: u32,
  tilesM: u32, tilesN: u32, pad0: u32, pad1: u32,
}
@group(0) @binding(3) var<uniform> p: Params;
`;

/** Decodes the folded workgroup id into (batch, tile row, tile column); tile rows vary fastest. */
export const TILE_WGSL = /* wgsl */ `
  let tile = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  let perBatch = p.tilesM * p.tilesN;
  if (tile >= perBatch * p.batch) { return; }
  let bi = tile / perBatch;
  let rest = tile - bi * perBatch;
  let tn = rest / p.tilesM;
  let tm = rest - tn * p.tilesM;
  let aBase = p.aOff + bi * p.aStride;
  let bBase = p.bOff + bi * p.bStride;
  let cBase = bi * p.m * p.n;
`;

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Declarations of the output and the epilogue's bindings (4: bias, 5: residual, 6: pre, those
 * present in that order after the uniform at 3), and the activation functions. `vec`: all of
 * them are vec4 arrays (a direct store with n a multiple of 4; a transposed store writes
 * single values).
 */
export function outputDeclarations(v: MatmulVariant, vec: boolean): string {
  const e = v.epilogue ?? {};
  const t = vec ? 'vec4f' : 'f32';
  const L = [`@group(0) @binding(2) var<storage, read_write> C: array<${t}>;`];
  let binding = 4;
  if (e.bias)
    L.push(
      `@group(0) @binding(${binding++}) var<storage, read> Bias: array<${vec ? 'vec4f' : 'f32'}>;`,
    );
  if (e.residual) L.push(`@group(0) @binding(${binding++}) var<storage, read> Res: array<${t}>;`);
  if (e.savePre)
    L.push(`@group(0) @binding(${binding++}) var<storage, read_write> Pre: array<${t}>;`);
  if (e.activation === 'silu') {
    L.push(`fn act1(x: f32) -> f32 { return x / (1.0 + exp(-x)); }`);
    L.push(`fn act4(x: vec4f) -> vec4f { return x / (vec4f(1.0) + exp(-x)); }`);
  } else if (e.activation === 'relu') {
    L.push(`fn act1(x: f32) -> f32 { return max(x, 0.0); }`);
    L.push(`fn act4(x: vec4f) -> vec4f { return max(x, vec4f(0.0)); }`);
  }
  return L.join('\n');
}

/**
 * Statements storing `value` (an accumulator, already f16-rounded where asked) at element
 * `index` of C (a vec4 index when `vec`), through the epilogue. `biasIndex`: where the bias of
 * this value is (a vec4 index when `vec` and the store is not transposed).
 */
export function storeWgsl(
  v: MatmulVariant,
  vec: boolean,
  index: string,
  value: string,
  biasIndex: string,
): string {
  const e = v.epilogue ?? {};
  if (!e.bias && !e.residual && !e.activation) return `C[${index}] = ${value};`;
  const biasTerm = e.bias ? ` + Bias[${biasIndex}]` : '';
  const s = [`let o = ${index};`, `let z = ${value}${biasTerm}${e.residual ? ' + Res[o]' : ''};`];
  if (e.savePre) s.push('Pre[o] = z;');
  s.push(`C[o] = ${e.activation ? `act${vec ? 4 : 1}(z)` : 'z'};`);
  return `{ ${s.join(' ')} }`;
}
