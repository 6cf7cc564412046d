/**
 * Numerically stable softmax and log-softmax along one axis of `[outer, r, inner]`: one
 * workgroup per row finds the row maximum, sums `exp(x - max)`, then writes
 * `exp(x - max) / sum` or `x - max - log(sum)`.
 */
import type { Device } from '../device/device.js';
import { launch, params, words } from './launch.js';
import { memoSource } from './memo.js';

export const SOFTMAX_WG = 64;

function softmaxSourceBuild(log: boolean): string {
  const write = log ? 'v - m - log(total)' : 'exp(v - m) / total';
  return /* wgsl */ `
const WG: u32 = ${SOFTMAX_WG}u;
// p = [outer, r, inner]
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let o = wid.y * nwg.x + wid.x;
  let r = p[1];
  let inner = p[2];
  if (o >= p[0] * inner) { return; }
  let base = (o / inner) * r * inner + o % inner;

  // 1. the row maximum
  var m = -0x1.fffffep+127f;
  for (var j = lid.x; j < r; j += WG) { m = max(m, x[base + j * inner]); }
  partial[lid.x] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid.x < s) { partial[lid.x] = max(partial[lid.x], partial[lid.x + s]); }
    workgroupBarrier();
  }
  m = partial[0];
  workgroupBarrier();

  // 2. the sum of exp(x - max)
  var acc = 0.0;
  for (var j = lid.x; j < r; j += WG) { acc += exp(x[base + j * inner] - m); }
  partial[lid.x] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid.x < s) { partial[lid.x] = partial[lid.x] + partial[lid.x + s]; }
    workgroupBarrier();
  }
  let total = partial[0];

  // 3. the output
  for (var j = lid.x; j < r; j += WG) {
    let v = x[base + j * inner];
    out[base + j * inner] = ${write};
  }
}
`;
}

/** Softmax with one thread per row, for rows of at most 256 (see `SHORT_ROW` in reduce.ts). */
function softmaxRowSourceBuild(log: boolean): string {
  const write = log ? 'v - m - log(total)' : 'exp(v - m) / total';
  return /* wgsl */ `
const WG: u32 = 64u;
// p = [outer, r, inner]
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let o = (wid.y * nwg.x + wid.x) * WG + lid.x;
  let r = p[1];
  let inner = p[2];
  if (o >= p[0] * inner) { return; }
  let base = (o / inner) * r * inner + o % inner;
  var m = -0x1.fffffep+127f;
  for (var j = 0u; j < r; j++) { m = max(m, x[base + j * inner]); }
  var total = 0.0;
  for (var j = 0u; j < r; j++) { total += exp(x[base + j * inner] - m); }
  for (var j = 0u; j < r; j++) {
    let v = x[base + j * inner];
    out[base + j * inner] = ${write};
  }
}
`;
}

export function encodeSoftmax(
  device: Device,
  log: boolean,
  x: GPUBuffer,
  out: GPUBuffer,
  dims: { outer: number; r: number; inner: number },
): void {
  const { outer, r, inner } = dims;
  const n = outer * r * inner;
  if (n === 0) return;
  const bindings = [params(device, [outer, r, inner]), words(x, n), words(out, n)];
  if (r <= 256) {
    launch(device, softmaxRowSource(log), log ? 'logSoftmaxRows' : 'softmaxRows', bindings, {
      threads: outer * inner,
      workgroupSize: 64,
    });
    return;
  }
  launch(device, softmaxSource(log), log ? 'logSoftmax' : 'softmax', bindings, {
    threads: outer * inner,
    workgroupSize: 1,
  });
}

export const softmaxSource = memoSource(softmaxSourceBuild);

export const softmaxRowSource = memoSource(softmaxRowSourceBuild);
