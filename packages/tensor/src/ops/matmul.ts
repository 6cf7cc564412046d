/** Batched matrix multiplication with broadcast batch dims and transposed operands. */
import { autocastPrecision } from '../autocast.js';
import { adopt, isGradEnabled, record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { encodeFill } from '../kernels/copy.js';
// The one place that chooses the matmul kernel: the tiled kernel of kernels/matmul.ts, or
// `encodeMatmulNaive as encodeMatmul` from kernels/matmul-naive.ts (same signature).
import { encodeMatmul, type MatmulActivation, type MatmulEpilogue } from '../kernels/matmul.js';
import { transposedSource } from '../lazy/fusion.js';
import { bufferOf, storageFor, type Tensor } from '../tensor.js';
import { add } from './binary.js';
import { squeeze, stridedRead, sumToShape, unsqueeze } from './shape.js';
import { relu, silu } from './unary.js';
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
  /**
   * Added to every row of the product, shape `[n]`: fused into the kernel's store, with its
   * gradient the column sums of the output's.
   */
  bias?: Tensor;
  /** Added to the product (after `bias`), of the output's exact shape: fused into the store. */
  residual?: Tensor;
  /**
   * Applied last, fused into the store: `relu`, or `silu` (whose gradient reads the value
   * before it, which the kernel then also stores when a gradient is wanted).
   */
  activation?: MatmulActivation;
}

const ACTIVATIONS: readonly MatmulActivation[] = ['relu', 'silu'];

/** The epilogue as separate ops: for 1-D operands, whose product drops an axis. */
function unfusedEpilogue(product: Tensor, options: MatmulOptions): Tensor {
  let y = product;
  const temps: Tensor[] = [];
  for (const term of [options.bias, options.residual]) {
    if (!term) continue;
    temps.push(y);
    y = add(y, term);
  }
  if (options.activation) {
    temps.push(y);
    y = options.activation === 'relu' ? relu(y) : silu(y);
  }
  return temps.length ? adopt(y, temps) : y;
}

/** Checks the epilogue's tensors against the product's shape `[..., m, n]`. */
function checkEpilogue(shape: readonly number[], o: MatmulOptions): void {
  const n = shape[shape.length - 1]!;
  if (o.bias) {
    assertDType('matmul (bias)', o.bias, ['f32']);
    if (o.bias.rank !== 1 || o.bias.shape[0] !== n) {
      throw new ShapeError(
        `matmul: the bias ${o.bias.describe()} must hold one value per output column, shape [${n}].`,
      );
    }
  }
  if (o.residual) {
    assertDType('matmul (residual)', o.residual, ['f32']);
    if (o.residual.shape.join() !== shape.join()) {
      throw new ShapeError(
        `matmul: the residual ${o.residual.describe()} must have the product's shape ${fmt(shape)}.`,
      );
    }
  }
  if (o.activation !== undefined && !ACTIVATIONS.includes(o.activation)) {
    throw new RangeError(
      `matmul: unknown activation ${JSON.stringify(o.activation)}; use ${ACTIVATIONS.map((a) => `'${a}'`).join(' or ')}.`,
    );
  }
}

/**
 * `op(a) · op(b)` over the last two dims, where `op` transposes when `transA`/`transB` is set.
 * Leading (batch) dims broadcast NumPy-style: `[B, 1, m, k] · [H, k, n] → [B, H, m, n]`. A 1-D
 * operand is a row (for `a`) or column (for `b`) vector whose unit dim is dropped from the
 * result, as in NumPy. Transposed operands are read in place; a batch-broadcast operand is
 * read with batch stride 0 when it holds a single matrix, and expanded otherwise.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const { bias, residual, activation } = options;
  const epilogueTensors = [bias, residual].filter((t): t is Tensor => t !== undefined);
  const device = assertSameDevice('matmul', [a, b, ...epilogueTensors]);
  assertDType('matmul', a, ['f32']);
  assertDType('matmul', b, ['f32']);
  const half = options.half ?? autocastPrecision() === 'f16';
  options = { ...options, half };
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError(
      `matmul: operands need at least one dimension, got ${a.describe()} and ${b.describe()}.`,
    );
  }
  const plain = { transA: options.transA, transB: options.transB, half };
  if (a.rank === 1) {
    const row = unsqueeze(a, 0);
    const product = matmul(row, b, { ...plain, transA: false });
    return unfusedEpilogue(adopt(squeeze(product, -2), [row, product]), options);
  }
  if (b.rank === 1) {
    const col = unsqueeze(b, 1);
    const product = matmul(a, col, { ...plain, transB: false });
    return unfusedEpilogue(adopt(squeeze(product, -1), [col, product]), options);
  }
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  if (b.rank === 2 && a.rank > 2 && !transA) {
    // `[..., m, k] · W`: one tall matmul over the flattened rows instead of a batch of short
    // ones, and its weight gradient becomes a single `Xᵀ·G` with no sum over the batch.
    const n = transB ? b.shape[0]! : b.shape[1]!;
    checkEpilogue([...a.shape.slice(0, -1), n], options);
    const rows = a.reshape([-1, a.shape[a.rank - 1]!]);
    const flatResidual = residual?.reshape([-1, n]);
    const flat = matmul(rows, b, {
      ...options,
      ...(flatResidual ? { residual: flatResidual } : {}),
    });
    const shaped = flat.reshape([...a.shape.slice(0, -1), n]);
    return adopt(shaped, flatResidual ? [rows, flatResidual, flat] : [rows, flat]);
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
  checkEpilogue([...batchShape, m, n], options);
  if (k === 0 && (bias || residual || activation)) {
    // The epilogue of an empty sum: rare enough for separate ops.
    return unfusedEpilogue(matmul(a, b, plain), options);
  }
  const batch = shapeSize(batchShape);
  const [aBuf, aStride, aTemp, aFlip] = batchOperand(a, batchShape);
  const [bBuf, bStride, bTemp, bFlip] = batchOperand(b, batchShape);
  const out = empty([...batchShape, m, n], 'f32', device);
  // silu's gradient reads the value before it: stored by the same kernel when a gradient is
  // wanted (relu's reads the output's sign).
  const wantsGrad = isGradEnabled() && [a, b, ...epilogueTensors].some((t) => t.requiresGrad);
  const pre = activation === 'silu' && wantsGrad ? empty(out.shape, 'f32', device) : null;
  if (out.size === 0) {
    // nothing to compute
  } else if (k === 0) {
    encodeFill(device, bufferOf(out), out.size, 0); // an empty sum
  } else {
    const epilogue: MatmulEpilogue = {
      ...(bias ? { bias: bufferOf(bias) } : {}),
      ...(residual ? { residual: bufferOf(residual) } : {}),
      ...(activation ? { activation } : {}),
      ...(pre ? { pre: bufferOf(pre) } : {}),
    };
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
        transA: transA !== aFlip,
        transB: transB !== bFlip,
        aBatchStride: aStride,
        bBatchStride: bStride,
        ...(bias || residual || activation ? { epilogue } : {}),
      },
      half ? { half } : {},
    );
  }
  aTemp?.dispose();
  bTemp?.dispose();
  record(out, 'matmul', [a, b, ...epilogueTensors], (g) => {
    // out = act(z), z = op(A)·op(B) + bias + residual: dz first, then dop(A) = dz·op(B)ᵀ and
    // dop(B) = op(A)ᵀ·dz, transposed back for stored-transposed operands. The backward runs
    // in the forward's precision, wherever it is called from.
    const dz =
      activation === 'relu'
        ? g.mul(out.gt(0).cast('f32'))
        : activation === 'silu'
          ? siluGrad(g, pre!)
          : g;
    const ga = a.requiresGrad
      ? transA
        ? matmul(b, dz, { transA: transB, transB: true, half })
        : matmul(dz, b, { transB: !transB, half })
      : null;
    const gb = b.requiresGrad
      ? transB
        ? matmul(dz, a, { transA: true, transB: transA, half })
        : matmul(a, dz, { transA: !transA, half })
      : null;
    const grads = [ga && sumToShape(ga, a.shape), gb && sumToShape(gb, b.shape)];
    if (bias) grads.push(bias.requiresGrad ? sumToShape(dz, bias.shape) : null);
    if (residual) grads.push(residual.requiresGrad ? dz : null);
    return grads;
  });
  return pre ? adopt(out, [pre]) : out;
}

/** `g · silu'(z)`, silu'(z) = σ(z)·(1 + z·(1 − σ(z))). */
function siluGrad(g: Tensor, z: Tensor): Tensor {
  const s = z.sigmoid();
  return g.mul(s.mul(z.mul(s.neg().add(1)).add(1)));
}

/**
 * How the kernel reads `x` for `batchShape`: its buffer, the batch stride, a temporary to free
 * after, and whether the buffer holds `x` transposed (the source of a pending `transpose`, read
 * in place with the transpose flag flipped). Dense when `x` has every batch matrix, stride 0
 * for a single matrix, else an expanded temporary.
 */
function batchOperand(
  x: Tensor,
  batchShape: readonly number[],
): [GPUBuffer, number, Tensor | undefined, boolean] {
  const own = x.shape.slice(0, -2);
  const matrix = x.shape[x.rank - 2]! * x.shape[x.rank - 1]!;
  const ownSize = shapeSize(own);
  const padded = [...new Array<number>(batchShape.length - own.length).fill(1), ...own];
  if (ownSize === 1 || padded.join() === batchShape.join()) {
    const stride = ownSize === 1 ? 0 : matrix;
    const t = transposedSource(storageFor(x));
    if (t && t.rows === x.shape[x.rank - 2] && t.cols === x.shape[x.rank - 1]) {
      return [t.source.buffer, stride, undefined, true];
    }
    return [bufferOf(x), stride, undefined, false];
  }
  const fullShape = [...batchShape, ...x.shape.slice(-2)];
  if (fullShape.length < 2) throw new ShapeError(`matmul: bad operand ${fmt(x.shape)}.`);
  const expanded = stridedRead(x, fullShape, broadcastStrides(x.shape, fullShape));
  return [bufferOf(expanded), matrix, expanded, false];
}
