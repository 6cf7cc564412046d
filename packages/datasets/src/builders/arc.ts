import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ArcVariant,
  drawArcVariants,
  type FlatGrid,
  type FlatPair,
  toFlatGrid,
} from '../augment/arc-variants.js';
import { SourceDataError } from '../errors.js';
import {
  ARC_MAX_GRID_SIZE,
  type ArcGrid,
  type ArcPuzzle,
  type ArcPuzzleSet,
  arcGridProblem,
  readArcChallenges,
  readArcJsonObject,
  UNSOLVED_TEST_OUTPUT,
  writeTestPuzzles,
} from '../format/arc-json.js';
import { BLANK_IDENTIFIER, writeIdentifiers } from '../format/identifiers.js';
import { buildIntoDirectory, type OutputOptions } from '../format/output.js';
import { type SplitInfo, SplitWriter } from '../format/writer.js';
import { Rng } from '../rng.js';
import type { BuildProgress, BuildResult } from './common.js';

/** ARC padding token. */
export const ARC_PAD = 0;
/** ARC end-of-grid token, on the row below and the column right of each grid. */
export const ARC_EOS = 1;
/** Colour c is token c + ARC_COLOUR_OFFSET. */
export const ARC_COLOUR_OFFSET = 2;
/** PAD + EOS + 10 colours. */
export const ARC_VOCAB_SIZE = 12;
/** One 30×30 canvas per example. */
export const ARC_SEQ_LEN = ARC_MAX_GRID_SIZE * ARC_MAX_GRID_SIZE;

/** Options of {@link buildArcDataset}; names follow the reference's CLI flags. */
export interface ArcBuildOptions extends OutputOptions {
  /** Path prefix of the Kaggle JSON files, e.g. `data/arc-agi/arc-agi` for `arc-agi_training_challenges.json`. */
  inputFilePrefix: string;
  outputDir: string;
  /** Subsets to read, e.g. `['training', 'evaluation', 'concept']`. */
  subsets: string[];
  /** Subset whose test pairs form the test split, e.g. `evaluation`. */
  testSetName: string;
  /** A second test subset name (reference default `your_test_set`). */
  testSetName2?: string;
  /** Distinct augmented variants per puzzle. Default 1000. */
  numAug?: number;
  /** Default 42. */
  seed?: number;
  /** First identifier; raise it to merge several ARC datasets without clashes. Default 1. */
  puzzleIdentifiersStart?: number;
  /** Called after each puzzle (`done` counts puzzles, `total` the puzzles of all subsets). */
  onProgress?: (p: BuildProgress) => void;
}

/**
 * Writes a grid into a 900-token canvas with its top-left corner at (`padRow`, `padCol`):
 * colours as c + 2, EOS on the row just below and the column just right of the grid (within
 * the grid's extent, so the corner stays PAD), PAD elsewhere.
 */
export function placeArcGrid(
  g: FlatGrid,
  padRow: number,
  padCol: number,
  canvas: Uint8Array,
  offset: number,
): void {
  canvas.fill(ARC_PAD, offset, offset + ARC_SEQ_LEN);
  for (let r = 0; r < g.height; r++) {
    const rowBase = offset + (padRow + r) * ARC_MAX_GRID_SIZE + padCol;
    for (let c = 0; c < g.width; c++)
      canvas[rowBase + c] = g.data[r * g.width + c]! + ARC_COLOUR_OFFSET;
  }
  const eosRow = padRow + g.height;
  const eosCol = padCol + g.width;
  if (eosRow < ARC_MAX_GRID_SIZE)
    canvas.fill(
      ARC_EOS,
      offset + eosRow * ARC_MAX_GRID_SIZE + padCol,
      offset + eosRow * ARC_MAX_GRID_SIZE + eosCol,
    );
  if (eosCol < ARC_MAX_GRID_SIZE) {
    for (let r = padRow; r < eosRow; r++) canvas[offset + r * ARC_MAX_GRID_SIZE + eosCol] = ARC_EOS;
  }
}

/**
 * Writes an (input, output) pair into two 900-token canvases at a common offset and position
 * (see {@link placeArcGrid}).
 */
export function placeArcPair(
  input: FlatGrid,
  output: FlatGrid,
  padRow: number,
  padCol: number,
  inCanvas: Uint8Array,
  outCanvas: Uint8Array,
  offset: number,
): void {
  placeArcGrid(input, padRow, padCol, inCanvas, offset);
  placeArcGrid(output, padRow, padCol, outCanvas, offset);
}

function loadSubset(prefix: string, subset: string): ArcPuzzleSet {
  const puzzles = readArcChallenges(`${prefix}_${subset}_challenges.json`);
  const solutionsPath = `${prefix}_${subset}_solutions.json`;
  if (existsSync(solutionsPath)) {
    const sols = readArcJsonObject(solutionsPath);
    for (const [name, p] of Object.entries(puzzles)) {
      const s = sols[name];
      if (!Array.isArray(s) || s.length !== p.test.length) {
        throw new SourceDataError(
          `${solutionsPath}: puzzle ${name} needs ${p.test.length} solution grid(s)`,
          {
            file: solutionsPath,
            puzzle: name,
          },
        );
      }
      s.forEach((grid: unknown, i: number) => {
        const prob = arcGridProblem(grid);
        if (prob)
          throw new SourceDataError(`${solutionsPath}: puzzle ${name} solution ${i}: ${prob}`, {
            file: solutionsPath,
            puzzle: name,
          });
        p.test[i]!.output = grid as ArcGrid;
      });
    }
  } else {
    for (const p of Object.values(puzzles))
      for (const t of p.test) t.output ??= UNSOLVED_TEST_OUTPUT;
  }
  return puzzles;
}

/**
 * Builds an ARC dataset from Kaggle-style JSON in the reference layout (§11): every puzzle
 * forms a group of the original plus up to `numAug` distinct variants (dihedral transform ∘
 * colour permutation, de-duplicated by puzzle hash), each variant a puzzle with its own
 * identifier. Train examples are translated to a random canvas offset (except one random
 * example per puzzle); test examples sit at the top-left. The test subset's demonstration
 * pairs go to train and its test pairs to test, and its original puzzles are saved to
 * `test_puzzles.json`.
 *
 * Puzzles are augmented and written one at a time, so memory does not grow with `numAug`.
 */
export async function buildArcDataset(options: ArcBuildOptions): Promise<BuildResult> {
  const numAug = options.numAug ?? 1000;
  if (!Number.isInteger(numAug) || numAug < 0)
    throw new RangeError(`numAug must be a non-negative integer, got ${numAug}`);
  const testNames = new Set([options.testSetName, options.testSetName2 ?? 'your_test_set']);
  const rng = new Rng(options.seed ?? 42);
  const start = options.puzzleIdentifiersStart ?? 1;
  const subsets = options.subsets.map((s) => [s, loadSubset(options.inputFilePrefix, s)] as const);
  const totalPuzzles = subsets.reduce((n, [, p]) => n + Object.keys(p).length, 0);

  return buildIntoDirectory(options.outputDir, options, (tmp) => {
    const info = (): SplitInfo => ({
      seqLen: ARC_SEQ_LEN,
      vocabSize: ARC_VOCAB_SIZE,
      padId: ARC_PAD,
      ignoreLabelId: 0,
      blankIdentifierId: 0,
      numPuzzleIdentifiers: start,
      countMode: 'puzzles',
    });
    const train = new SplitWriter(tmp, 'train', info());
    const test = new SplitWriter(tmp, 'test', info());
    const identifiers: string[] = Array.from({ length: start }, () => BLANK_IDENTIFIER);
    const idOf = new Map<string, number>();
    const identifierFor = (name: string) => {
      let id = idOf.get(name);
      if (id === undefined) {
        id = identifiers.length;
        identifiers.push(name);
        idOf.set(name, id);
      }
      return id;
    };
    const testPuzzles: ArcPuzzleSet = {};
    let done = 0;
    try {
      for (const [subset, puzzles] of subsets) {
        const entries = Object.entries(puzzles);
        rng.shuffle(entries);
        const isTest = testNames.has(subset);
        for (const [name, puzzle] of entries) {
          if (isTest) testPuzzles[name] = puzzle;
          const group = augmentPuzzle(name, puzzle, isTest, numAug, rng);
          writeGroup(train, group, 'train', identifierFor, rng);
          if (isTest) writeGroup(test, group, 'test', identifierFor, rng);
          options.onProgress?.({ split: 'train', done: ++done, total: totalPuzzles });
        }
      }
      train.info.numPuzzleIdentifiers = identifiers.length;
      test.info.numPuzzleIdentifiers = identifiers.length;
      const trainSummary = train.finish();
      const testSummary = test.finish();
      writeIdentifiers(join(tmp, 'identifiers.json'), identifiers);
      writeTestPuzzles(join(tmp, 'test_puzzles.json'), testPuzzles);
      return { outputDir: options.outputDir, train: trainSummary, test: testSummary };
    } catch (e) {
      train.abort();
      test.abort();
      throw e;
    }
  });
}

function augmentPuzzle(
  name: string,
  puzzle: ArcPuzzle,
  isTest: boolean,
  numAug: number,
  rng: Rng,
): ArcVariant[] {
  const pairs = (list: ArcPuzzle['train']) =>
    list.map((p) => [toFlatGrid(p.input), toFlatGrid(p.output!)] as FlatPair);
  const train = isTest ? pairs(puzzle.train) : [...pairs(puzzle.train), ...pairs(puzzle.test)];
  const test = isTest ? pairs(puzzle.test) : [];
  // An empty puzzle would have no example to sample (the reference crashes on it).
  if (train.length === 0) {
    throw new SourceDataError(`puzzle ${name} has no demonstration pairs`, { puzzle: name });
  }
  if (isTest && test.length === 0) {
    throw new SourceDataError(`puzzle ${name} of the test subset has no test pairs`, {
      puzzle: name,
    });
  }
  return drawArcVariants(name, train, test, numAug, rng);
}

function writeGroup(
  w: SplitWriter,
  group: ArcVariant[],
  split: 'train' | 'test',
  identifierFor: (name: string) => number,
  rng: Rng,
): void {
  for (const v of group) {
    const pairs = v[split];
    const untranslated = rng.int(pairs.length);
    pairs.forEach(([inp, out], i) => {
      let padRow = 0;
      let padCol = 0;
      if (split === 'train' && i !== untranslated) {
        padRow = rng.int(ARC_MAX_GRID_SIZE - Math.max(inp.height, out.height) + 1);
        padCol = rng.int(ARC_MAX_GRID_SIZE - Math.max(inp.width, out.width) + 1);
      }
      const off = w.reserveExample();
      placeArcPair(inp, out, padRow, padCol, w.inputChunk, w.labelChunk, off);
    });
    w.endPuzzle(identifierFor(v.name));
  }
  w.endGroup();
}
