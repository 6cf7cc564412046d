/**
 * The model inputs for ARC test inputs straight from a challenges file, without a dataset on
 * disk: every test input of every puzzle under each augmented variant, placed on its canvas
 * exactly as `buildArcDataset` places the test split.
 */
import { createHash } from 'node:crypto';
import { parseAugmentedName } from '../augment/arc.js';
import {
  augmentFlatGrid,
  drawArcVariants,
  type FlatPair,
  toFlatGrid,
} from '../augment/arc-variants.js';
import { type ArcPuzzle, type ArcPuzzleSet, UNSOLVED_TEST_OUTPUT } from '../format/arc-json.js';
import { BLANK_IDENTIFIER } from '../format/identifiers.js';
import { Rng } from '../rng.js';
import { ARC_SEQ_LEN, placeArcGrid } from './arc.js';

/** One augmented variant a puzzle's test inputs are predicted under. */
export interface ArcPredictionVariant {
  /** Variant name (`name|||t<t>|||<colour map>`, or the puzzle's name for the original). */
  name: string;
  /** Dihedral transform id 0..7. */
  transform: number;
  /** Colour map applied before the transform. */
  colourMap: Uint8Array;
  /** The puzzle identifier the model sees: the variant's trained one, or the blank one. */
  puzzleIdentifier: number;
}

/** A puzzle of the challenges file and the variants it is predicted under. */
export interface ArcPredictionTask {
  name: string;
  puzzle: ArcPuzzle;
  /** In the order the model sees them (a trained puzzle's: by identifier, as its dataset has them). */
  variants: ArcPredictionVariant[];
  /** Whether the variants are the checkpoint's trained ones (else drawn, with the blank identifier). */
  trained: boolean;
}

/** Options of {@link planArcPrediction}. */
export interface ArcPredictionOptions {
  /**
   * `identifiers.json` of the dataset the checkpoint was trained on. A puzzle whose name (or
   * variant names) it holds is predicted under those variants, with their identifiers.
   */
  identifiers?: readonly string[];
  /**
   * Augmented variants besides the original: for a trained puzzle, the first `numAug` of its
   * trained ones (default: all of them); for the others, `numAug` drawn ones (default
   * {@link ARC_PREDICT_DEFAULT_AUG}).
   */
  numAug?: number;
  /** Seed of the drawn variants (each puzzle's draw depends only on it and the puzzle's name). Default 42. */
  seed?: number;
  /** Identifier of puzzles without a trained embedding. Default 0. */
  blankIdentifierId?: number;
}

/** Drawn variants per puzzle without a trained embedding, unless `numAug` says otherwise. */
export const ARC_PREDICT_DEFAULT_AUG = 8;

/**
 * Chooses the variants every puzzle of `puzzles` is predicted under, in the order of the file.
 * A puzzle named in `identifiers` gets its trained variants and identifiers (the evaluation
 * set's puzzles of the reference, whose demonstrations were trained on); any other gets the
 * original and the variants {@link drawArcVariants} draws for it (as the builder would, with
 * unknown test outputs taken as `[[0]]`), all with the blank identifier.
 *
 * @throws RangeError when an entry of `identifiers` is not a valid ARC variant name
 */
export function planArcPrediction(
  puzzles: ArcPuzzleSet,
  options: ArcPredictionOptions = {},
): ArcPredictionTask[] {
  const seed = options.seed ?? 42;
  const blank = options.blankIdentifierId ?? 0;
  const trained = trainedVariants(options.identifiers ?? []);
  return Object.entries(puzzles).map(([name, puzzle]) => {
    const known = trained.get(name);
    if (known) {
      const variants = options.numAug === undefined ? known : known.slice(0, options.numAug + 1);
      return { name, puzzle, variants, trained: true };
    }
    const pairs = (list: ArcPuzzle['train']) =>
      list.map(
        (p) => [toFlatGrid(p.input), toFlatGrid(p.output ?? UNSOLVED_TEST_OUTPUT)] as FlatPair,
      );
    const drawn = drawArcVariants(
      name,
      pairs(puzzle.train),
      pairs(puzzle.test),
      options.numAug ?? ARC_PREDICT_DEFAULT_AUG,
      new Rng(seed, nameStream(name)),
    );
    const variants = drawn.map((v) => ({
      name: v.name,
      transform: v.transform,
      colourMap: v.colourMap,
      puzzleIdentifier: blank,
    }));
    return { name, puzzle, variants, trained: false };
  });
}

/** A stream number from a puzzle name, so that a puzzle's draw does not depend on the others. */
function nameStream(name: string): bigint {
  return BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 16)}`);
}

/** The variants of `identifiers.json` by original puzzle name, in identifier order. */
function trainedVariants(identifiers: readonly string[]): Map<string, ArcPredictionVariant[]> {
  const byName = new Map<string, ArcPredictionVariant[]>();
  identifiers.forEach((id, index) => {
    if (id === BLANK_IDENTIFIER) return;
    const aug = parseAugmentedName(id);
    let list = byName.get(aug.name);
    if (!list) {
      list = [];
      byName.set(aug.name, list);
    }
    list.push({
      name: id,
      transform: aug.transform,
      colourMap: aug.colourMap,
      puzzleIdentifier: index,
    });
  });
  return byName;
}

/** Rows a plan gives: one per test input per variant. */
export function arcPredictionRowCount(plan: readonly ArcPredictionTask[]): number {
  return plan.reduce((n, t) => n + t.variants.length * t.puzzle.test.length, 0);
}

/** One model input of a plan. */
export interface ArcPredictionRow {
  /** The puzzle's name. */
  task: string;
  /** The variant's name. */
  variant: string;
  /** Index of the test input in the puzzle's `test` list. */
  test: number;
  /** The identifier the model sees. */
  puzzleIdentifier: number;
  /** The augmented test input on a 30×30 canvas at the top-left ({@link ARC_SEQ_LEN} tokens). */
  tokens: Uint8Array;
}

/**
 * The rows of a plan, puzzle by puzzle, variant by variant, test input by test input, made as
 * they are consumed (a plan of 1,000 variants of 400 puzzles would not fit in memory at once).
 * Each row's `tokens` is a new array.
 */
export function* arcPredictionRows(
  plan: readonly ArcPredictionTask[],
): Generator<ArcPredictionRow, void, undefined> {
  for (const task of plan) {
    const inputs = task.puzzle.test.map((t) => toFlatGrid(t.input));
    for (const v of task.variants) {
      for (let i = 0; i < inputs.length; i++) {
        const tokens = new Uint8Array(ARC_SEQ_LEN);
        placeArcGrid(augmentFlatGrid(inputs[i]!, v.transform, v.colourMap), 0, 0, tokens, 0);
        yield {
          task: task.name,
          variant: v.name,
          test: i,
          puzzleIdentifier: v.puzzleIdentifier,
          tokens,
        };
      }
    }
  }
}
