/**
 * Index reductions (argmax, argmin) along one axis, and the constants every reduction shares.
 * The input is viewed as `[outer, r, inner]` and reduced over `r`. Rows of at most
 * {@link SHORT_ROW} are folded by one thread each; longer rows by one workgroup each, whose
 * threads fold strided parts of the row and then combine them in shared memory, in a fixed,
 * deterministic order. Sums and maxima are generated with their fused prologue and epilogue
 * (`lazy/codegen.ts`).
 */

import type { Device } from '../device/device.js';
import type { WgslType } from '../dtype.js';
import { launch, params, words } from './launch.js';
import { memoSource } from './memo.js';

/** Threads per reduction workgroup. */
export const REDUCE_WG = 64;

/** The index reductions. */
export type ArgReduceOp = 'argmax' | 'argmin';

/** The lowest value of a WGSL type (the start of a maximum). */
export function lowest(t: WgslType): string {
  return t === 'f32' ? '-0x1.fffffep+127f' : t === 'i32' ? 'i32(-2147483647 - 1)' : '0u';
}
function highest(t: WgslType): string {
  return t === 'f32' ? '0x1.fffffep+127f' : t === 'i32' ? '2147483647i' : '0xffffffffu';
}

/** WGSL for argmax/argmin (first index of the extreme value) with an i32 output. */
function argReduceSourceBuild(op: ArgReduceOp, t: WgslType): string {
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

/** WGSL for an index reduction with one thread per output (rows of at most {@link SHORT_ROW}). */
function argRowSourceBuild(op: ArgReduceOp, t: WgslType): string {
  const better = op === 'argmax' ? '>' : '<';
  const init = op === 'argmax' ? lowest(t) : highest(t);
  return /* wgsl */ `
const WG: u32 = 64u;
// p = [outer, r, inner]
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<${t}>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;

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
    if (j == 0u || v ${better} acc) { acc = v; index = j; }
  }
  out[o] = i32(index);
}
`;
}

/** Encodes an index reduction of `x` viewed as `[outer, r, inner]` into `out` of `outer · inner`. */
export function encodeArgReduce(
  device: Device,
  op: ArgReduceOp,
  type: 'f32' | 'i32',
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
    launch(device, argRowSource(op, type), `reduceRows(${op})`, bindings, {
      threads: outputs,
      workgroupSize: 64,
    });
    return;
  }
  launch(device, argReduceSource(op, type), `reduce(${op})`, bindings, {
    threads: outputs,
    workgroupSize: 1,
  });
}

export const argReduceSource = memoSource(argReduceSourceBuild);

export const argRowSource = memoSource(argRowSourceBuild);
