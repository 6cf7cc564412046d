/**
 * Data movement: strided reads (permute, slice, broadcast-to), strided writes (concat, pad,
 * the gradient of slice), fills and ranges. Every tensor is dense; these kernels express each
 * layout change as an index map through strides.
 */
import type { Device } from '../device/device.js';
import type { WgslType } from '../dtype.js';
import { collapseDims } from '../lazy/index-map.js';
import { LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from './grid.js';
import { ENTRY_1D, launch, params, words } from './launch.js';
import { memoSource } from './memo.js';

/**
 * `out[i] = src[offset + Σ idx_d · stride_d]` where `idx` is the multi-index of `i` in the
 * dense `shape` (`gather`), or `out[offset + Σ idx_d · stride_d] = src[i]` (`scatter`).
 * Parameters: `p = [n, rank, offset, shape[rank], strides[rank]]`.
 */
function stridedSourceBuild(mode: 'gather' | 'scatter', t: WgslType): string {
  const move = mode === 'gather' ? 'out[i] = src[o];' : 'out[o] = src[i];';
  return /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<${t}>;
@group(0) @binding(2) var<storage, read_write> out: array<${t}>;

@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= p[0]) { return; }
  let rank = p[1];
  var rem = i;
  var o = p[2];
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let du = u32(d);
    let extent = p[3u + du];
    o += (rem % extent) * p[3u + rank + du];
    rem = rem / extent;
  }
  ${move}
}
`;
}

/**
 * Encodes a strided copy of `n = prod(shape)` elements. `srcSize`/`outSize` are the element
 * counts of the two buffers (for binding ranges).
 */
export function encodeStrided(
  device: Device,
  mode: 'gather' | 'scatter',
  type: WgslType,
  src: GPUBuffer,
  srcSize: number,
  out: GPUBuffer,
  outSize: number,
  layout: { shape: readonly number[]; strides: readonly number[]; offset: number },
): void {
  const n = layout.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const dense = denseStrides(layout.shape);
  const c = collapseDims(layout.shape, [layout.strides, dense]);
  const p = [n, c.shape.length, layout.offset, ...c.shape, ...c.strides[0]!];
  launch(
    device,
    stridedSource(mode, type),
    `strided-${mode}`,
    [params(device, p), words(src, srcSize), words(out, outSize)],
    { threads: n },
  );
}

/** `out[i] = value` (given as its 32-bit pattern) for `i < n`. */
export const FILL_SOURCE = /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
// p = [n, bits]
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= p[0]) { return; }
  out[i] = p[1];
}
`;

export function encodeFill(device: Device, out: GPUBuffer, n: number, bits: number): void {
  if (n === 0) return;
  launch(device, FILL_SOURCE, 'fill', [params(device, [n, bits]), words(out, n)], {
    threads: n,
  });
}

/** `out[i] = start + i · step` in f32 or i32. */
function arangeSourceBuild(t: 'f32' | 'i32'): string {
  return /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
// p = [n, bits of start, bits of step]
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<${t}>;

@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= p[0]) { return; }
  out[i] = bitcast<${t}>(p[1]) + ${t}(i) * bitcast<${t}>(p[2]);
}
`;
}

export function encodeArange(
  device: Device,
  type: 'f32' | 'i32',
  out: GPUBuffer,
  n: number,
  startBits: number,
  stepBits: number,
): void {
  if (n === 0) return;
  launch(
    device,
    arangeSource(type),
    'arange',
    [params(device, [n, startBits, stepBits]), words(out, n)],
    { threads: n },
  );
}

/** Row-major strides of a dense shape. */
export function denseStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

export const stridedSource = memoSource(stridedSourceBuild);

export const arangeSource = memoSource(arangeSourceBuild);
