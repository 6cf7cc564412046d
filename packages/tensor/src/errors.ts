/** Errors raised by tensor operations (the device layer has its own, see `device/errors.ts`). */

/**
 * Base class of tensor-level usage errors.
 *
 * @group Errors
 */
export class TensorError extends Error {
  override name = 'TensorError';
}

/**
 * Shapes that do not fit together (broadcasting, matmul, concat, reshape…).
 *
 * @group Errors
 */
export class ShapeError extends TensorError {
  override name = 'ShapeError';
}

/**
 * An operation got a dtype it does not support, or operands of different dtypes.
 *
 * @group Errors
 */
export class DTypeError extends TensorError {
  override name = 'DTypeError';
}

/**
 * A tensor was used after `dispose()` (directly, or by a `tidy()` scope that ended).
 *
 * @group Errors
 */
export class DisposedTensorError extends TensorError {
  override name = 'DisposedTensorError';
}

/**
 * Tensors on different devices were combined in one operation.
 *
 * @group Errors
 */
export class DeviceMismatchError extends TensorError {
  override name = 'DeviceMismatchError';
}

/**
 * Misuse of autograd, e.g. `backward()` from a non-scalar without an upstream gradient.
 *
 * @group Errors
 */
export class AutogradError extends TensorError {
  override name = 'AutogradError';
}
