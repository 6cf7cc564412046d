import { arange, customOp, LINEAR_INDEX_WGSL, type Tensor, WORKGROUP_SIZE } from '@trm/tensor';

/** Label value that is excluded from the loss and the metrics (spec §6). */
export const IGNORE_LABEL = -100;

// Stablemax per token, one thread per row of V logits: s(x) = 1/(1 - x) for x < 0, x + 1
// otherwise (the reference's 1e-30 vanishes in f32 next to 1 - x ≥ 1), and for targets t,
// ce = Σt·log Σs - Σ t·log s. The backward recomputes s from the logits:
// d ce / d x_j = s'_j·(Σt / Σs - t_j / s_j) with s' = s² below zero and 1 above.
const STABLEMAX_COMMON = /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
struct P { rows: u32, v: u32 }
@group(0) @binding(0) var<storage, read> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
fn s_of(v: f32) -> f32 { return select(v + 1.0, 1.0 / (-v + 1.0), v < 0.0); }
`;

const STABLEMAX_FORWARD = /* wgsl */ `${STABLEMAX_COMMON}
@group(0) @binding(3) var<storage, read_write> ce: array<f32>;
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let row = ${LINEAR_INDEX_WGSL};
  if (row >= p.rows) { return; }
  let base = row * p.v;
  var total = 0.0;
  var mass = 0.0;
  var dot = 0.0;
  for (var j = 0u; j < p.v; j++) {
    let s = s_of(x[base + j]);
    total += s;
    mass += t[base + j];
    dot += t[base + j] * log(s);
  }
  ce[row] = mass * log(total) - dot;
}
`;

const STABLEMAX_BACKWARD = /* wgsl */ `${STABLEMAX_COMMON}
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let row = ${LINEAR_INDEX_WGSL};
  if (row >= p.rows) { return; }
  let base = row * p.v;
  var total = 0.0;
  var mass = 0.0;
  for (var j = 0u; j < p.v; j++) { total += s_of(x[base + j]); mass += t[base + j]; }
  for (var j = 0u; j < p.v; j++) {
    let v = x[base + j];
    let s = s_of(v);
    let ds = select(1.0, s * s, v < 0.0);
    dx[base + j] = g[row] * ds * (mass / total - t[base + j] / s);
  }
}
`;

/**
 * Per-token cross entropy `[B, S]` of `logits` `[B, S, V]` against the targets `[B, S, V]`
 * (one-hot rows, all-zero for ignored tokens), with stablemax:
 * `s(x) = 1/(1 - x + 1e-30)` for x < 0 and `x + 1` otherwise, `log p = log s - log Σ s`.
 * One kernel per direction, no intermediate `[B, S, V]` tensors. The reference evaluates this
 * in f64; here it runs in f32, whose error is well inside the parity tolerance for logits of
 * TRM's size.
 */
export function stablemaxCrossEntropy(logits: Tensor, targets: Tensor): Tensor {
  if (logits.shape.join() !== targets.shape.join() || logits.rank < 1) {
    throw new RangeError(
      `stablemaxCrossEntropy: targets ${targets.describe()} must have the shape of the logits ${logits.describe()}`,
    );
  }
  const v = logits.shape[logits.rank - 1]!;
  const rows = v === 0 ? 0 : logits.size / v;
  const params = [{ u32: rows }, { u32: v }];
  const [ce] = customOp({
    name: 'stablemaxCrossEntropy',
    code: STABLEMAX_FORWARD,
    params,
    inputs: [logits, targets],
    outputs: [{ shape: logits.shape.slice(0, -1) }],
    threads: rows,
    gradient: (g) =>
      customOp({
        name: 'stablemaxCrossEntropy.backward',
        code: STABLEMAX_BACKWARD,
        params,
        inputs: [logits, targets, g],
        outputs: [{ shape: logits.shape }],
        threads: rows,
      }) as [Tensor],
  });
  return ce!;
}

/** Ordinary softmax cross entropy per token, same conventions as {@link stablemaxCrossEntropy}. */
export function softmaxCrossEntropy(logits: Tensor, targets: Tensor): Tensor {
  return logits.logSoftmax(-1).mul(targets).sum(-1).neg();
}

/** One-hot `[B, S, V]` f32 of i32 labels `[B, S]`; ignored labels give all-zero rows. */
export function oneHot(labels: Tensor, vocab: number): Tensor {
  return labels
    .unsqueeze(-1)
    .eq(arange(vocab, { dtype: 'i32', device: labels.device }))
    .cast('f32');
}

/** `Σ BCEWithLogits(x, y)` in the stable form `max(x, 0) - x·y + log(1 + exp(-|x|))`. */
export function bceWithLogitsSum(x: Tensor, y: Tensor): Tensor {
  return x.maximum(0).sub(x.mul(y)).add(x.abs().neg().exp().add(1).log()).sum();
}

/** Host-side metrics of one supervision step, summed over rows (spec §6). */
export interface StepMetrics {
  count: number;
  accuracy: number;
  exact_accuracy: number;
  q_halt_accuracy: number;
  steps: number;
  lm_loss: number;
  q_halt_loss: number;
  q_continue_loss?: number;
}

/**
 * The metrics of spec §6 from host arrays: rows count when halted and with at least one label;
 * `accuracy` sums each row's fraction of correct labels; `q_halt_accuracy` checks that
 * `q_halt ≥ 0` agrees with the row being exactly right.
 */
export function stepMetrics(args: {
  preds: Int32Array;
  labels: Int32Array;
  halted: Uint8Array;
  steps: Int32Array;
  qHalt: Float32Array;
  seqLen: number;
}): Omit<StepMetrics, 'lm_loss' | 'q_halt_loss' | 'q_continue_loss'> {
  const { preds, labels, halted, steps, qHalt, seqLen } = args;
  const m = { count: 0, accuracy: 0, exact_accuracy: 0, q_halt_accuracy: 0, steps: 0 };
  for (let r = 0; r < halted.length; r++) {
    let n = 0;
    let correct = 0;
    for (let i = r * seqLen; i < (r + 1) * seqLen; i++) {
      if (labels[i] === IGNORE_LABEL) continue;
      n++;
      if (preds[i] === labels[i]) correct++;
    }
    if (!halted[r] || n === 0) continue;
    const exact = correct === n;
    m.count += 1;
    m.accuracy += correct / n;
    m.exact_accuracy += exact ? 1 : 0;
    m.q_halt_accuracy += qHalt[r]! >= 0 === exact ? 1 : 0;
    m.steps += steps[r]!;
  }
  return m;
}
