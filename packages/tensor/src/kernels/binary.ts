/**
 * Broadcasting elementwise kernels with any number of inputs (binary ops, comparisons,
 * logical ops, `where`). NumPy broadcasting is done with strides: an input's stride is 0 along
 * a dimension it broadcasts, so no input is ever expanded in memory.
 */
import type { Device } from '../device/device.js';
import type { WgslType } from '../dtype.js';
import { LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from './grid.js';
import { ENTRY_1D, launch, params, words } from './launch.js';
import { memoSource } from './memo.js';

/** Binary expressions in terms of `a` and `b`; comparisons yield `bool`, stored as u32. */
export const BINARY_EXPR = {
  add: 'a + b',
  mul: 'a * b',
  div: 'a / b',
  maximum: 'max(a, b)',
  atan2: 'atan2(a, b)',
  pow: 'pow(a, b)',
  eq: 'a == b',
  ne: 'a != b',
  lt: 'a < b',
  le: 'a <= b',
  gt: 'a > b',
  ge: 'a >= b',
  logicalAnd: '(a != 0u) && (b != 0u)',
  logicalOr: '(a != 0u) || (b != 0u)',
  logicalXor: '(a != 0u) != (b != 0u)',
} as const;

const NAMES = 'abcdefgh';

/**
 * WGSL for `out[i] = expr(a, b, …)` over a broadcast output. Parameters:
 * `p = [n, rank, outShape[rank], stridesOfInput0[rank], stridesOfInput1[rank], …]`.
 * With `boolOut`, the expression is a WGSL `bool` and is stored as 0u/1u.
 */
function broadcastSourceBuild(
  expr: string,
  inputs: readonly WgslType[],
  tout: WgslType,
  boolOut = false,
): string {
  const k = inputs.length;
  const decls = inputDecls(inputs);
  const offsets = inputs.map((_, j) => `  var o${j} = 0u;`).join('\n');
  const steps = inputs
    .map((_, j) => `    o${j} += idx * p[2u + ${j + 1}u * rank + du];`)
    .join('\n');
  const loads = inputs.map((_, j) => `  let ${NAMES[j]} = in${j}[o${j}];`).join('\n');
  const value = boolOut ? `select(0u, 1u, ${expr})` : expr;
  return /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
@group(0) @binding(0) var<storage, read> p: array<u32>;
${decls}
@group(0) @binding(${k + 1}) var<storage, read_write> out: array<${tout}>;

@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= p[0]) { return; }
  let rank = p[1];
  var rem = i;
${offsets}
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let du = u32(d);
    let extent = p[2u + du];
    let idx = rem % extent;
    rem = rem / extent;
${steps}
  }
${loads}
  out[i] = ${value};
}
`;
}

/** Read-only bindings `in0`, `in1`, … at bindings 1.. for the kernels' inputs. */
function inputDecls(inputs: readonly WgslType[]): string {
  return inputs
    .map((t, j) => `@group(0) @binding(${j + 1}) var<storage, read> in${j}: array<${t}>;`)
    .join('\n');
}

/**
 * WGSL for the common case after dimension collapsing: every input is either dense like the
 * output (`direct[j]`) or a single broadcast value. No index arithmetic and no parameter
 * loads per element, which CPU adapters (lavapipe) execute lane by lane. The kernel sizes
 * itself by `arrayLength(&out)`, so bind exactly the output's elements. With `vec4`, each
 * thread handles four elements (`out` holds vectors; bind a multiple of 16 bytes) and
 * broadcast values are splatted, so `expr` must work on vectors as on scalars.
 */
export function flatSource(
  expr: string,
  inputs: readonly WgslType[],
  direct: readonly boolean[],
  tout: WgslType,
  boolOut = false,
  vec4 = false,
): string {
  const k = inputs.length;
  const vec = (t: WgslType) => (vec4 ? `vec4<${t}>` : t);
  const decls = inputs
    .map(
      (t, j) =>
        `@group(0) @binding(${j}) var<storage, read> in${j}: array<${direct[j] ? vec(t) : t}>;`,
    )
    .join('\n');
  const loads = inputs
    .map((t, j) => `  let ${NAMES[j]} = ${direct[j] ? `in${j}[i]` : `${vec(t)}(in${j}[0u])`};`)
    .join('\n');
  const value = boolOut ? `select(0u, 1u, ${expr})` : expr;
  return /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
${decls}
@group(0) @binding(${k}) var<storage, read_write> out: array<${vec(tout)}>;

@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= arrayLength(&out)) { return; }
${loads}
  out[i] = ${value};
}
`;
}

/** Expressions that mean the same on `vec4` operands as on scalars (see {@link flatSource}). */
const VEC4_EXPR = new Set<string>([
  BINARY_EXPR.add,
  BINARY_EXPR.mul,
  BINARY_EXPR.div,
  BINARY_EXPR.maximum,
  BINARY_EXPR.atan2,
  BINARY_EXPR.pow,
]);

/**
 * Flat kernels by expression, then by a numeric signature of types and layout, so a launch
 * neither rebuilds the WGSL nor builds a key string (this runs for every small op).
 */
const flatSources = new Map<string, Map<number, string>>();
const TYPE_CODES: Record<string, number> = { f32: 1, i32: 2, u32: 3 };

function cachedFlatSource(
  expr: string,
  inputs: readonly WgslType[],
  direct: readonly boolean[],
  tout: WgslType,
  boolOut: boolean,
  vec4: boolean,
): string {
  // Three bits per type plus flags: unique for up to 8 inputs within 2^53.
  let sig = (TYPE_CODES[tout] ?? 7) * 4 + (boolOut ? 2 : 0) + (vec4 ? 1 : 0);
  for (let j = 0; j < inputs.length; j++)
    sig = sig * 16 + (TYPE_CODES[inputs[j]!] ?? 7) * 2 + (direct[j] ? 1 : 0);
  sig = sig * 16 + inputs.length;
  let byExpr = flatSources.get(expr);
  if (!byExpr) {
    byExpr = new Map();
    flatSources.set(expr, byExpr);
  }
  let code = byExpr.get(sig);
  if (code === undefined) {
    code = flatSource(expr, inputs, direct, tout, boolOut, vec4);
    byExpr.set(sig, code);
  }
  return code;
}

/** One operand of a broadcast kernel: its buffer, element count and broadcast strides. */
export interface BroadcastInput {
  buffer: GPUBuffer;
  size: number;
  type: WgslType;
  /** Element stride per output dimension; 0 where the input broadcasts. */
  strides: readonly number[];
}

/**
 * Encodes an elementwise kernel over `n` elements where every input is dense like the output
 * (`direct[j]`) or a single broadcast value: the common case, with no index arithmetic.
 */
export function encodeFlat(
  device: Device,
  expr: string,
  inputs: readonly { buffer: GPUBuffer; type: WgslType }[],
  direct: readonly boolean[],
  out: { buffer: GPUBuffer; type: WgslType; boolOut?: boolean },
  n: number,
): void {
  const boolOut = out.boolOut ?? false;
  const vec4 = !boolOut && n % 4 === 0 && VEC4_EXPR.has(expr);
  const bindings = inputs.map((x, j) => words(x.buffer, direct[j] ? n : 1));
  bindings.push(words(out.buffer, n));
  launch(
    device,
    cachedFlatSource(
      expr,
      inputs.map((x) => x.type),
      direct,
      out.type,
      boolOut,
      vec4,
    ),
    `elementwise(${expr})`,
    bindings,
    { threads: vec4 ? n / 4 : n },
  );
}

/** Encodes a broadcasting elementwise kernel writing `out` of shape `outShape`. */
export function encodeBroadcast(
  device: Device,
  expr: string,
  inputs: readonly BroadcastInput[],
  out: { buffer: GPUBuffer; type: WgslType; boolOut?: boolean },
  outShape: readonly number[],
): void {
  const n = outShape.reduce((x, y) => x * y, 1);
  if (n === 0) return;
  const { shape, strides } = collapseDims(
    outShape,
    inputs.map((x) => x.strides),
  );
  const flat = shape.length === 1 && strides.every((st) => st[0] === 1 || st[0] === 0);
  if (flat) {
    encodeFlat(
      device,
      expr,
      inputs,
      strides.map((st) => st[0] === 1),
      out,
      n,
    );
    return;
  }
  const p = [n, shape.length, ...shape, ...strides.flat()];
  launch(
    device,
    broadcastSource(
      expr,
      inputs.map((x) => x.type),
      out.type,
      out.boolOut,
    ),
    `broadcast(${expr})`,
    [params(device, p), ...inputs.map((x) => words(x.buffer, x.size)), words(out.buffer, n)],
    { threads: n },
  );
}

/**
 * Merges adjacent dimensions that every operand walks contiguously, and drops size-1
 * dimensions, so most kernels run with rank 1 or 2.
 */
export function collapseDims(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const extent = shape[d]!;
    if (extent === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((s, j) => outStrides[j]![last] === s[d]! * extent);
    if (mergeable) {
      outShape[last] = outShape[last]! * extent;
      strides.forEach((s, j) => {
        outStrides[j]![last] = s[d]!;
      });
    } else {
      outShape.push(extent);
      strides.forEach((s, j) => {
        outStrides[j]!.push(s[d]!);
      });
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

export const broadcastSource = memoSource(broadcastSourceBuild);
