import type { EvaluatorContext, EvaluatorOptions } from './interface.js';
import { OptionReader } from './options.js';
import { RowRateEvaluator } from './row-rate.js';
import { squareSide } from './rows.js';

/** Maze tokens (§11): `#` 1, space 2, `S` 3, `G` 4, `o` 5; padding 0. */
export const MAZE_TOKENS = { wall: 1, open: 2, start: 3, goal: 4, path: 5 } as const;

/**
 * Length (in steps) of the shortest 4-connected path from `S` to `G` through the open cells
 * (every cell that is not a wall or padding) of an n×n maze given as a row of tokens, or -1
 * when the maze has not exactly one `S` and one `G` or `G` cannot be reached.
 */
export function shortestMazePath(input: ArrayLike<number>): number {
  const n = squareSide('shortestMazePath', input.length);
  const { start, goal } = endpoints(input);
  if (start < 0 || goal < 0) return -1;
  const dist = new Int32Array(n * n).fill(-1);
  const queue = new Int32Array(n * n);
  let head = 0;
  let tail = 0;
  dist[start] = 0;
  queue[tail++] = start;
  while (head < tail) {
    const k = queue[head++]!;
    if (k === goal) return dist[k]!;
    const r = Math.floor(k / n);
    const c = k % n;
    for (const [nr, nc] of [
      [r - 1, c],
      [r + 1, c],
      [r, c - 1],
      [r, c + 1],
    ] as const) {
      if (nr < 0 || nr >= n || nc < 0 || nc >= n) continue;
      const j = nr * n + nc;
      if (dist[j] !== -1 || !isOpen(input[j]!)) continue;
      dist[j] = dist[k]! + 1;
      queue[tail++] = j;
    }
  }
  return -1;
}

function isOpen(token: number): boolean {
  return token >= MAZE_TOKENS.open && token <= MAZE_TOKENS.path;
}

function endpoints(input: ArrayLike<number>): { start: number; goal: number } {
  let start = -1;
  let goal = -1;
  for (let k = 0; k < input.length; k++) {
    const t = input[k];
    if (t === MAZE_TOKENS.start) {
      if (start >= 0) return { start: -1, goal: -1 };
      start = k;
    } else if (t === MAZE_TOKENS.goal) {
      if (goal >= 0) return { start: -1, goal: -1 };
      goal = k;
    }
  }
  return { start, goal };
}

/**
 * Whether `pred` marks an optimal path of the maze `input` (both one row of n×n tokens):
 * the cells `pred` marks `o`, plus the input's `S` and `G`, must all be open in the input and
 * form a simple 4-connected path from `S` to `G` (connected; `S` and `G` with one neighbour in
 * the set, every other cell with two) whose length in steps equals the BFS shortest-path
 * length. Other tokens of `pred` are ignored. A maze without exactly one `S` and one `G`, or
 * with `G` unreachable, has no correct prediction.
 *
 * @throws RangeError when the lengths differ or are not a square
 */
export function isOptimalMazePath(input: ArrayLike<number>, pred: ArrayLike<number>): boolean {
  if (input.length !== pred.length) {
    throw new RangeError(
      `isOptimalMazePath: input (${input.length}) and pred (${pred.length}) differ in length`,
    );
  }
  const n = squareSide('isOptimalMazePath', input.length);
  const best = shortestMazePath(input);
  if (best < 0) return false;
  const { start, goal } = endpoints(input);
  const onPath = new Uint8Array(n * n);
  let size = 0;
  for (let k = 0; k < n * n; k++) {
    if (pred[k] === MAZE_TOKENS.path || k === start || k === goal) {
      if (!isOpen(input[k]!)) return false;
      onPath[k] = 1;
      size++;
    }
  }
  if (size - 1 !== best) return false;
  // Degrees within the set: S and G 1, every other cell 2.
  for (let k = 0; k < n * n; k++) {
    if (!onPath[k]) continue;
    const r = Math.floor(k / n);
    const c = k % n;
    let degree = 0;
    if (r > 0 && onPath[k - n]) degree++;
    if (r < n - 1 && onPath[k + n]) degree++;
    if (c > 0 && onPath[k - 1]) degree++;
    if (c < n - 1 && onPath[k + 1]) degree++;
    if (degree !== (k === start || k === goal ? 1 : 2)) return false;
  }
  // Connected: walk from S; a path graph reaches all of its cells.
  let prev = -1;
  let cur = start;
  let steps = 0;
  while (cur !== goal) {
    const r = Math.floor(cur / n);
    const c = cur % n;
    let next = -1;
    for (const j of [
      r > 0 ? cur - n : -1,
      r < n - 1 ? cur + n : -1,
      c > 0 ? cur - 1 : -1,
      c < n - 1 ? cur + 1 : -1,
    ]) {
      if (j >= 0 && j !== prev && onPath[j]) {
        next = j;
        break;
      }
    }
    if (next < 0) return false;
    prev = cur;
    cur = next;
    if (++steps > size) return false;
  }
  return steps === best;
}

/**
 * Maze evaluator (beyond the reference): the fraction of evaluated rows whose prediction is
 * an optimal S→G path ({@link isOptimalMazePath}). Padding rows (every label ignored) are
 * skipped. Reports `maze/optimal_path_rate` and `maze/N` (rows evaluated).
 */
export class MazeEvaluator extends RowRateEvaluator {
  constructor(context: EvaluatorContext, options?: EvaluatorOptions) {
    super('maze', 'Maze evaluator', 'optimal_path_rate');
    new OptionReader('Maze evaluator', options).done();
    squareSide('Maze evaluator', context.metadata.seq_len);
  }

  protected passes(input: Int32Array, pred: Int32Array): boolean {
    return isOptimalMazePath(input, pred);
  }
}
