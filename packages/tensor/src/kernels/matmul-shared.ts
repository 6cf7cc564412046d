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

/** How one operand's `size × bk` tile is read from memory into workgroup memory. */
interface TileRead {
  src: 'A' | 'B';
  /** The tile's extent along the operand's own axis (m for A, n for B). */
  size: number;
  /** The tile's first row (A) or column (B), and the operand's extent along that axis. */
  origin: string;
  extent: string;
  /** The WGSL name of the index along that axis. */
  axis: string;
  bk: number;
  /** The index along the axis and along k of thread-local element `idx`. */
  along: string;
  kk: string;
  /** The element's offset in the operand's buffer. */
  offset: (x: string, kk: string) => string;
}

/**
 * A tile read whose memory runs along the operand's own axis (`contiguous`: A transposed, B
 * not) or along k: consecutive threads read consecutive addresses either way.
 */
function tileRead(
  t: Pick<TileRead, 'src' | 'size' | 'origin' | 'extent' | 'axis' | 'bk'>,
  contiguous: boolean,
): TileRead {
  const base = t.src === 'A' ? 'aBase' : 'bBase';
  return contiguous
    ? {
        ...t,
        along: `idx % ${t.size}u`,
        kk: `idx / ${t.size}u`,
        offset: (x, kk) => `${base} + ${kk} * ${t.extent} + ${x}`,
      }
    : {
        ...t,
        along: `idx / ${t.bk}u`,
        kk: `idx % ${t.bk}u`,
        offset: (x, kk) => `${base} + ${x} * p.k + ${kk}`,
      };
}

/** One thread's load of element `lid + first` of a tile (zero past the operand's edges). */
function tileLoadWgsl(t: TileRead, first: number, h: ReturnType<typeof halfOf>): string {
  const n = t.size * t.bk;
  const read = h(`${t.src}[${t.offset(`(${t.origin} + ${t.axis})`, '(k0 + kk)')}]`, false);
  return `    {
      let idx = lid + ${first}u;
      let ${t.axis} = ${t.along};
      let kk = ${t.kk};
      var val = 0.0;
      if (idx < ${n}u && ${t.origin} + ${t.axis} < ${t.extent} && k0 + kk < p.k) { val = ${read}; }
      if (idx < ${n}u) { ${t.src}s[kk * ${t.size}u + ${t.axis}] = val; }
    }`;
}

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
  const h = halfOf(v);
  const a = tileRead(
    { src: 'A', size: BM, origin: 'm0', extent: 'p.m', axis: 'r', bk: BK },
    v.transA,
  );
  const b = tileRead(
    { src: 'B', size: BN, origin: 'n0', extent: 'p.n', axis: 'cc', bk: BK },
    !v.transB,
  );
  const loads = (t: TileRead) =>
    range(Math.ceil((t.size * BK) / NT))
      .map((i) => tileLoadWgsl(t, i * NT, h))
      .join('\n');
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
${loads(a)}
${loads(b)}
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
