import { arange, type Tensor } from '@trm/tensor';

/** Label value that is excluded from the loss and the metrics (spec §6). */
export const IGNORE_LABEL = -100;

/**
 * Per-token cross entropy `[B, S]` of `logits` `[B, S, V]` against the one-hot `targets`
 * `[B, S, V]` (all-zero rows for ignored tokens), with stablemax (spec §6):
 * `s(x) = 1/(1 - x + 1e-30)` for x < 0 and `x + 1` otherwise, `log p = log s - log Σ s`.
 * The reference evaluates this in f64; here it runs in f32, whose error is well inside the
 * 1e-4 parity tolerance for logits of TRM's size.
 */
export function stablemaxCrossEntropy(logits: Tensor, targets: Tensor): Tensor {
  const negative = logits.lt(0);
  const s = negative.where(
    logits
      .neg()
      .add(1 + 1e-30)
      .reciprocal(),
    logits.add(1),
  );
  const logp = s.log().sub(s.sum(-1, true).log());
  return logp.mul(targets).sum(-1).neg();
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
