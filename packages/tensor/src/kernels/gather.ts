/**
 * Row gather (embedding lookup) and row scatter-add (its gradient; also the per-id sums of
 * a sparse embedding optimiser). Ids are i32; ids outside `[0, rows)` read zeros and are
 * skipped by scatter-add.
 */
import type { Device } from '../device/device.js';
import { LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from './grid.js';
import { ENTRY_1D, launch, params, words } from './launch.js';

/** `out[i, :] = table[ids[i], :]` for a `[rows, d]` table. */
export function gatherRowsSource(t: 'f32' | 'i32' | 'u32'): string {
  return /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
// p = [count of ids, d, rows]
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> table: array<${t}>;
@group(0) @binding(2) var<storage, read> ids: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<${t}>;

@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let i = ${LINEAR_INDEX_WGSL};
  let d = p[1];
  if (i >= p[0] * d) { return; }
  let id = ids[i / d];
  if (id < 0 || u32(id) >= p[2]) { out[i] = ${t}(0); return; }
  out[i] = table[u32(id) * d + i % d];
}
`;
}

/**
 * `out[ids[i], :] += rows[i, :]` into a zero-initialised `[numRows, d]` f32 output. Float
 * atomics are emulated with compare-exchange on the bit pattern, so when an id repeats its
 * rows are added in an unspecified order (sums can differ in the last bit between runs).
 */
export const SCATTER_ADD_ROWS_SOURCE = /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
// p = [count of ids, d, numRows]
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> rows: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<atomic<u32>>;

@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let i = ${LINEAR_INDEX_WGSL};
  let d = p[1];
  if (i >= p[0] * d) { return; }
  let id = ids[i / d];
  if (id < 0 || u32(id) >= p[2]) { return; }
  let value = rows[i];
  let at = u32(id) * d + i % d;
  var old = atomicLoad(&out[at]);
  loop {
    let next = bitcast<u32>(bitcast<f32>(old) + value);
    let swapped = atomicCompareExchangeWeak(&out[at], old, next);
    if (swapped.exchanged) { break; }
    old = swapped.old_value;
  }
}
`;

export function encodeGatherRows(
  device: Device,
  type: 'f32' | 'i32' | 'u32',
  table: GPUBuffer,
  ids: GPUBuffer,
  out: GPUBuffer,
  dims: { count: number; d: number; rows: number },
): void {
  const { count, d, rows } = dims;
  if (count * d === 0) return;
  launch(
    device,
    gatherRowsSource(type),
    'gatherRows',
    [
      params(device, [count, d, rows]),
      words(table, rows * d),
      words(ids, count),
      words(out, count * d),
    ],
    { threads: count * d },
  );
}

/** `out` must already hold zeros (or the values to add to). */
export function encodeScatterAddRows(
  device: Device,
  rows: GPUBuffer,
  ids: GPUBuffer,
  out: GPUBuffer,
  dims: { count: number; d: number; numRows: number },
): void {
  const { count, d, numRows } = dims;
  if (count * d === 0 || numRows === 0) return;
  launch(
    device,
    SCATTER_ADD_ROWS_SOURCE,
    'scatterAddRows',
    [
      params(device, [count, d, numRows]),
      words(rows, count * d),
      words(ids, count),
      words(out, numRows * d),
    ],
    { threads: count * d },
  );
}
