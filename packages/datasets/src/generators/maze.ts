import { Rng } from '../rng.js';
import type { GeneratedPuzzle } from './csv.js';

/** Options of {@link generateMaze}. */
export interface MazeGeneratorOptions {
  /** Side length N of the N×N grid (at least 5). Default 30. */
  size?: number;
  /** Minimum shortest-path length in steps; regenerate until met. Default 0. */
  minPathLength?: number;
  /** Shorthand for `minPathLength` = {@link mazeHardPathLength}(size) (110 for 30×30). */
  hard?: boolean;
  /** Give up after this many mazes without meeting `minPathLength`. Default 100. */
  maxAttempts?: number;
}

/** "Hard" threshold: 110 steps for 30×30 as in the hub data, scaled by area for other sizes. */
export function mazeHardPathLength(size: number): number {
  return Math.round((110 * size * size) / 900);
}

/** A maze as a grid of characters (`#` wall, space open) with its shortest path. */
export interface MazeSolution {
  /** Cell indices (row-major) from start to goal, both included. */
  path: number[];
  /** Number of shortest paths between start and goal, capped at 2. */
  shortestPaths: number;
}

/**
 * Breadth-first search from `start` over non-wall cells, counting shortest paths (capped at
 * 2) so callers can check that the marked path is the only shortest one.
 */
export function solveMaze(
  grid: string,
  n: number,
  start: number,
  goal: number,
): MazeSolution | undefined {
  const dist = new Int32Array(n * n).fill(-1);
  const ways = new Uint8Array(n * n);
  const prev = new Int32Array(n * n).fill(-1);
  const queue = new Int32Array(n * n);
  let head = 0;
  let tail = 0;
  dist[start] = 0;
  ways[start] = 1;
  queue[tail++] = start;
  while (head < tail) {
    const k = queue[head++]!;
    const r = Math.floor(k / n);
    const c = k % n;
    for (const [dr, dc] of STEPS) {
      const rr = r + dr;
      const cc = c + dc;
      if (rr < 0 || cc < 0 || rr >= n || cc >= n) continue;
      const j = rr * n + cc;
      if (grid[j] === '#') continue;
      if (dist[j] === -1) {
        dist[j] = dist[k]! + 1;
        prev[j] = k;
        ways[j] = ways[k]!;
        queue[tail++] = j;
      } else if (dist[j] === dist[k]! + 1) {
        ways[j] = Math.min(2, ways[j]! + ways[k]!);
      }
    }
  }
  if (dist[goal] === -1) return undefined;
  const path: number[] = [];
  for (let k = goal; k !== -1; k = prev[k]!) path.push(k);
  path.reverse();
  return { path, shortestPaths: ways[goal]! };
}

const STEPS = [
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
] as const;

/**
 * Generates an N×N maze: a perfect maze (random depth-first spanning tree on the even
 * lattice, so any two open cells are joined by exactly one path), start `S` at one end of a
 * long path and goal `G` drawn among cells at least `minPathLength` steps away. The answer
 * marks the path between them with `o`; the rating is the path length in steps.
 */
export function generateMaze(rng: Rng, options: MazeGeneratorOptions = {}): GeneratedPuzzle {
  const n = options.size ?? 30;
  if (!Number.isInteger(n) || n < 5)
    throw new RangeError(`maze size must be an integer >= 5, got ${n}`);
  const minPath = options.minPathLength ?? (options.hard ? mazeHardPathLength(n) : 0);
  const maxAttempts = options.maxAttempts ?? 100;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const grid = carve(rng, n);
    const open: number[] = [];
    for (let k = 0; k < n * n; k++) if (grid[k] === 32) open.push(k);
    const text = String.fromCharCode(...grid);
    // The far end of a BFS from any cell is an end of a longest path in a tree.
    const first = farthest(text, n, open[rng.int(open.length)]!);
    const dists = distances(text, n, first.cell);
    let far = 0;
    for (const k of open) far = Math.max(far, dists[k]!);
    const threshold = Math.max(minPath, Math.min(far, Math.floor(far * 0.75)));
    if (far < minPath || far < 2) continue;
    const candidates = open.filter((k) => dists[k]! >= threshold);
    const goal = candidates[rng.int(candidates.length)]!;
    const start = first.cell;
    const sol = solveMaze(text, n, start, goal)!;
    const q = grid.slice();
    const a = grid.slice();
    for (const k of sol.path) a[k] = 111; // 'o'
    q[start] = 83; // 'S'
    a[start] = 83;
    q[goal] = 71; // 'G'
    a[goal] = 71;
    return {
      source: `generated-maze-${n}x${n}`,
      question: String.fromCharCode(...q),
      answer: String.fromCharCode(...a),
      rating: sol.path.length - 1,
    };
  }
  throw new Error(
    `no ${n}×${n} maze with a path of >= ${minPath} steps in ${maxAttempts} attempts`,
  );
}

/** Character codes of a perfect maze: open (space) on even (r, c), walls elsewhere. */
function carve(rng: Rng, n: number): Uint8Array {
  const g = new Uint8Array(n * n).fill(35); // '#'
  const m = Math.floor((n + 1) / 2); // lattice cells per side
  const visited = new Uint8Array(m * m);
  const stack = [rng.int(m * m)];
  visited[stack[0]!] = 1;
  g[Math.floor(stack[0]! / m) * 2 * n + (stack[0]! % m) * 2] = 32;
  const nbrs: number[] = [];
  while (stack.length > 0) {
    const cur = stack[stack.length - 1]!;
    const r = Math.floor(cur / m);
    const c = cur % m;
    nbrs.length = 0;
    if (r > 0 && !visited[cur - m]) nbrs.push(cur - m);
    if (r < m - 1 && !visited[cur + m]) nbrs.push(cur + m);
    if (c > 0 && !visited[cur - 1]) nbrs.push(cur - 1);
    if (c < m - 1 && !visited[cur + 1]) nbrs.push(cur + 1);
    if (nbrs.length === 0) {
      stack.pop();
      continue;
    }
    const next = nbrs[rng.int(nbrs.length)]!;
    const nr = Math.floor(next / m);
    const nc = next % m;
    visited[next] = 1;
    g[nr * 2 * n + nc * 2] = 32;
    g[(r + nr) * n + (c + nc)] = 32; // the wall between: midpoint of 2r and 2nr
    stack.push(next);
  }
  return g;
}

function distances(text: string, n: number, from: number): Int32Array {
  const dist = new Int32Array(n * n).fill(-1);
  const queue = new Int32Array(n * n);
  let head = 0;
  let tail = 0;
  dist[from] = 0;
  queue[tail++] = from;
  while (head < tail) {
    const k = queue[head++]!;
    const r = Math.floor(k / n);
    const c = k % n;
    for (const [dr, dc] of STEPS) {
      const rr = r + dr;
      const cc = c + dc;
      if (rr < 0 || cc < 0 || rr >= n || cc >= n) continue;
      const j = rr * n + cc;
      if (text.charCodeAt(j) === 35 || dist[j] !== -1) continue;
      dist[j] = dist[k]! + 1;
      queue[tail++] = j;
    }
  }
  return dist;
}

function farthest(text: string, n: number, from: number): { cell: number; dist: number } {
  const d = distances(text, n, from);
  let cell = from;
  for (let k = 0; k < d.length; k++) if (d[k]! > d[cell]!) cell = k;
  return { cell, dist: d[cell]! };
}

/** Generates `count` mazes from a seed (deterministic). */
export function* generateMazes(
  count: number,
  seed = 0,
  options: MazeGeneratorOptions = {},
): Generator<GeneratedPuzzle> {
  const rng = new Rng(seed);
  for (let i = 0; i < count; i++) yield generateMaze(rng, options);
}
