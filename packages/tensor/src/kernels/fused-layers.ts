/**
 * Fused kernels of the two layers every TRM block runs twice: the residual add with the RMS
 * norm after it, and the SwiGLU gate. Unfused, a norm is five kernels forward and a dozen
 * backward, each a full pass over the activations; here each direction is one pass.
 */
import type { Device } from '../device/device.js';
import { gridFor, LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from './grid.js';
import { ENTRY_1D, launch, params, words } from './launch.js';
import { memoSource } from './memo.js';

/** Threads of the workgroup that handles one row of the norm. */
const ROW_WG = 64;

const ROW_HEADER = /* wgsl */ `
const WG: u32 = ${ROW_WG}u;
var<workgroup> partial: array<f32, WG>;

// The workgroup's sum of v over its threads, in a fixed tree order (deterministic).
fn workgroup_sum(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}
`;

/**
 * How a norm kernel walks its rows: one workgroup per row (threads stride the row, then a
 * shared-memory tree sums it), or, for short rows, one thread per row with no barrier at all,
 * which is several times faster on a CPU adapter where every barrier splits the kernel.
 */
function rowWalk(perThread: boolean) {
  return perThread
    ? {
        header: `const WG: u32 = ${ROW_WG}u;`,
        row: `(wid.y * nwg.x + wid.x) * WG + lid.x`,
        loop: 'for (var j = 0u; j < p.d; j++)',
        sum: (v: string) => v,
        once: (stmt: string) => stmt,
      }
    : {
        header: ROW_HEADER,
        row: 'wid.y * nwg.x + wid.x',
        loop: 'for (var j = lid.x; j < p.d; j += WG)',
        sum: (v: string) => `workgroup_sum(${v}, lid.x)`,
        once: (stmt: string) => `if (lid.x == 0u) { ${stmt} }`,
      };
}

/** Rows up to this length are normalised one thread per row. */
const PER_THREAD_MAX_D = 128;

/**
 * `y = s · rsqrt(mean(s², -1) + eps)` with `s = x (+ residual)` over rows of `d` values; also
 * writes each row's `rsqrt(…)` for the backward pass.
 */
function rmsNormSourceBuild(residual: boolean, perThread: boolean): string {
  const w = rowWalk(perThread);
  return /* wgsl */ `${w.header}
struct P { rows: u32, d: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
${residual ? '@group(0) @binding(2) var<storage, read> res: array<f32>;' : ''}
@group(0) @binding(${residual ? 3 : 2}) var<storage, read_write> y: array<f32>;
@group(0) @binding(${residual ? 4 : 3}) var<storage, read_write> rinv: array<f32>;

fn at(i: u32) -> f32 { return x[i]${residual ? ' + res[i]' : ''}; }

@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let row = ${w.row};
  if (row >= p.rows) { return; }          // uniform when a workgroup owns the row
  let base = row * p.d;
  var acc = 0.0;
  ${w.loop} { let v = at(base + j); acc += v * v; }
  let r = inverseSqrt(${w.sum('acc')} / f32(p.d) + p.eps);
  ${w.loop} { y[base + j] = at(base + j) * r; }
  ${w.once('rinv[row] = r;')}
}
`;
}

/**
 * The gradient of the norm with respect to `s`: `ds = r·g − s·r³·mean(g·s)`. The residual's
 * gradient is the same values: with `twice`, they are also written to a second tensor, which
 * saves the autograd engine a copy kernel.
 */
function rmsNormBackwardSourceBuild(residual: boolean, twice: boolean, perThread: boolean): string {
  const w = rowWalk(perThread);
  return /* wgsl */ `${w.header}
struct P { rows: u32, d: u32 }
@group(0) @binding(0) var<storage, read> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
${residual ? '@group(0) @binding(2) var<storage, read> res: array<f32>;' : ''}
@group(0) @binding(${residual ? 3 : 2}) var<storage, read> rinv: array<f32>;
@group(0) @binding(${residual ? 4 : 3}) var<storage, read> g: array<f32>;
@group(0) @binding(${residual ? 5 : 4}) var<storage, read_write> ds: array<f32>;
${twice ? `@group(0) @binding(${residual ? 6 : 5}) var<storage, read_write> ds2: array<f32>;` : ''}

fn at(i: u32) -> f32 { return x[i]${residual ? ' + res[i]' : ''}; }

@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let row = ${w.row};
  if (row >= p.rows) { return; }
  let base = row * p.d;
  var acc = 0.0;
  ${w.loop} { acc += g[base + j] * at(base + j); }
  let r = rinv[row];
  let c = r * r * r * ${w.sum('acc')} / f32(p.d);
  ${w.loop} {
    let v = r * g[base + j] - at(base + j) * c;
    ds[base + j] = v;${twice ? '\n    ds2[base + j] = v;' : ''}
  }
}
`;
}

/** Buffers of one fused norm: `res` only with a residual. */
export interface RmsNormBuffers {
  x: GPUBuffer;
  res: GPUBuffer | null;
  y: GPUBuffer;
  rinv: GPUBuffer;
}

function rowGrid(
  device: Device,
  rows: number,
  perThread: boolean,
): { workgroups: [number, number] } | { threads: number; workgroupSize: number } {
  if (perThread) return { threads: rows, workgroupSize: ROW_WG };
  return { workgroups: gridFor(rows, device.limits.maxComputeWorkgroupsPerDimension, 1) };
}

/** Encodes the fused residual add and RMS norm over `rows` rows of `d` values. */
export function encodeRmsNorm(
  device: Device,
  b: RmsNormBuffers,
  rows: number,
  d: number,
  eps: number,
): void {
  const n = rows * d;
  const eps32 = new Uint32Array(Float32Array.of(eps).buffer)[0]!;
  launch(
    device,
    rmsNormSource(b.res !== null, d <= PER_THREAD_MAX_D),
    b.res ? 'rmsNorm(x + res)' : 'rmsNorm',
    [
      params(device, [rows, d, eps32]),
      words(b.x, n),
      ...(b.res ? [words(b.res, n)] : []),
      words(b.y, n),
      words(b.rinv, rows),
    ],
    rowGrid(device, rows, d <= PER_THREAD_MAX_D),
  );
}

/** Encodes the norm's backward: `ds` from the upstream gradient `g` and the saved `rinv`. */
export function encodeRmsNormBackward(
  device: Device,
  b: {
    x: GPUBuffer;
    res: GPUBuffer | null;
    rinv: GPUBuffer;
    g: GPUBuffer;
    ds: GPUBuffer;
    ds2: GPUBuffer | null;
  },
  rows: number,
  d: number,
): void {
  const n = rows * d;
  launch(
    device,
    rmsNormBackwardSource(b.res !== null, b.ds2 !== null, d <= PER_THREAD_MAX_D),
    b.res ? 'rmsNorm(x + res).backward' : 'rmsNorm.backward',
    [
      params(device, [rows, d]),
      words(b.x, n),
      ...(b.res ? [words(b.res, n)] : []),
      words(b.rinv, rows),
      words(b.g, n),
      words(b.ds, n),
      ...(b.ds2 ? [words(b.ds2, n)] : []),
    ],
    rowGrid(device, rows, d <= PER_THREAD_MAX_D),
  );
}

// SwiGLU on `[rows, 2·h]` (gate in the first half of each row, up in the second), with the same
// silu and sigmoid expressions as the unary kernels, so fused and unfused agree bit for bit.
// `h` is a literal: a CPU adapter divides by a runtime value lane by lane, by a constant with a
// multiply and a shift.
const swigluHeader = (h: number): string => /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
const H: u32 = ${h}u;
struct P { n: u32 }
@group(0) @binding(0) var<storage, read> p: P;
@group(0) @binding(1) var<storage, read> gu: array<f32>;
fn gate_at(i: u32) -> u32 { return (i / H) * 2u * H + i % H; }
`;

const swigluSource = memoSource(
  (h: number): string => /* wgsl */ `${swigluHeader(h)}
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= p.n) { return; }
  let at = gate_at(i);
  let a = gu[at];
  out[i] = (a / (1.0 + exp(-a))) * gu[at + H];
}
`,
);

// d gate = g·up·σ(a)·(1 + a·(1 − σ(a))), d up = g·silu(a): one thread writes both halves.
const swigluBackwardSource = memoSource(
  (h: number): string => /* wgsl */ `${swigluHeader(h)}
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> dgu: array<f32>;
@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= p.n) { return; }
  let at = gate_at(i);
  let a = gu[at];
  let up = gu[at + H];
  let s = 1.0 / (1.0 + exp(-a));
  dgu[at] = (g[i] * up) * (s * (a * (1.0 - s) + 1.0));
  dgu[at + H] = g[i] * (a / (1.0 + exp(-a)));
}
`,
);

/** Encodes `out = silu(gate) · up` for `n = rows·h` outputs. */
export function encodeSwiglu(
  device: Device,
  gu: GPUBuffer,
  out: GPUBuffer,
  n: number,
  h: number,
): void {
  launch(
    device,
    swigluSource(h),
    'swiglu',
    [params(device, [n]), words(gu, 2 * n), words(out, n)],
    { threads: n },
  );
}

/** Encodes the gradient of the packed gate/up tensor. */
export function encodeSwigluBackward(
  device: Device,
  b: { gu: GPUBuffer; g: GPUBuffer; dgu: GPUBuffer },
  n: number,
  h: number,
): void {
  launch(
    device,
    swigluBackwardSource(h),
    'swiglu.backward',
    [params(device, [n]), words(b.gu, 2 * n), words(b.g, n), words(b.dgu, 2 * n)],
    { threads: n },
  );
}

const rmsNormSource = memoSource(rmsNormSourceBuild);

const rmsNormBackwardSource = memoSource(rmsNormBackwardSourceBuild);
