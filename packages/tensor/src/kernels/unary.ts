/**
 * Unary elementwise kernels: `out[i] = f(a[i], s)` where `s` is an optional scalar parameter
 * of the input type. Also used for casts (different input and output types).
 */
import type { Device } from '../device/device.js';
import type { WgslType } from '../dtype.js';
import { LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from './grid.js';
import { ENTRY_1D, launch, params, words } from './launch.js';
import { memoSource } from './memo.js';

/** The expressions of the unary primitives, in terms of `a` (the element). */
export const UNARY_EXPR = {
  exp: 'exp(a)',
  log: 'log(a)',
  sqrt: 'sqrt(a)',
  recip: '1.0 / a',
  sin: 'sin(a)',
  cos: 'cos(a)',
  tanh: 'tanh(a)',
  sign: 'sign(a)',
  logicalNot: 'select(1u, 0u, a != 0u)',
} as const;

/** WGSL for `out[i] = expr` with `a: tin`, `s: tin` and a `tout` output. */
function unarySourceBuild(expr: string, tin: WgslType, tout: WgslType): string {
  return /* wgsl */ `
alias T = ${tin};
const WG: u32 = ${WORKGROUP_SIZE}u;
// p[0] = element count, p[1] = the scalar's bits
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<${tin}>;
@group(0) @binding(2) var<storage, read_write> out: array<${tout}>;

@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= p[0]) { return; }
  let a = x[i];
  let s = bitcast<T>(p[1]);
  out[i] = ${expr};
}
`;
}

/** Encodes `out[0..n) = expr(x[0..n), s)`. `scalarBits` is the 32-bit pattern of `s`. */
export function encodeUnary(
  device: Device,
  expr: string,
  x: GPUBuffer,
  out: GPUBuffer,
  n: number,
  types: { tin: WgslType; tout: WgslType },
  scalarBits = 0,
): void {
  if (n === 0) return;
  launch(
    device,
    unarySource(expr, types.tin, types.tout),
    `unary(${expr})`,
    [params(device, [n, scalarBits]), words(x, n), words(out, n)],
    { threads: n },
  );
}

export const unarySource = memoSource(unarySourceBuild);
