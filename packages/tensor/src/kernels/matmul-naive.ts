/**
 * A simple batched matmul: one thread per output element, reading both operands straight
 * from global memory. It has exactly the signature of the tiled kernel in `matmul.ts`, so
 * either can back `Tensor.matmul` (see `ops/matmul.ts`).
 */
import type { Device } from '../device/device.js';
import { LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from './grid.js';
import { ENTRY_1D, launch, params } from './launch.js';
import type { MatmulArgs } from './matmul.js';

export type { MatmulArgs };

/** `out[b, i, j] = Σ_p A_b[i, p] · B_b[p, j]` with A/B read through their layout flags. */
export const MATMUL_NAIVE_SOURCE = /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
// p = [batch, m, n, k, transA, transB, aBatchStride, bBatchStride, aOffset, bOffset]
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let idx = ${LINEAR_INDEX_WGSL};
  let m = p[1];
  let n = p[2];
  let k = p[3];
  if (idx >= p[0] * m * n) { return; }
  let batch = idx / (m * n);
  let i = (idx / n) % m;
  let j = idx % n;
  let aBase = p[8] + batch * p[6];
  let bBase = p[9] + batch * p[7];
  // element (row, col) of A is at row * aRow + col * aCol; same for B
  let aRow = select(k, 1u, p[4] != 0u);
  let aCol = select(1u, m, p[4] != 0u);
  let bRow = select(n, 1u, p[5] != 0u);
  let bCol = select(1u, k, p[5] != 0u);
  var acc = 0.0;
  for (var q = 0u; q < k; q++) {
    acc += a[aBase + i * aRow + q * aCol] * b[bBase + q * bRow + j * bCol];
  }
  out[idx] = acc;
}
`;

/** Encodes `out = op(A) · op(B)` for `batch` matrices. `out` is dense `[batch, m, n]`. */
export function encodeMatmulNaive(device: Device, args: MatmulArgs): void {
  const { batch, m, n, k } = args;
  if (args.epilogue) throw new RangeError('matmul-naive: no fused epilogue; use the tiled kernel');
  const total = batch * m * n;
  if (total === 0) return;
  const p = [
    batch,
    m,
    n,
    k,
    args.transA ? 1 : 0,
    args.transB ? 1 : 0,
    args.aBatchStride,
    args.bBatchStride,
    args.aOffset ?? 0,
    args.bOffset ?? 0,
  ];
  launch(
    device,
    MATMUL_NAIVE_SOURCE,
    'matmul-naive',
    [params(device, p), args.a, args.b, { buffer: args.out, offset: 0, size: total * 4 }],
    { threads: total },
  );
}
