import { LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from '@trm/tensor';

/**
 * WGSL of the fused optimiser updates: one thread per parameter element, every step of the
 * update rule in registers, one dispatch per parameter tensor. They run through `customOp`,
 * so bindings follow its order: parameters, inputs, then the tensors updated in place.
 */

const HEADER = /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;

// WGSL allows atan/atan2 an error of thousands of ulp and leaves atan2(0, 0) undefined; the
// optimiser must match PyTorch to 1e-6, so use Cephes' single-precision arctangent (range
// reduction to |x| ≤ tan(π/8) plus a degree-9 odd polynomial, ~2 ulp).
fn atan_f32(x: f32) -> f32 {
  let a = abs(x);
  var base = 0.0;
  var t = a;
  if (a > 2.414213562373095) {
    base = 1.5707963267948966;
    t = -1.0 / a;
  } else if (a > 0.4142135623730950) {
    base = 0.7853981633974483;
    t = (a - 1.0) / (a + 1.0);
  }
  let z = t * t;
  let r = base + ((((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * t + t);
  return select(r, -r, x < 0.0);
}

// atan2(y, x) for x ≥ 0, the only case an Adam denominator produces.
fn atan2_nonneg_x(y: f32, x: f32) -> f32 {
  if (x == 0.0) {
    if (y == 0.0) { return 0.0; }
    return select(1.5707963267948966, -1.5707963267948966, y < 0.0);
  }
  return atan_f32(y / x);
}
`;

/**
 * The shared frame of the Adam kernels: scalars, bindings, decay and the first moment; each
 * variant supplies its extra scalars, its second-moment update and its step.
 */
function adamKernel(extraScalars: string, secondMoment: string, update: string): string {
  return /* wgsl */ `${HEADER}
struct Scalars { decay: f32, step_size: f32, one_minus_b1: f32, one_minus_b2: f32, sqrt_bc2: f32, n: u32${extraScalars} }
@group(0) @binding(0) var<storage, read> s: Scalars;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> p: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= s.n) { return; }
  let grad = g[i];
  let param = p[i] * s.decay;
  let m1 = m[i] + s.one_minus_b1 * (grad - m[i]);
  let v1 = ${secondMoment};
  m[i] = m1;
  v[i] = v1;
  p[i] = param - s.step_size * ${update};
}
`;
}

/**
 * AdamATan2 (spec §7): decoupled decay, moment updates, then
 * `p -= (lr / (1-β1ᵗ)) · atan2(m, sqrt(v) / sqrt(1-β2ᵗ))`. No epsilon: atan2 is bounded.
 * Scalars come pre-combined from the host in f64 (decay = 1 - lr·wd, stepSize = lr / bc1).
 */
export const ADAM_ATAN2_WGSL = adamKernel(
  '',
  'v[i] + s.one_minus_b2 * (grad * grad - v[i])',
  'atan2_nonneg_x(m1, sqrt(v1) / s.sqrt_bc2)',
);

/**
 * AdamW as in PyTorch: decoupled decay, then `p -= stepSize · m / (sqrt(v)/sqrt(bc2) + eps)`.
 * PyTorch updates v as `v·β2 + (1-β2)·g²` here (not as a lerp); the same order gives the same
 * rounding.
 */
export const ADAMW_WGSL = adamKernel(
  ', eps: f32, b2: f32',
  'v[i] * s.b2 + s.one_minus_b2 * grad * grad',
  '(m1 / (sqrt(v1) / s.sqrt_bc2 + s.eps))',
);

/**
 * Sparse sign-SGD (spec §7): for each unique id u of the batch, sum the gradient rows that
 * carry it (listed in CSR form: rows[starts[u]..starts[u+1]]), then
 * `table[id] = table[id]·(1 - lr·wd) - lr·sign(sum)`. No atomics: one thread per (u, column)
 * sums its own rows, so duplicates add up exactly in batch order.
 */
export const SIGN_SGD_WGSL = /* wgsl */ `${HEADER}
struct Scalars { decay: f32, lr: f32, unique: u32, dim: u32 }
@group(0) @binding(0) var<storage, read> s: Scalars;
@group(0) @binding(1) var<storage, read> grad_rows: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<i32>;
@group(0) @binding(3) var<storage, read> starts: array<u32>;
@group(0) @binding(4) var<storage, read> rows: array<u32>;
@group(0) @binding(5) var<storage, read_write> table: array<f32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= s.unique * s.dim) { return; }
  let u = i / s.dim;
  let col = i % s.dim;
  var total = 0.0;
  for (var r = starts[u]; r < starts[u + 1u]; r++) {
    total += grad_rows[rows[r] * s.dim + col];
  }
  let at = u32(ids[u]) * s.dim + col;
  table[at] = table[at] * s.decay - s.lr * sign(total);
}
`;

/** EMA of parameters: `shadow = (1 - μ)·p + μ·shadow`. */
export const EMA_WGSL = /* wgsl */ `${HEADER}
struct Scalars { rate: f32, one_minus_rate: f32, n: u32 }
@group(0) @binding(0) var<storage, read> s: Scalars;
@group(0) @binding(1) var<storage, read> p: array<f32>;
@group(0) @binding(2) var<storage, read_write> shadow: array<f32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= s.n) { return; }
  shadow[i] = s.one_minus_rate * p[i] + s.rate * shadow[i];
}
`;

/**
 * Unscaling for dynamic loss scaling: `g *= inv` in place, and `flag[0] |= 1` when any element
 * was inf or NaN (exponent bits all set: a test no compiler folds away, unlike `x != x`).
 */
export const UNSCALE_WGSL = /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
struct Scalars { inv: f32, n: u32 }
@group(0) @binding(0) var<storage, read> s: Scalars;
@group(0) @binding(1) var<storage, read_write> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> flag: array<atomic<u32>>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= s.n) { return; }
  let x = g[i];
  if ((bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u) { atomicOr(&flag[0], 1u); }
  g[i] = x * s.inv;
}
`;
