import { capture } from '../memory/scope.js';
import type { Tensor } from '../tensor.js';

/**
 * One recorded operation of the tape: the op's inputs and a function mapping the gradient of
 * its output to the gradients of its inputs (`null` for inputs that get none). Backward
 * functions run with recording off and inside a `tidy()`, so temporaries are freed.
 */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  backward(grad: Tensor): readonly (Tensor | null)[];
  /**
   * Temporaries the backward function needs (e.g. a number operand lifted to a tensor),
   * disposed together with the node: when the tape is released after `backward()` or the
   * output tensor is disposed.
   */
  owned?: Tensor[];
}

let gradEnabled = true;

/** True unless inside `noGrad()`. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording operations on the tape (outputs do not require grad), e.g. for
 * evaluation or optimiser updates. Returns what `fn` returns.
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Records `out = op(inputs)` on the tape when recording is on and an input requires grad.
 * Returns `out`.
 */
export function record(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: (grad: Tensor) => readonly (Tensor | null)[],
): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.setNode({ name, inputs, backward });
  }
  return out;
}

/**
 * Ties the lifetime of internal temporaries to `out`: if `out` was recorded on the tape they
 * are disposed with its node (they may be needed by backward), otherwise right away.
 */
export function adopt(out: Tensor, temporaries: readonly Tensor[]): Tensor {
  const node = out.gradFn;
  if (node) {
    node.owned ??= [];
    node.owned.push(...temporaries);
  } else {
    for (const t of temporaries) t.dispose();
  }
  return out;
}

/**
 * Runs a composite op, `fn`, written in other ops, and ties the intermediate tensors it makes
 * to its result: when the result was recorded on the tape they live as long as the result
 * (its graph reads them), otherwise they are disposed at once.
 */
export function composite(fn: () => Tensor): Tensor {
  const { result, created } = capture(fn);
  if (result.gradFn) result.holdTemporaries(created as Tensor[]);
  else for (const t of created as Tensor[]) t.disposeAfterReaders();
  return result;
}
