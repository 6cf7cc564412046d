/**
 * The shared-memory matmul kernel (see {@link MatmulConfig}, `shared`): the classic tiling of
 * a GPU.
 */
import {
  F16_ROUND_WGSL,
  halfOf,
  type MatmulConfig,
  type MatmulVariant,
  outputDeclarations,
  PARAMS_WGSL,
  range,
  storeWgsl,
  TILE_WGSL,
} from './matmul-wgsl.js';

/** WGSL of the shared-memory kernel for `c` and `v`. */
export function sharedSource(
  c: Extract<MatmulConfig, { kind: 'shared' }>,
  v: MatmulVariant,
): string {
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
  // A transposed store writes kernel (row, col) to output (col, row); the bias follows the
  // output's column.
  const store = (col: string, value: string) =>
    v.transOut
      ? storeWgsl(v, false, `cBase + ${col} * p.m + row`, value, 'row')
      : storeWgsl(v, false, `cBase + row * p.n + ${col}`, value, col);
  return /* wgsl */ `${v.half ? F16_ROUND_WGSL : ''}
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
${outputDeclarations(v, false)}
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
${cols.map((j) => `      if (n0 + tx + ${j * T}u < p.n) { ${store(`(n0 + tx + ${j * T}u)`, h(`acc${i}_${j}`, false))} }`).join('\n')}
    }
  }`,
  )
  .join('\n')}
}
`;
}
