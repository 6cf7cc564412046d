import type { EvalBatch, EvalOutputs } from './interface.js';

/**
 * Checks that a batch and its outputs have the shapes {@link EvalBatch} promises and
 * returns `[batchSize, seqLen]`.
 *
 * @throws RangeError naming the first field of the wrong length
 */
export function checkBatch(who: string, batch: EvalBatch, outputs: EvalOutputs): [number, number] {
  const { batchSize: b, seqLen: l } = batch;
  if (!Number.isInteger(b) || b < 0 || !Number.isInteger(l) || l <= 0) {
    throw new RangeError(
      `${who}: batchSize (${b}) and seqLen (${l}) must be non-negative integers`,
    );
  }
  const want: [string, ArrayLike<number> | undefined, number][] = [
    ['batch.inputs', batch.inputs, b * l],
    ['batch.labels', batch.labels, b * l],
    ['batch.puzzleIdentifiers', batch.puzzleIdentifiers, b],
    ['outputs.preds', outputs.preds, b * l],
    ['outputs.qHaltLogits', outputs.qHaltLogits, b],
  ];
  for (const [name, arr, n] of want) {
    if (!arr) throw new RangeError(`${who}: ${name} is missing`);
    if (arr.length !== n) {
      throw new RangeError(
        `${who}: ${name} has ${arr.length} values, expected ${n} for [${b}, ${l}]`,
      );
    }
  }
  return [b, l];
}
