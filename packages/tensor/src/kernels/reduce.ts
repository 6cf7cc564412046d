/**
 * Reductions along one axis. The input is viewed as `[outer, r, inner]` and reduced over `r`;
 * one workgroup computes one output: each thread folds a strided part of the row, then the
 * workgroup combines the partial results in shared memory, so rows of any length (also far
 * longer than a workgroup) are reduced in a fixed, deterministic order.
 */
import type { Device } from '../device/device.js';
import { launch, params, words } from './launch.js';
import { memoSource } from './memo.js';

/** Threads per reduction workgroup. */
export const REDUCE_WG = 64;

type WgslType = 'f32' | 'i32';
/** The reductions of the primitive set (`prims/reduce.ts`); min and mean are composites. */
export type ReduceOp = 'sum' | 'max' | 'argmax' | 'argmin';

function lowest(t: WgslType): string {
  return t === 'f32' ? '-0x1.fffffep+127f' : 'i32(-2147483647 - 1)';
}
function highest(t: WgslType): string {
  return t === 'f32' ? '0x1.fffffep+127f' : '2147483647i';
}

/** WGSL for a sum or max reduction. */
function reduceSourceBuild(op: 'sum' | 'max', t: WgslType): string {
  const init = op === 'max' ? lowest(t) : `${t}(0)`;
  const combine = op === 'max' ? 'max(u, v)' : 'u + v';
  return /* wgsl */ `
const WG: u32 = ${REDUCE_WG}u;
// p = [outer, r, inner]
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<${t}>;
@group(0) @binding(2) var<storage, read_write> out: array<${t}>;
var<workgroup> partial: array<${t}, WG>;

fn combine(u: ${t}, v: ${t}) -> ${t} { return ${combine}; }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let o = wid.y * nwg.x + wid.x;          // which output this workgroup computes
  let r = p[1];
  let inner = p[2];
  if (o >= p[0] * inner) { return; }       // uniform: the whole workgroup returns
  let base = (o / inner) * r * inner + o % inner;
  var acc: ${t} = ${init};
  for (var j = lid.x; j < r; j += WG) {
    acc = combine(acc, x[base + j * inner]);
  }
  partial[lid.x] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid.x < s) { partial[lid.x] = combine(partial[lid.x], partial[lid.x + s]); }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let acc = partial[0];
    out[o] = acc;
  }
}
`;
}

/** WGSL for argmax/argmin (first index of the extreme value) with an i32 output. */
function argReduceSourceBuild(op: 'argmax' | 'argmin', t: WgslType): string {
  const better = op === 'argmax' ? '>' : '<';
  const init = op === 'argmax' ? lowest(t) : highest(t);
  return /* wgsl */ `
const WG: u32 = ${REDUCE_WG}u;
// p = [outer, r, inner]
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<${t}>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;
var<workgroup> bestValue: array<${t}, WG>;
var<workgroup> bestIndex: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let o = wid.y * nwg.x + wid.x;
  let r = p[1];
  let inner = p[2];
  if (o >= p[0] * inner) { return; }
  let base = (o / inner) * r * inner + o % inner;
  var value: ${t} = ${init};
  var index = 0xffffffffu;
  for (var j = lid.x; j < r; j += WG) {
    let v = x[base + j * inner];
    if (index == 0xffffffffu || v ${better} value) { value = v; index = j; }
  }
  bestValue[lid.x] = value;
  bestIndex[lid.x] = index;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid.x < s) {
      let v = bestValue[lid.x + s];
      let k = bestIndex[lid.x + s];
      let mine = bestIndex[lid.x];
      // keep the first occurrence: an empty slot loses, ties go to the smaller index
      if (k != 0xffffffffu && (mine == 0xffffffffu || v ${better} bestValue[lid.x] ||
          (v == bestValue[lid.x] && k < mine))) {
        bestValue[lid.x] = v;
        bestIndex[lid.x] = k;
      }
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) { out[o] = i32(bestIndex[0]); }
}
`;
}

/**
 * Rows at most this long are reduced by one thread each, serially: no shared memory and no
 * barriers, which matters on CPU adapters (lavapipe) where barriers are costly, and leaves a
 * GPU with one thread per output instead of a mostly idle workgroup.
 */
export const SHORT_ROW = 256;

/** WGSL for a reduction with one thread per output (rows of at most {@link SHORT_ROW}). */
function reduceRowSourceBuild(op: ReduceOp, t: WgslType): string {
  const arg = op === 'argmax' || op === 'argmin';
  const better = op === 'argmax' || op === 'max' ? '>' : '<';
  const init =
    op === 'max' || op === 'argmax' ? lowest(t) : op === 'argmin' ? highest(t) : `${t}(0)`;
  const step = arg
    ? `if (j == 0u || v ${better} acc) { acc = v; index = j; }`
    : op === 'max'
      ? 'acc = max(acc, v);'
      : 'acc = acc + v;';
  const result = arg ? 'i32(index)' : 'acc';
  return /* wgsl */ `
const WG: u32 = 64u;
// p = [outer, r, inner]
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<${t}>;
@group(0) @binding(2) var<storage, read_write> out: array<${arg ? 'i32' : t}>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let o = (wid.y * nwg.x + wid.x) * WG + lid.x;
  let r = p[1];
  let inner = p[2];
  if (o >= p[0] * inner) { return; }
  let base = (o / inner) * r * inner + o % inner;
  var acc: ${t} = ${init};
  var index = 0u;
  for (var j = 0u; j < r; j++) {
    let v = x[base + j * inner];
    ${step}
  }
  out[o] = ${result};
}
`;
}

/** Encodes a reduction of `x` viewed as `[outer, r, inner]` into `out` of `outer * inner`. */
export function encodeReduce(
  device: Device,
  op: ReduceOp,
  type: WgslType,
  x: GPUBuffer,
  out: GPUBuffer,
  dims: { outer: number; r: number; inner: number },
): void {
  const { outer, r, inner } = dims;
  const outputs = outer * inner;
  if (outputs === 0) return;
  const bindings = [
    params(device, [outer, r, inner]),
    words(x, outer * r * inner),
    words(out, outputs),
  ];
  if (r <= SHORT_ROW && r > 0) {
    launch(device, reduceRowSource(op, type), `reduceRows(${op})`, bindings, {
      threads: outputs,
      workgroupSize: 64,
    });
    return;
  }
  const code =
    op === 'argmax' || op === 'argmin' ? argReduceSource(op, type) : reduceSource(op, type);
  launch(device, code, `reduce(${op})`, bindings, { threads: outputs, workgroupSize: 1 });
}

export const reduceSource = memoSource(reduceSourceBuild);

export const argReduceSource = memoSource(argReduceSourceBuild);

export const reduceRowSource = memoSource(reduceRowSourceBuild);
