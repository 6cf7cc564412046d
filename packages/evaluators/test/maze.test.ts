import { describe, expect, it } from 'vitest';
import {
  createEvaluator,
  type EvalBatch,
  isOptimalMazePath,
  MazeEvaluator,
  shortestMazePath,
} from '../src/index.js';

const CHARS: Record<string, number> = { '#': 1, ' ': 2, S: 3, G: 4, o: 5 };
const maze = (rows: string[]): Int32Array => Int32Array.from(rows.join(''), (ch) => CHARS[ch]!);

const RING = ['#####', '#S  #', '# # #', '#  G#', '#####'];
const ROOM = ['#####', '#S G#', '#   #', '#   #', '#####'];

describe('shortestMazePath', () => {
  it('finds BFS distances', () => {
    expect(shortestMazePath(maze(RING))).toBe(4);
    expect(shortestMazePath(maze(ROOM))).toBe(2);
    expect(shortestMazePath(maze(['#####', '#S#G#', '#####', '#####', '#####']))).toBe(-1);
    expect(shortestMazePath(maze(['#####', '#S  #', '#   #', '#   #', '#####']))).toBe(-1); // no G
  });
});

describe('isOptimalMazePath', () => {
  it('accepts either shortest path, and the label itself', () => {
    expect(isOptimalMazePath(maze(RING), maze(['#####', '#Soo#', '# #o#', '#  G#', '#####']))).toBe(
      true,
    );
    expect(isOptimalMazePath(maze(RING), maze(['#####', '#S  #', '#o# #', '#ooG#', '#####']))).toBe(
      true,
    );
    // Only 'o' cells count: other tokens of the prediction are ignored.
    expect(isOptimalMazePath(maze(RING), maze(['     ', ' Soo ', '   o ', '     ', '     ']))).toBe(
      true,
    );
  });

  it('rejects extra, missing, disconnected or walled cells', () => {
    expect(isOptimalMazePath(maze(RING), maze(['#####', '#Soo#', '#o#o#', '#  G#', '#####']))).toBe(
      false,
    );
    expect(isOptimalMazePath(maze(RING), maze(['#####', '#Soo#', '# # #', '#  G#', '#####']))).toBe(
      false,
    );
    expect(isOptimalMazePath(maze(RING), maze(['#####', '#So #', '# #o#', '#o G#', '#####']))).toBe(
      false,
    );
    expect(isOptimalMazePath(maze(RING), maze(['#####', '#So #', '# o #', '# oG#', '#####']))).toBe(
      false,
    );
    expect(isOptimalMazePath(maze(RING), maze(RING))).toBe(false);
  });

  it('rejects a simple path that is longer than the shortest', () => {
    // S → down → right → right → up → G: a simple path of 4 steps where 2 suffice.
    expect(isOptimalMazePath(maze(ROOM), maze(['#####', '#S G#', '#ooo#', '#   #', '#####']))).toBe(
      false,
    );
    expect(isOptimalMazePath(maze(ROOM), maze(['#####', '#SoG#', '#   #', '#   #', '#####']))).toBe(
      true,
    );
  });

  it('rejects a correct-length path plus a detached loop', () => {
    const big = ['#######', '#S   G#', '#     #', '#     #', '#     #', '#     #', '#######'];
    expect(
      isOptimalMazePath(
        maze(big),
        maze(['#######', '#SoooG#', '#     #', '#     #', '#     #', '#     #', '#######']),
      ),
    ).toBe(true);
    expect(
      isOptimalMazePath(
        maze(big),
        maze(['#######', '#SoooG#', '#     #', '#  oo #', '#  oo #', '#     #', '#######']),
      ),
    ).toBe(false);
  });

  it('accepts S next to G with no o cells', () => {
    expect(
      isOptimalMazePath(
        maze(['####', '#SG#', '#  #', '####']),
        maze(['####', '#SG#', '#  #', '####']),
      ),
    ).toBe(true);
  });
});

describe('MazeEvaluator', () => {
  it('reports the optimal-path rate over non-padding rows', () => {
    const ev = createEvaluator('maze', { metadata: { seq_len: 25, blank_identifier_id: 0 } });
    expect(ev).toBeInstanceOf(MazeEvaluator);
    const preds = [
      maze(['#####', '#Soo#', '# #o#', '#  G#', '#####']),
      maze(RING),
      maze(['#####', '#S  #', '#o# #', '#ooG#', '#####']),
      maze(RING),
    ];
    const b = preds.length + 1;
    const inputs = new Int32Array(b * 25);
    const labels = new Int32Array(b * 25).fill(-100);
    const out = new Int32Array(b * 25);
    preds.forEach((p, i) => {
      inputs.set(maze(RING), i * 25);
      labels.set(preds[0]!, i * 25);
      out.set(p, i * 25);
    });
    const batch: EvalBatch = {
      inputs,
      labels,
      puzzleIdentifiers: new Int32Array(b),
      batchSize: b,
      seqLen: 25,
    };
    ev.begin();
    ev.update(batch, { preds: out, qHaltLogits: new Float32Array(b) });
    expect(ev.result()).toEqual({ 'maze/optimal_path_rate': 0.5, 'maze/N': 4 });
  });
});
