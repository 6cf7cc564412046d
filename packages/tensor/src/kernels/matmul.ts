import { backendOf, type Device } from '../device/device.js';
import { launch, paramWords } from './launch.js';
import { tunedMatmulChoice } from './matmul-tuning.js';
import { memoSource } from './memo.js';

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
}

/**
 * How a matmul kernel tiles its work.
 *
 * - `register`: no workgroup memory and no barriers. All threads of a workgroup share the same
 *   `rows` output rows; each thread owns `cols` groups of 4 adjacent output columns, so it keeps
 *   `rows × cols` vec4 accumulators. B is read as vec4 where the layout allows, and A rows as
 *   vec4 along k, loaded once per subgroup and shared with `subgroupBroadcast`. Made for
 *   lavapipe, which runs a workgroup as 8-wide SIMD on a CPU thread, and where every memory
 *   load inside a loop is executed lane by lane (measured: ~12 cycles per lane and component,
 *   uniform address or not) while FMAs are cheap: the kernel minimises loads per FMA and
 *   leaves data reuse to the CPU caches.
 * - `shared`: classic GPU tiling: a `threads × threads` workgroup stages `bk`-deep tiles of A
 *   and B in workgroup memory and each thread accumulates a `rows × cols` register block.
 */
export type MatmulConfig =
  | { kind: 'register'; threads: number; rows: number; cols: number; unroll?: number }
  | { kind: 'shared'; threads: number; rows: number; cols: number; bk: number };

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

/** The layout variant a kernel is specialised on (everything else is a uniform). */
export interface MatmulVariant {
  transA: boolean;
  transB: boolean;
  /** A is read as vec4 (along k, or along m when transA). */
  vecA: boolean;
  /**
   * Non-transposed vec4 A rows are loaded once per subgroup (lane r loads row r of each group
   * of 8) and shared with `subgroupBroadcast`, instead of every lane loading every row: CPU
   * drivers pay per lane for each load, so this cuts A loads 8×. Needs subgroups of ≥ 8 lanes.
   */
  subgroupA?: boolean;
  /** B is read as vec4 (along n, or along k when transB). */
  vecB: boolean;
  /** out is written as vec4 (n is a multiple of 4). */
  vecOut: boolean;
  /**
   * Half precision (autocast f16): every loaded A and B value is rounded to the nearest f16,
   * products accumulate in f32 (exact: a product of two f16 values fits f32), and the result
   * is rounded to f16; past the f16 range a value becomes ±inf, as in an f16 tensor. Storage
   * stays f32.
   */
  half?: boolean;
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
function halfOf(v: MatmulVariant): (expr: string, vec: boolean) => string {
  return v.half ? (expr, vec) => `${vec ? 'h4' : 'h1'}(${expr})` : (expr) => expr;
}

const PARAMS_WGSL = /* wgsl */ `
struct Params {
  m: u32, n: u32, k: u32, batch: u32,
  aStride: u32, bStride: u32, aOff: u32, bOff: u32,
  tilesM: u32, tilesN: u32, pad0: u32, pad1: u32,
}
@group(0) @binding(3) var<uniform> p: Params;
`;

/** Decodes the folded workgroup id into (batch, tile row, tile column); tile rows vary fastest. */
const TILE_WGSL = /* wgsl */ `
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

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Output tile (rows × columns) one workgroup of `config` computes. */
export function matmulTile(config: MatmulConfig): { bm: number; bn: number } {
  return config.kind === 'register'
    ? { bm: config.rows, bn: config.threads * config.cols * 4 }
    : { bm: config.threads * config.rows, bn: config.threads * config.cols };
}

/** WGSL source of the kernel for `config` and `variant`; shapes come from a uniform buffer. */
function matmulSourceBuild(config: MatmulConfig, variant: MatmulVariant): string {
  return config.kind === 'register'
    ? registerSource(config, variant)
    : sharedSource(config, variant);
}

/**
 * k-steps per loop iteration of the register kernel: 4 when A rows or transposed B columns are
 * read as vec4 along k; with subgroup-shared transposed A, enough steps to fill 8 lanes.
 */
export function registerKStep(
  c: Extract<MatmulConfig, { kind: 'register' }>,
  v: MatmulVariant,
): number {
  const base = (!v.transA && v.vecA) || (v.transB && v.vecB) ? 4 : 1;
  if (v.transA && v.vecA && v.subgroupA) return Math.max(base, 8 / (c.rows / 4));
  return base;
}

function registerSource(c: Extract<MatmulConfig, { kind: 'register' }>, v: MatmulVariant): string {
  const { threads: WG, rows: TM, cols: TC } = c;
  const rows = range(TM);
  const cols = range(TC);
  const lanes = range(4);
  // k advances 4 at a time when A rows or transposed B columns are read as vec4 along k.
  const KS = registerKStep(c, v);
  const L: string[] = [];
  const sgA = Boolean(v.subgroupA && v.vecA);
  const h = halfOf(v);
  if (sgA) L.push('enable subgroups;');
  if (v.half) L.push(F16_ROUND_WGSL);
  L.push(`@group(0) @binding(0) var<storage, read> A: array<${v.vecA ? 'vec4f' : 'f32'}>;`);
  L.push(`@group(0) @binding(1) var<storage, read> B: array<${v.vecB ? 'vec4f' : 'f32'}>;`);
  L.push(`@group(0) @binding(2) var<storage, read_write> C: array<${v.vecOut ? 'vec4f' : 'f32'}>;`);
  L.push(PARAMS_WGSL);
  L.push(`@compute @workgroup_size(${WG})`);
  L.push(
    `fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32${sgA ? ', @builtin(subgroup_invocation_id) sgid: u32' : ''}) {`,
  );
  L.push(TILE_WGSL);
  L.push(`  let m0 = tm * ${TM}u;`);
  if (sgA) L.push(`  let sl = sgid % 8u;`);
  L.push(`  let nm1 = p.n - 1u;`);
  // Column group j of this thread covers output columns col_j .. col_j + 3.
  for (const j of cols) L.push(`  let col${j} = (tn * ${WG * TC}u + lid + ${j * WG}u) * 4u;`);
  for (const i of rows) for (const j of cols) L.push(`  var acc${i}_${j} = vec4f(0.0);`);

  // ---- A: every address is workgroup-uniform (rows are shared by all threads).
  // aVal(i, q): expression for A[row i, k + q] inside the step; aLoads(): statements.
  let aInit: string[] = [];
  let aLoads: string[] = [];
  let aVal: (i: number, q: number) => string;
  if (v.transA && v.vecA && v.subgroupA) {
    // Stored [k, m]: the G = rows/4 row vec4s of the KS k-steps are spread over the 8 subgroup
    // lanes (entry e = q·G + g lives in lane e % 8 of load e / 8) and broadcast from there.
    const G = TM / 4;
    const loads = range(Math.ceil((G * KS) / 8));
    aInit = [`  let m4 = p.m / 4u;`];
    for (const s of loads) {
      aInit.push(
        `  let e${s} = ${s * 8}u + sl;`,
        `  var rs${s} = (aBase + min(m0 + 4u * (e${s} % ${G}u), p.m - 4u)) / 4u + min(e${s} / ${G}u, ${KS - 1}u) * m4;`,
      );
    }
    aLoads = loads.map((s) => `    let qs${s} = ${h(`A[rs${s}]`, true)}; rs${s} += ${KS}u * m4;`);
    for (const q of range(KS)) {
      for (const g of range(G)) {
        const e = q * G + g;
        aLoads.push(`    let qa${g}_${q} = subgroupBroadcast(qs${Math.floor(e / 8)}, ${e % 8}u);`);
      }
    }
    aVal = (i, q) => `qa${Math.floor(i / 4)}_${q}[${i % 4}]`;
  } else if (v.transA && v.vecA) {
    // Stored [k, m] with m % 4 == 0: four adjacent rows are one vec4 at each k.
    const groups = range(Math.ceil(TM / 4));
    aInit = groups.map((g) => `  var ra${g} = (aBase + min(m0 + ${4 * g}u, p.m - 4u)) / 4u;`);
    aInit.push(`  let m4 = p.m / 4u;`);
    aLoads = [];
    for (const q of range(KS)) {
      for (const g of groups)
        aLoads.push(`    let qa${g}_${q} = ${h(`A[ra${g}]`, true)}; ra${g} += m4;`);
    }
    // Rows past a clamped group read the wrong lane only for rows ≥ m, which are never stored.
    aVal = (i, q) => `qa${Math.floor(i / 4)}_${q}[${i % 4}]`;
  } else if (v.vecA && v.subgroupA) {
    const groups = range(Math.ceil(TM / 8));
    aInit = groups.map(
      (g) => `  var ra${g} = (aBase + min(m0 + ${8 * g}u + sl, p.m - 1u) * p.k) / 4u;`,
    );
    aLoads = groups.map((g) => `    let qs${g} = ${h(`A[ra${g}]`, true)}; ra${g} += 1u;`);
    aLoads.push(
      ...rows.map((i) => `    let qa${i} = subgroupBroadcast(qs${Math.floor(i / 8)}, ${i % 8}u);`),
    );
    aVal = (i, q) => `qa${i}[${q}]`;
  } else if (v.vecA) {
    // Stored [m, k] with k % 4 == 0: one vec4 holds four consecutive k of a row.
    aInit = rows.map((i) => `  var ra${i} = (aBase + min(m0 + ${i}u, p.m - 1u) * p.k) / 4u;`);
    aLoads = rows.map((i) => `    let qa${i} = ${h(`A[ra${i}]`, true)}; ra${i} += 1u;`);
    aVal = (i, q) => `qa${i}[${q}]`;
  } else {
    const step = v.transA ? 'p.m' : '1u';
    aInit = rows.map((i) =>
      v.transA
        ? `  var ra${i} = aBase + min(m0 + ${i}u, p.m - 1u);`
        : `  var ra${i} = aBase + min(m0 + ${i}u, p.m - 1u) * p.k;`,
    );
    aLoads = [];
    for (const q of range(KS)) {
      for (const i of rows)
        aLoads.push(`    let sa${i}_${q} = ${h(`A[ra${i}]`, false)}; ra${i} += ${step};`);
    }
    aVal = (i, q) => `sa${i}_${q}`;
  }

  // ---- B: bVal(j, q) is the vec4 of columns col_j..col_j+3 at k + q.
  let bInit: string[] = [];
  const bLoads: string[] = [];
  let bVal: (j: number, q: number) => string;
  if (!v.transB) {
    if (v.vecB) {
      bInit = [`  let n4 = p.n / 4u;`, `  var rb = bBase / 4u;`];
      bInit.push(...cols.map((j) => `  let cb${j} = min(col${j}, p.n - 4u) / 4u;`));
      for (const q of range(KS)) {
        for (const j of cols) bLoads.push(`    let b${j}_${q} = ${h(`B[rb + cb${j}]`, true)};`);
        bLoads.push(`    rb += n4;`);
      }
    } else {
      bInit = [`  var rb = bBase;`];
      for (const q of range(KS)) {
        for (const j of cols) {
          bLoads.push(
            `    let b${j}_${q} = ${h(`vec4f(${lanes.map((l) => `B[rb + min(col${j} + ${l}u, nm1)]`).join(', ')})`, true)};`,
          );
        }
        bLoads.push(`    rb += p.n;`);
      }
    }
    bVal = (j, q) => `b${j}_${q}`;
  } else {
    // Stored [n, k]: column c is contiguous along k.
    for (const j of cols) {
      for (const l of lanes) {
        bInit.push(
          v.vecB
            ? `  var rb${j}_${l} = (bBase + min(col${j} + ${l}u, nm1) * p.k) / 4u;`
            : `  var rb${j}_${l} = bBase + min(col${j} + ${l}u, nm1) * p.k;`,
        );
      }
    }
    if (v.vecB) {
      // One vec4 per column covers 4 k of the step.
      for (const hh of range(KS / 4)) {
        for (const j of cols) {
          for (const l of lanes)
            bLoads.push(
              `    let vb${j}_${l}_${hh} = ${h(`B[rb${j}_${l}]`, true)}; rb${j}_${l} += 1u;`,
            );
        }
      }
      bVal = (j, q) =>
        `vec4f(${lanes.map((l) => `vb${j}_${l}_${Math.floor(q / 4)}[${q % 4}]`).join(', ')})`;
    } else {
      for (const q of range(KS)) {
        for (const j of cols) {
          bLoads.push(
            `    let b${j}_${q} = ${h(`vec4f(${lanes.map((l) => `B[rb${j}_${l} + ${q}u]`).join(', ')})`, true)};`,
          );
        }
      }
      for (const j of cols) for (const l of lanes) bLoads.push(`    rb${j}_${l} += ${KS}u;`);
      bVal = (j, q) => `b${j}_${q}`;
    }
  }

  const body: string[] = [...bLoads, ...aLoads];
  for (const q of range(KS)) {
    for (const i of rows) {
      for (const j of cols) {
        body.push(`    acc${i}_${j} = fma(vec4f(${aVal(i, q)}), ${bVal(j, q)}, acc${i}_${j});`);
      }
    }
  }
  L.push(...aInit, ...bInit);
  L.push(`  var kk = 0u;`);
  const U = KS === 1 ? (c.unroll ?? 1) : 1;
  if (U > 1) {
    L.push(`  for (; kk + ${U}u <= p.k; kk += ${U}u) {`);
    for (let u = 0; u < U; u++) L.push(`   {`, ...body, `   }`);
    L.push(`  }`);
  }
  L.push(`  for (; kk < p.k; kk += ${KS}u) {`, ...body, `  }`);

  // Store the rows and columns that exist.
  for (const i of rows) {
    L.push(`  if (m0 + ${i}u < p.m) {`);
    L.push(`    let rowOut = cBase + (m0 + ${i}u) * p.n;`);
    for (const j of cols) {
      if (v.vecOut) {
        L.push(
          `    if (col${j} < p.n) { C[(rowOut + col${j}) / 4u] = ${h(`acc${i}_${j}`, true)}; }`,
        );
      } else {
        for (const l of lanes) {
          L.push(
            `    if (col${j} + ${l}u < p.n) { C[rowOut + col${j} + ${l}u] = ${h(`acc${i}_${j}[${l}]`, false)}; }`,
          );
        }
      }
    }
    L.push(`  }`);
  }
  L.push(`}`);
  return L.join('\n');
}

function sharedSource(c: Extract<MatmulConfig, { kind: 'shared' }>, v: MatmulVariant): string {
  const { threads: T, rows: TM, cols: TN, bk: BK } = c;
  const BM = T * TM;
  const BN = T * TN;
  const NT = T * T;
  const rows = range(TM);
  const cols = range(TN);
  const aLoads = range(Math.ceil((BM * BK) / NT));
  const bLoads = range(Math.ceil((BN * BK) / NT));
  const aIdx = v.transA
    ? // contiguous along m in memory
      {
        r: `idx % ${BM}u`,
        kk: `idx / ${BM}u`,
        g: (r: string, kk: string) => `aBase + ${kk} * p.m + ${r}`,
      }
    : {
        r: `idx / ${BK}u`,
        kk: `idx % ${BK}u`,
        g: (r: string, kk: string) => `aBase + ${r} * p.k + ${kk}`,
      };
  const bIdx = v.transB
    ? {
        c: `idx / ${BK}u`,
        kk: `idx % ${BK}u`,
        g: (cc: string, kk: string) => `bBase + ${cc} * p.k + ${kk}`,
      }
    : {
        c: `idx % ${BN}u`,
        kk: `idx / ${BN}u`,
        g: (cc: string, kk: string) => `bBase + ${kk} * p.n + ${cc}`,
      };
  const h = halfOf(v);
  return /* wgsl */ `${v.half ? F16_ROUND_WGSL : ''}
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
${PARAMS_WGSL}
var<workgroup> As: array<f32, ${BM * BK}>;
var<workgroup> Bs: array<f32, ${BN * BK}>;

@compute @workgroup_size(${T}, ${T})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lidv: vec3u, @builtin(local_invocation_index) lid: u32) {
${TILE_WGSL}
  let m0 = tm * ${BM}u;
  let n0 = tn * ${BN}u;
  let tx = lidv.x;
  let ty = lidv.y;
${rows.map((i) => cols.map((j) => `  var acc${i}_${j} = 0.0;`).join('\n')).join('\n')}
  for (var k0 = 0u; k0 < p.k; k0 += ${BK}u) {
${aLoads
  .map(
    (t) => `    {
      let idx = lid + ${t * NT}u;
      let r = ${aIdx.r};
      let kk = ${aIdx.kk};
      var val = 0.0;
      if (idx < ${BM * BK}u && m0 + r < p.m && k0 + kk < p.k) { val = ${h(`A[${aIdx.g('(m0 + r)', '(k0 + kk)')}]`, false)}; }
      if (idx < ${BM * BK}u) { As[kk * ${BM}u + r] = val; }
    }`,
  )
  .join('\n')}
${bLoads
  .map(
    (t) => `    {
      let idx = lid + ${t * NT}u;
      let cc = ${bIdx.c};
      let kk = ${bIdx.kk};
      var val = 0.0;
      if (idx < ${BN * BK}u && n0 + cc < p.n && k0 + kk < p.k) { val = ${h(`B[${bIdx.g('(n0 + cc)', '(k0 + kk)')}]`, false)}; }
      if (idx < ${BN * BK}u) { Bs[kk * ${BN}u + cc] = val; }
    }`,
  )
  .join('\n')}
    workgroupBarrier();
    for (var kk = 0u; kk < ${BK}u; kk++) {
${rows.map((i) => `      let a${i} = As[kk * ${BM}u + ty * ${TM}u + ${i}u];`).join('\n')}
${cols.map((j) => `      let b${j} = Bs[kk * ${BN}u + tx + ${j * T}u];`).join('\n')}
${rows.map((i) => cols.map((j) => `      acc${i}_${j} = fma(a${i}, b${j}, acc${i}_${j});`).join('\n')).join('\n')}
    }
    workgroupBarrier();
  }
${rows
  .map(
    (i) => `  {
    let row = m0 + ty * ${TM}u + ${i}u;
    if (row < p.m) {
${cols.map((j) => `      if (n0 + tx + ${j * T}u < p.n) { C[cBase + row * p.n + n0 + tx + ${j * T}u] = ${h(`acc${i}_${j}`, false)}; }`).join('\n')}
    }
  }`,
  )
  .join('\n')}
}
`;
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
  /** Pretend the device allows at most this many workgroups per grid dimension. */
  maxWorkgroupsPerDimension?: number;
  /** Set false to never use subgroup operations (default: use them where they help). */
  subgroups?: boolean;
  /** Round operands and result to f16 (see {@link MatmulVariant.half}). */
  half?: boolean;
}

/**
 * Encodes `out = op(A) · op(B)` for every batch (see {@link MatmulArgs}) on `device`. The work
 * runs at the next `submit()`/`read()`/`sync()`. One pipeline is compiled per tiling and layout
 * variant (transposes, vec4 alignment); shapes, strides and offsets travel in a small uniform
 * buffer, so new shapes never compile anything.
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
  for (const [name, buf, len] of [
    ['A', a, aEnd],
    ['B', b, bEnd],
    ['out', out, outLen],
  ] as const) {
    if (len * 4 > buf.size) {
      throw new RangeError(
        `matmul: ${name} needs ${len} f32 values but its buffer holds ${Math.floor(buf.size / 4)}`,
      );
    }
  }
  const maxBinding = device.limits.maxStorageBufferBindingSize;
  for (const [name, len] of [
    ['A', aEnd],
    ['B', bEnd],
    ['out', outLen],
  ] as const) {
    if (len * 4 > maxBinding) {
      throw new RangeError(
        `matmul: ${name} spans ${len * 4} bytes, over maxStorageBufferBindingSize (${maxBinding})`,
      );
    }
  }
  if (Math.max(aEnd, bEnd, outLen) >= 2 ** 32) {
    throw new RangeError('matmul: operands must hold fewer than 2^32 elements');
  }

  const bAligned = transB
    ? k % 4 === 0 && bOffset % 4 === 0 && bBatchStride % 4 === 0
    : n % 4 === 0 && bOffset % 4 === 0 && bBatchStride % 4 === 0;
  // An explicit tiling, else what tuneMatmul measured fastest here, else the adapter default.
  const tuned = options.config ? undefined : tunedMatmulChoice(device, transA, transB);
  let cfg = options.config ?? tuned?.config ?? defaultMatmulConfig(device);
  const useSubgroups = options.subgroups ?? tuned?.subgroups ?? true;
  if (!options.config && cfg.kind === 'register' && !bAligned) {
    // Unaligned B is read with 4 scalar loads per column group: a smaller register block keeps
    // that rare variant quick to compile (seconds per variant on lavapipe otherwise).
    cfg = { ...cfg, rows: Math.min(cfg.rows, 8), cols: 1 };
  }
  const { bm, bn } = matmulTile(cfg);
  const isRegister = cfg.kind === 'register';
  const aAligned =
    aOffset % 4 === 0 &&
    aBatchStride % 4 === 0 &&
    (transA ? m % 4 === 0 && cfg.kind === 'register' && cfg.rows % 4 === 0 : k % 4 === 0);
  const variant: MatmulVariant = {
    transA,
    transB,
    vecA: isRegister && aAligned,
    subgroupA: isRegister && aAligned && useSubgroups && subgroupsOf8(device),
    vecB: isRegister && bAligned && bEnd >= 4,
    vecOut: isRegister && n % 4 === 0,
    ...(options.half ? { half: true } : {}),
  };
  if (variant.subgroupA && variant.transA && cfg.kind === 'register') {
    // Transposed A is shared across lanes in whole groups of k-steps: needs 8 % (rows/4) == 0
    // and k a multiple of the step.
    const G = cfg.rows / 4;
    if (8 % G !== 0 || k % registerKStep(cfg, variant) !== 0) variant.subgroupA = false;
  }
  const tilesM = Math.ceil(m / bm);
  const tilesN = Math.ceil(n / bn);
  if (tilesM * tilesN * batch >= 2 ** 32) {
    throw new RangeError('matmul: too many output tiles for one dispatch (≥ 2^32)');
  }
  const params = Uint32Array.of(
    m,
    n,
    k,
    batch,
    aBatchStride,
    bBatchStride,
    aOffset,
    bOffset,
    tilesM,
    tilesN,
    0,
    0,
  );
  const label = `matmul${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${options.half ? '-f16' : ''}`;
  // Bind exactly the elements used (rounded to whole vec4s), never past the buffer's end.
  const bindSize = (buf: GPUBuffer, len: number, vec: boolean) => {
    const bytes = vec ? Math.ceil(len / 4) * 16 : len * 4;
    return Math.min(buf.size, bytes, vec ? Math.floor(maxBinding / 16) * 16 : maxBinding);
  };
  launch(
    device,
    matmulSource(cfg, variant),
    label,
    [
      { buffer: a, size: bindSize(a, aEnd, variant.vecA) },
      { buffer: b, size: bindSize(b, bEnd, variant.vecB) },
      { buffer: out, size: bindSize(out, outLen, variant.vecOut) },
      paramWords(device, params),
    ],
    {
      workgroups: foldGrid(
        tilesM * tilesN * batch,
        Math.min(
          device.limits.maxComputeWorkgroupsPerDimension,
          options.maxWorkgroupsPerDimension ?? Number.POSITIVE_INFINITY,
        ),
      ),
    },
  );
}

export const matmulSource = memoSource(matmulSourceBuild);
