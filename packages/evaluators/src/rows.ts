import { IGNORE_LABEL_ID } from './interface.js';

/** Whether row `row` of a `[B, seqLen]` label matrix has any scored label (is not padding). */
export function rowIsScored(labels: ArrayLike<number>, row: number, seqLen: number): boolean {
  const base = row * seqLen;
  for (let i = base; i < base + seqLen; i++) if (labels[i] !== IGNORE_LABEL_ID) return true;
  return false;
}

/** The side `n` of a square grid of `seqLen` cells; throws when `seqLen` is not a square. */
export function squareSide(who: string, seqLen: number): number {
  const n = Math.round(Math.sqrt(seqLen));
  if (n * n !== seqLen || n === 0) {
    throw new RangeError(`${who}: seq_len ${seqLen} is not the size of a square grid`);
  }
  return n;
}
