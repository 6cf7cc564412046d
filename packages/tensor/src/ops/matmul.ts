/** Batched matrix multiplication with broadcast batch dims and transposed operands. */
import { autocastPrecision } from '../autocast.js';
import { adopt, record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { encodeFill } from '../kernels/copy.js';
// The one place that chooses the matmul kernel: the tiled kernel of kernels/matmul.ts, or
// `encodeMatmulNaive as encodeMatmul` from kernels/matmul-naive.ts (same signature).
import { encodeMatmul } from '../kernels/matmul.js';
import { bufferOf, type Tensor } from '../tensor.js';
import { squeeze, stridedRead, sumToShape, unsqueeze } from './shape.js';
import {
  assertDType,
  assertSameDevice,
  broadcastShapes,
  broadcastStrides,
  empty,
  fmt,
  shapeSize,
} from './util.js';

export interface MatmulOptions {
  /** Use `a` transposed in its last two dims (read in place, no copy). */
  transA?: boolean;
  /** Use `b` transposed in its last two dims (read in place, no copy). */
  transB?: boolean;
  /**
   * Round both operands and the result to f16 (f32 accumulation), forward and backward; by
   * default on inside `autocast('f16', …)`.
   */
  half?: boolean;
}

/**
 * `op(a) · op(b)` over the last two dims, where `op` transposes when `transA`/`transB` is set.
 * Leading (batch) dims broadcast NumPy-style: `[B, 1, m, k] · [H, k, n] → [B, H, m, n]`. A 1-D
 * operand is a row (for `a`) or column (for `b`) vector whose unit dim is dropped from the
 * result, as in NumPy. Transposed operands are read in place; a batch-broadcast operand is
 * read with batch stride 0 when it holds a single matrix, and expanded otherwise.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const device = assertSameDevice('matmul', [a, b]);
  assertDType('matmul', a, ['f32']);
  assertDType('matmul', b, ['f32']);
  const half = options.half ?? autocastPrecision() === 'f16';
  options = { ...options, half };
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError(
      `matmul: operands need at least one dimension, got ${a.describe()} and ${b.describe()}.`,
    );
  }
  if (a.rank === 1) {
    const row = unsqueeze(a, 0);
    const product = matmul(row, b, { ...options, transA: false });
    return adopt(squeeze(product, -2), [row, product]);
  }
  if (b.rank === 1) {
    const col = unsqueeze(b, 1);
    const product = matmul(a, col, { ...options, transB: false });
    return adopt(squeeze(product, -1), [col, product]);
  }
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  if (b.rank === 2 && a.rank > 2 && !transA) {
    // `[..., m, k] · W`: one tall matmul over the flattened rows instead of a batch of short
    // ones, and its weight gradient becomes a single `Xᵀ·G` with no sum over the batch.
    const rows = a.reshape([-1, a.shape[a.rank - 1]!]);
    const flat = matmul(rows, b, options);
    const shaped = flat.reshape([...a.shape.slice(0, -1), flat.shape[1]!]);
    return adopt(shaped, [rows, flat]);
  }
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    throw new ShapeError(
      `matmul: inner dimensions differ: ${a.describe()}${transA ? 'ᵀ' : ''} · ${b.describe()}${transB ? 'ᵀ' : ''} (${k} vs ${kb}).`,
    );
  }
  const batchShape = broadcastShapes(
    'matmul (batch dims)',
    a.shape.slice(0, -2),
    b.shape.slice(0, -2),
  );
  const batch = shapeSize(batchShape);
  const [aBuf, aStride, aTemp] = batchOperand(a, batchShape);
  const [bBuf, bStride, bTemp] = batchOperand(b, batchShape);
  const out = empty([...batchShape, m, n], 'f32', device);
  if (out.size === 0) {
    // nothing to compute
  } else if (k === 0) {
    encodeFill(device, bufferOf(out), out.size, 0); // an empty sum
  } else
    encodeMatmul(
      device,
      {
        a: aBuf,
        b: bBuf,
        out: bufferOf(out),
        batch,
        m,
        n,
        k,
        transA,
        transB,
        aBatchStride: aStride,
        bBatchStride: bStride,
      },
      half ? { half } : {},
    );
  aTemp?.dispose();
  bTemp?.dispose();
  record(out, 'matmul', [a, b], (g) => {
    // C = op(A)·op(B): dop(A) = G·op(B)ᵀ, dop(B) = op(A)ᵀ·G; transpose back for stored-transposed operands.
    // The backward runs in the forward's precision, wherever it is called from.
    const ga = a.requiresGrad
      ? transA
        ? matmul(b, g, { transA: transB, transB: true, half })
        : matmul(g, b, { transB: !transB, half })
      : null;
    const gb = b.requiresGrad
      ? transB
        ? matmul(g, a, { transA: true, transB: transA, half })
        : matmul(a, g, { transA: !transA, half })
      : null;
    return [ga && sumToShape(ga, a.shape), gb && sumToShape(gb, b.shape)];
  });
  return out;
}

/**
 * The buffer and batch stride with which the kernel reads `x` for `batchShape`: dense when
 * `x` has every batch matrix, stride 0 for a single matrix, else an expanded temporary.
 */
function batchOperand(x: Tensor, batchShape: readonly number[]): [GPUBuffer, number, Tensor?] {
  const own = x.shape.slice(0, -2);
  const matrix = x.shape[x.rank - 2]! * x.shape[x.rank - 1]!;
  const ownSize = shapeSize(own);
  if (ownSize === 1) return [bufferOf(x), 0];
  const padded = [...new Array<number>(batchShape.length - own.length).fill(1), ...own];
  if (padded.join() === batchShape.join()) return [bufferOf(x), matrix];
  const fullShape = [...batchShape, ...x.shape.slice(-2)];
  if (fullShape.length < 2) throw new ShapeError(`matmul: bad operand ${fmt(x.shape)}.`);
  const expanded = stridedRead(x, fullShape, broadcastStrides(x.shape, fullShape));
  return [bufferOf(expanded), matrix, expanded];
}
