/**
 * Row gather (embedding lookup) and row scatter-add (its gradient; also the per-id sums of
 * a sparse embedding optimiser). Ids are i32; ids outside `[0, rows)` read zeros and are
 * skipped by scatter-add.
 */
import type { Device } from '../device/device.js';
import { LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from './grid.js';
import { ENTRY_1D, launch, params, words } from './launch.js';
import { memoSource } from './memo.js';

/** `out[i, :] = table[ids[i], :]` for a `[rows, d]` table. */
function gatherRowsSourceBuild(t: 'f32' | 'i32' | 'u32'): string {
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

/**
 * Deterministic scatter-add, pass 1: `partial[k, r, :] = Σ rows[i, :]` over the ids `i` of
 * chunk `k` (in index order) that equal `r`. Pass 2 sums the chunks in order, so every run adds
 * in the same order and training is bit-reproducible.
 */
export const SCATTER_PARTIAL_SOURCE = /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
// p = [count of ids, d, numRows, chunk size, chunks]
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> rows: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<i32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let t = ${LINEAR_INDEX_WGSL};
  let d = p[1];
  let num_rows = p[2];
  if (t >= p[4] * num_rows * d) { return; }
  let k = t / (num_rows * d);
  let r = (t / d) % num_rows;
  let c = t % d;
  let start = k * p[3];
  let end = min(start + p[3], p[0]);
  var total = 0.0;
  for (var i = start; i < end; i++) {
    if (ids[i] == i32(r)) { total += rows[i * d + c]; }
  }
  partial[t] = total;
}
`;

/** Deterministic scatter-add, pass 2: `out[r, :] += Σ_k partial[k, r, :]` in chunk order. */
export const SCATTER_REDUCE_SOURCE = /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
// p = [numRows * d, chunks]
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let t = ${LINEAR_INDEX_WGSL};
  let n = p[0];
  if (t >= n) { return; }
  var total = out[t];
  for (var k = 0u; k < p[1]; k++) { total += partial[k * n + t]; }
  out[t] = total;
}
`;

/** Tables up to this many rows use the deterministic two-pass scatter-add. */
export const DETERMINISTIC_SCATTER_MAX_ROWS = 1024;

/** Chunking of the deterministic scatter-add: at most 256 chunks of at least 256 ids. */
export function scatterChunks(count: number): { chunk: number; chunks: number } {
  const chunk = Math.max(256, Math.ceil(count / 256));
  return { chunk, chunks: Math.ceil(count / chunk) };
}

/**
 * `out` must already hold zeros (or the values to add to). Tables of at most
 * {@link DETERMINISTIC_SCATTER_MAX_ROWS} rows (embedding vocabularies) are summed in a fixed
 * order; larger ones use float atomics, whose order is unspecified. `partial` is scratch space
 * of `scatterChunks(count).chunks · numRows · d` f32 for the deterministic path.
 */
export function encodeScatterAddRowsDeterministic(
  device: Device,
  rows: GPUBuffer,
  ids: GPUBuffer,
  out: GPUBuffer,
  partial: GPUBuffer,
  dims: { count: number; d: number; numRows: number },
): void {
  const { count, d, numRows } = dims;
  if (count * d === 0 || numRows === 0) return;
  const { chunk, chunks } = scatterChunks(count);
  launch(
    device,
    SCATTER_PARTIAL_SOURCE,
    'scatterAddRows.partial',
    [
      params(device, [count, d, numRows, chunk, chunks]),
      words(rows, count * d),
      words(ids, count),
      words(partial, chunks * numRows * d),
    ],
    { threads: chunks * numRows * d },
  );
  launch(
    device,
    SCATTER_REDUCE_SOURCE,
    'scatterAddRows.reduce',
    [
      params(device, [numRows * d, chunks]),
      words(partial, chunks * numRows * d),
      words(out, numRows * d),
    ],
    { threads: numRows * d },
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

export const gatherRowsSource = memoSource(gatherRowsSourceBuild);
