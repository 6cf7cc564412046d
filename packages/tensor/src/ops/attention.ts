/** Fused multi-head self-attention over a packed qkv projection, with its gradient. */
import { adopt, isGradEnabled, record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import {
  type AttentionConfig,
  encodeAttentionBackward,
  encodeAttentionForward,
} from '../kernels/attention.js';
import { bufferOf, type Tensor } from '../tensor.js';
import { assertDType, assertSameDevice, empty } from './util.js';

/** Options of {@link scaledDotProductAttention}. */
export interface AttentionOptions {
  /** H: the packed input holds 3H heads (queries, keys, values). */
  numHeads: number;
  /** Factor of the scores `q·k` (default `1/√d`). */
  scale?: number;
  /**
   * Rotary position embedding applied to queries and keys: `x·cos + rotate_half(x)·sin` with
   * `rotate_half(x) = concat(-x[d/2:], x[:d/2])` and tables of shape `[P, d]`, `P ≥ L` (only the
   * first L rows are read; position `l` uses row `l`). `d` must be even. The tables get no
   * gradient.
   */
  rotary?: { cos: Tensor; sin: Tensor };
}

/**
 * Non-causal multi-head self-attention `softmax(q·kᵀ·scale)·v`, fused into one kernel (and two
 * for the gradient) that never stores the `[B, H, L, L]` scores: memory grows linearly in L.
 *
 * `qkv` is the packed projection `[B, L, 3H, d]`: heads `0..H-1` are the queries, `H..2H-1` the
 * keys and `2H..3H-1` the values. The result is `[B, L, H, d]` (reshape it to `[B, L, H·d]`);
 * there is no mask and no dropout. With `rotary`, q and k are rotated before the product, as
 * `RotaryEmbedding.apply` of `@trm/nn` does. The gradient flows to `qkv` only. Accumulation is
 * f32; the result matches the unfused composition up to rounding (the scale multiplies q
 * instead of the scores).
 *
 * @example
 * ```ts
 * const qkv = x.matmul(wQkv).reshape([B, L, 3 * H, d]);
 * const y = scaledDotProductAttention(qkv, { numHeads: H, rotary: { cos, sin } }).reshape([B, L, H * d]);
 * ```
 */
export function scaledDotProductAttention(qkv: Tensor, options: AttentionOptions): Tensor {
  return attention(qkv, options);
}

/** {@link scaledDotProductAttention} with an explicit kernel tiling, for tests. @internal */
export function attention(
  qkv: Tensor,
  options: AttentionOptions,
  config?: AttentionConfig,
): Tensor {
  const op = 'scaledDotProductAttention';
  const { numHeads: H, rotary } = options;
  const device = assertSameDevice(op, rotary ? [qkv, rotary.cos, rotary.sin] : [qkv]);
  assertDType(op, qkv, ['f32']);
  if (!Number.isInteger(H) || H < 1) {
    throw new ShapeError(`${op}: numHeads must be a positive integer, got ${H}.`);
  }
  if (qkv.rank !== 4 || qkv.shape[2] !== 3 * H || qkv.shape[3] === 0) {
    throw new ShapeError(
      `${op}: expected a packed projection [B, L, 3·${H}, d] with d ≥ 1, got ${qkv.describe()}.`,
    );
  }
  const [B, L, , d] = qkv.shape as [number, number, number, number];
  const scale = options.scale ?? 1 / Math.sqrt(d);
  if (!Number.isFinite(scale)) throw new RangeError(`${op}: scale must be finite, got ${scale}.`);
  if (rotary) {
    if (d % 2 !== 0) {
      throw new ShapeError(`${op}: rotary embedding needs an even head dim, got ${d}.`);
    }
    for (const t of [rotary.cos, rotary.sin]) {
      assertDType(op, t, ['f32']);
      if (t.rank !== 2 || t.shape[0]! < L || t.shape[1] !== d) {
        throw new ShapeError(
          `${op}: rotary tables must be [P ≥ ${L}, ${d}] for ${qkv.describe()}, got ${t.describe()}.`,
        );
      }
    }
  }
  // Buffers are looked up again for the backward, so that tables disposed in between throw.
  const args = () => ({
    qkv: bufferOf(qkv),
    rotary: rotary && { cos: bufferOf(rotary.cos), sin: bufferOf(rotary.sin) },
    batch: B,
    length: L,
    heads: H,
    headDim: d,
    scale,
  });
  const out = empty([B, L, H, d], 'f32', device);
  // Row statistics for the backward: the logsumexp here, Δ = rowsum(dO ∘ O) there.
  const withGrad = isGradEnabled() && qkv.requiresGrad;
  const stats = empty([withGrad ? 2 : 1, B, H, L], 'f32', device);
  encodeAttentionForward(device, { ...args(), out: bufferOf(out), stats: bufferOf(stats) }, config);
  record(out, op, [qkv], (g) => {
    const dqkv = empty(qkv.shape, 'f32', device);
    encodeAttentionBackward(
      device,
      {
        ...args(),
        out: bufferOf(out),
        dOut: bufferOf(g),
        stats: bufferOf(stats),
        dqkv: bufferOf(dqkv),
      },
      config,
    );
    return [dqkv];
  });
  return adopt(out, [stats]);
}
