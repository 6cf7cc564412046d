/**
 * The puzzle an example belongs to: the last `p` with `puzzleIndices[p] <= example`, where
 * `puzzleIndices` holds each puzzle's first example and ends with the example count (NumPy's
 * `searchsorted(puzzle_indices, example, side='right') - 1`). Binary search: sets hold up to
 * millions of puzzles.
 *
 * @param puzzleIndices - A set's `puzzle_indices` array (starts at 0, never decreases).
 * @param example - An example index in `[0, puzzleIndices[last])`.
 */
export function puzzleOfExample(puzzleIndices: ArrayLike<number>, example: number): number {
  let lo = 0;
  let hi = puzzleIndices.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (puzzleIndices[mid]! <= example) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
