import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inverseAugment, parseAugmentedName } from '../src/augment/arc.js';
import { buildArcDataset } from '../src/builders/arc.js';
import {
  ARC_PREDICT_DEFAULT_AUG,
  type ArcPredictionRow,
  arcPredictionRowCount,
  arcPredictionRows,
  planArcPrediction,
} from '../src/builders/arc-prediction.js';
import { type ArcGrid, type ArcPuzzleSet, readArcChallenges } from '../src/format/arc-json.js';
import { readNpy } from '../src/npy/read.js';
import { cropArcGrid } from '../src/render/arc-grid.js';
import { ARC_DATA, HAS_ARC_DATA, tempDir } from './helpers.js';

function rand(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}
const r = rand(11);
const grid = (h: number, w: number): ArcGrid =>
  Array.from({ length: h }, () => Array.from({ length: w }, () => Math.floor(r() * 10)));

const training: ArcPuzzleSet = {
  trn00001: {
    train: [{ input: grid(3, 4), output: grid(2, 2) }],
    test: [{ input: grid(5, 5), output: grid(5, 5) }],
  },
};
const evaluation: ArcPuzzleSet = {
  evl00002: {
    train: [
      { input: grid(2, 3), output: grid(3, 2) },
      { input: grid(4, 4), output: grid(4, 4) },
    ],
    test: [{ input: grid(5, 7) }, { input: grid(1, 9) }],
  },
  evl00003: {
    train: [{ input: grid(6, 6), output: grid(6, 6) }],
    test: [{ input: grid(30, 30) }],
  },
};

const dir = tempDir();
const prefix = join(dir, 'arc');
writeFileSync(`${prefix}_training_challenges.json`, JSON.stringify(training));
writeFileSync(`${prefix}_evaluation_challenges.json`, JSON.stringify(evaluation));
const NUM_AUG = 4;
const data = join(dir, 'data');
await buildArcDataset({
  inputFilePrefix: prefix,
  outputDir: data,
  subsets: ['training', 'evaluation'],
  testSetName: 'evaluation',
  numAug: NUM_AUG,
  seed: 5,
});
const identifiers = JSON.parse(readFileSync(join(data, 'identifiers.json'), 'utf8')) as string[];
const challenges = readArcChallenges(`${prefix}_evaluation_challenges.json`);

/** Rows (as identifier → token rows) of the test split the builder wrote. */
function testSplitRows(): Map<number, number[][]> {
  const f = (k: string) => readNpy(join(data, 'test', `all__${k}.npy`)).data;
  const inputs = f('inputs') as Uint8Array;
  const ids = f('puzzle_identifiers') as Int32Array;
  const pIdx = f('puzzle_indices') as Int32Array;
  const rows = new Map<number, number[][]>();
  for (let p = 0; p < ids.length; p++) {
    const list: number[][] = [];
    for (let e = pIdx[p]!; e < pIdx[p + 1]!; e++)
      list.push(Array.from(inputs.subarray(e * 900, (e + 1) * 900)));
    rows.set(ids[p]!, list);
  }
  return rows;
}

function rowsById(rows: Iterable<ArcPredictionRow>): Map<number, number[][]> {
  const out = new Map<number, number[][]>();
  for (const row of rows) {
    const list = out.get(row.puzzleIdentifier) ?? [];
    list.push(Array.from(row.tokens));
    out.set(row.puzzleIdentifier, list);
  }
  return out;
}

describe('planArcPrediction with trained identifiers', () => {
  const plan = planArcPrediction(challenges, { identifiers });

  it('gives exactly the rows of the test split the builder writes, identifier for identifier', () => {
    expect(plan.map((t) => [t.name, t.trained])).toEqual([
      ['evl00002', true],
      ['evl00003', true],
    ]);
    const rows = [...arcPredictionRows(plan)];
    expect(rows.length).toBe(arcPredictionRowCount(plan));
    expect(rows.length).toBe(3 * (NUM_AUG + 1));
    expect(rowsById(rows)).toEqual(testSplitRows());
  });

  it('orders each puzzle by identifier, the original first, as the test split does', () => {
    for (const task of plan) {
      const ids = task.variants.map((v) => v.puzzleIdentifier);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(task.variants[0]!.name).toBe(task.name);
      for (const v of task.variants) expect(identifiers[v.puzzleIdentifier]).toBe(v.name);
    }
  });

  it('keeps the first numAug trained variants besides the original', () => {
    const capped = planArcPrediction(challenges, { identifiers, numAug: 1 });
    for (const [i, task] of capped.entries())
      expect(task.variants).toEqual(plan[i]!.variants.slice(0, 2));
  });

  it('draws variants for a puzzle it does not know, with the blank identifier', () => {
    const mixed = planArcPrediction(
      { ...challenges, new00004: training.trn00001! },
      { identifiers },
    );
    const drawn = mixed[2]!;
    expect(drawn.trained).toBe(false);
    expect(drawn.variants.length).toBe(ARC_PREDICT_DEFAULT_AUG + 1);
    expect(drawn.variants.every((v) => v.puzzleIdentifier === 0)).toBe(true);
    expect(mixed.slice(0, 2)).toEqual(plan);
  });
});

describe('planArcPrediction without trained identifiers', () => {
  it("draws the original and numAug distinct variants per puzzle, seeded by the puzzle's name", () => {
    const plan = planArcPrediction(challenges, { numAug: 3, seed: 1 });
    for (const task of plan) {
      expect(task.trained).toBe(false);
      expect(task.variants.map((v) => v.name)[0]).toBe(task.name);
      expect(new Set(task.variants.map((v) => v.name)).size).toBe(4);
      for (const v of task.variants) {
        const aug = parseAugmentedName(v.name);
        expect([aug.name, aug.transform, [...aug.colourMap]]).toEqual([
          task.name,
          v.transform,
          [...v.colourMap],
        ]);
      }
    }
    // A puzzle's draw does not depend on the other puzzles of the file, only on the seed.
    const alone = planArcPrediction({ evl00003: challenges.evl00003! }, { numAug: 3, seed: 1 });
    expect(alone[0]!.variants).toEqual(plan[1]!.variants);
    const other = planArcPrediction(challenges, { numAug: 3, seed: 2 });
    expect(other[0]!.variants).not.toEqual(plan[0]!.variants);
  });

  it('places each augmented test input at the top-left, where inverting it gives the input back', () => {
    const plan = planArcPrediction(challenges, { numAug: 5 });
    for (const row of arcPredictionRows(plan)) {
      const { name, invert } = inverseAugment(row.variant);
      expect(name).toBe(row.task);
      expect(invert(cropArcGrid(row.tokens))).toEqual(challenges[row.task]!.test[row.test]!.input);
    }
  });
});

describe.skipIf(!HAS_ARC_DATA)('planArcPrediction on the ARC-AGI evaluation challenges', () => {
  it('inverts every augmented test input back to its puzzle', () => {
    const puzzles = readArcChallenges(join(ARC_DATA, 'arc-agi_evaluation_challenges.json'));
    const plan = planArcPrediction(puzzles, { numAug: 2 });
    let rows = 0;
    for (const row of arcPredictionRows(plan)) {
      const { invert } = inverseAugment(row.variant);
      expect(invert(cropArcGrid(row.tokens))).toEqual(puzzles[row.task]!.test[row.test]!.input);
      rows++;
    }
    const tests = Object.values(puzzles).reduce((n, p) => n + p.test.length, 0);
    expect(rows).toBe(arcPredictionRowCount(plan));
    expect(rows).toBeLessThanOrEqual(3 * tests);
    expect(rows).toBeGreaterThan(2 * tests);
  });
});
