/**
 * Puzzle-identifier ablations of `trm eval --puzzle-ids`: what the model sees in place of each
 * evaluated example's puzzle identifier. The replacement is decided per example, by its place
 * among the evaluated examples, so that one device and N devices feed the model the same
 * identifiers.
 */
import { type BatchItem, Rng } from '@trm/datasets';

/** The choices of `--puzzle-ids`. */
export const PUZZLE_ID_MODES = ['real', 'blank', 'random', 'shuffled'] as const;
export type PuzzleIdMode = (typeof PUZZLE_ID_MODES)[number];

/** Where one local batch sits among the evaluated examples. */
export interface BatchPlace {
  /** Evaluated (real, unpadded) examples in the global batches before this one. */
  before: number;
  /** Real examples in this global batch (its `effectiveBatchSize`). */
  effective: number;
  /** Row of the global batch that is this rank's first row (`rank × local batch size`). */
  offset: number;
}

export interface PuzzleIdAblationOptions {
  mode: Exclude<PuzzleIdMode, 'real'>;
  /** The dataset's blank identifier (0 in every dataset the builders write, as in the reference). */
  blankId: number;
  /** Size of the model's puzzle-embedding table; `random` draws from `[0, n)`. */
  numPuzzleIdentifiers: number;
  /** Seed of the `random` draws and the `shuffled` permutation. */
  seed: number;
  /** `shuffled`: the identifier of every evaluated example, in evaluation order. */
  evaluated?: Int32Array;
}

/**
 * Replaces the puzzle identifiers of evaluation batches:
 * - `blank`: every row gets the blank identifier;
 * - `random`: every evaluated example gets a uniform draw from `[0, num_puzzle_identifiers)`,
 *   drawn in evaluation order from `Rng(seed)`;
 * - `shuffled`: the evaluated examples' identifiers, permuted with `Rng(seed)` (the multiset
 *   of identifiers is kept; which example gets which is not).
 * Padding rows keep their (blank) identifier. Call {@link apply} once per global batch, in
 * order, on every rank.
 */
export class PuzzleIdAblation {
  readonly mode: PuzzleIdAblationOptions['mode'];
  private readonly blankId: number;
  private readonly numIds: number;
  private readonly rng: Rng;
  private readonly permuted: Int32Array | undefined;
  /** Evaluated examples whose replacement has been decided. */
  private next = 0;

  constructor(options: PuzzleIdAblationOptions) {
    this.mode = options.mode;
    this.blankId = options.blankId;
    this.numIds = options.numPuzzleIdentifiers;
    this.rng = new Rng(options.seed);
    if (!(Number.isInteger(this.numIds) && this.numIds >= 1))
      throw new RangeError(`numPuzzleIdentifiers must be a positive integer, got ${this.numIds}`);
    if (this.mode === 'shuffled') {
      if (!options.evaluated)
        throw new RangeError('the shuffled ablation needs the evaluated identifiers');
      this.permuted = this.rng.shuffle(options.evaluated.slice());
    }
  }

  /** The identifiers the model sees for one local batch (a new array; `ids` is left alone). */
  apply(ids: Int32Array, place: BatchPlace): Int32Array {
    if (place.before !== this.next)
      throw new RangeError(
        `batches out of order: expected the one after example ${this.next}, got ${place.before}`,
      );
    this.next += place.effective;
    if (this.permuted && this.next > this.permuted.length)
      throw new RangeError(
        `more examples than the ${this.permuted.length} evaluated identifiers given`,
      );
    const out = ids.slice();
    if (this.mode === 'blank') return out.fill(this.blankId);
    for (let i = 0; i < place.effective; i++) {
      // Every rank draws for the whole global batch, so the draws do not depend on the split.
      const id =
        this.mode === 'random' ? this.rng.int(this.numIds) : this.permuted![place.before + i]!;
      const row = i - place.offset;
      if (row >= 0 && row < out.length) out[row] = id;
    }
    return out;
  }
}

/**
 * The puzzle identifier of every example an evaluation over `batches` (the global batches: a
 * single-replica test dataset, or the one batch of `--one-batch`) scores, in order.
 */
export function evaluatedIdentifiers(batches: Iterable<BatchItem>): Int32Array {
  const parts: Int32Array[] = [];
  let total = 0;
  for (const { batch, effectiveBatchSize } of batches) {
    const real = batch.puzzleIdentifiers.subarray(0, effectiveBatchSize);
    parts.push(real.slice());
    total += real.length;
  }
  const out = new Int32Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
