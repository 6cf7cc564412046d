import type { DatasetMetadata } from '../format/metadata.js';
import { Rng } from '../rng.js';
import { type LoadedSet, loadDatasetSplit } from './load-set.js';
import { mergedSetName, mergeMetadata } from './metadata.js';
import { puzzleOfExample } from './puzzle-of.js';

/** Label value the loss ignores (PyTorch's default `ignore_index`). */
export const IGNORE_LABEL_ID = -100;

/** Options of {@link PuzzleDataset}; names follow the reference's `PuzzleDatasetConfig`. */
export interface PuzzleDatasetOptions {
  /** Dataset directories; several are merged (their set names get suffixes 1, 2, …). */
  datasetPaths: readonly string[];
  /** Directory split to read: `train` or `test`. */
  split: 'train' | 'test';
  /** Examples per step across all ranks. */
  globalBatchSize: number;
  /** Iterate sequentially with padding (evaluation) instead of sampling. Default: split === 'test'. */
  testSetMode?: boolean;
  /** Base seed; epoch-iteration `i` (1-based) uses seed + i. Default 0. */
  seed?: number;
  /** Epochs per call of the iterator (the trainer passes eval_interval). Default 1. */
  epochsPerIter?: number;
  /** This process's rank and the number of ranks. Defaults 0 and 1. */
  rank?: number;
  numReplicas?: number;
}

/** One local batch. Arrays are row-major: `inputs[i * seqLen + j]`. */
export interface PuzzleBatch {
  inputs: Int32Array;
  /** Labels with `ignore_label_id` replaced by {@link IGNORE_LABEL_ID}. */
  labels: Int32Array;
  puzzleIdentifiers: Int32Array;
}

/** What the iterators yield. */
export interface BatchItem {
  setName: string;
  batch: PuzzleBatch;
  /** Real (unpadded) examples in the *global* batch. */
  effectiveBatchSize: number;
}

/**
 * The training and evaluation data pipeline of §10, yielding typed arrays:
 * - train: per iteration, shuffle groups with an RNG seeded from `seed + iteration`; for each
 *   group take one random puzzle and a random subset (without replacement) of its examples
 *   until the global batch is full; drop the last incomplete batch;
 * - test: walk examples in order; the last batch is padded (inputs pad_id, labels -100,
 *   identifiers blank).
 * Each rank receives its contiguous slice of every global batch. Deterministic for a seed
 * (not bit-identical to NumPy's Philox streams; see the README).
 */
export class PuzzleDataset implements Iterable<BatchItem> {
  readonly metadata: DatasetMetadata;
  readonly localBatchSize: number;
  private readonly rank: number;
  private readonly testSetMode: boolean;
  private data: Map<string, LoadedSet> | undefined;
  private iters = 0;

  /**
   * Reads and checks every path's `dataset.json` (cheap; the arrays are read by
   * {@link preload} or the first iteration).
   *
   * @throws DatasetError naming the file when a `dataset.json` is missing, malformed, declares
   *   sizes no dataset has, or disagrees with the first path's.
   */
  constructor(readonly options: PuzzleDatasetOptions) {
    this.metadata = mergeMetadata(options.datasetPaths, options.split);
    const replicas = options.numReplicas ?? 1;
    this.rank = options.rank ?? 0;
    if (!Number.isInteger(options.globalBatchSize) || options.globalBatchSize <= 0) {
      throw new RangeError(
        `globalBatchSize must be a positive integer, got ${options.globalBatchSize}`,
      );
    }
    if (options.globalBatchSize % replicas !== 0) {
      throw new RangeError(
        `global batch size ${options.globalBatchSize} must be a multiple of numReplicas ${replicas}`,
      );
    }
    if (!(this.rank >= 0 && this.rank < replicas))
      throw new RangeError(`rank ${this.rank} outside 0..${replicas - 1}`);
    this.localBatchSize = options.globalBatchSize / replicas;
    this.testSetMode = options.testSetMode ?? options.split === 'test';
  }

  /**
   * Training iterations started so far (each seeds its shuffle with `seed + iteration`).
   * Setting it lets a resumed run continue with the data order of an uninterrupted one.
   */
  get iteration(): number {
    return this.iters;
  }

  set iteration(value: number) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`iteration must be a non-negative integer, got ${value}`);
    }
    this.iters = value;
  }

  /**
   * Reads and checks every set's arrays now rather than on the first iteration (see
   * {@link loadDatasetSplit}). Call it before creating outputs or building a model, so that a
   * corrupt dataset is reported before anything else happens.
   *
   * @throws DatasetError naming the file, the first offending row or entry and its value.
   */
  preload(): void {
    this.load();
  }

  private load(): Map<string, LoadedSet> {
    if (this.data) return this.data;
    const data = new Map<string, LoadedSet>();
    const splits = this.options.datasetPaths.map((path) =>
      loadDatasetSplit(path, this.options.split),
    );
    for (const set of this.metadata.sets) {
      splits.forEach((split, i) => {
        data.set(mergedSetName(set, i), split.sets.get(set)!);
      });
    }
    this.data = data;
    return data;
  }

  [Symbol.iterator](): Iterator<BatchItem> {
    return this.testSetMode ? this.iterTest() : this.iterTrain();
  }

  /** One training iteration (`epochsPerIter` epochs) over every set. */
  *iterTrain(): Generator<BatchItem> {
    const gbs = this.options.globalBatchSize;
    const local = this.localBatchSize;
    const seqLen = this.metadata.seq_len;
    for (const [setName, set] of this.load()) {
      this.iters++;
      const rng = new Rng((this.options.seed ?? 0) + this.iters);
      const nGroups = set.groupIndices.length - 1;
      const epochs = this.options.epochsPerIter ?? 1;
      const order = new Int32Array(nGroups * epochs);
      for (let e = 0; e < epochs; e++) order.set(rng.permutation(nGroups), e * nGroups);
      const exampleIdx = new Int32Array(gbs);
      const puzzleIdx = new Int32Array(gbs);
      let scratch = new Int32Array(16);
      let start = 0;
      while (start < order.length) {
        let size = 0;
        while (start < order.length && size < gbs) {
          const g = order[start++]!;
          const lo = set.groupIndices[g]!;
          const puzzle = lo + rng.int(set.groupIndices[g + 1]! - lo);
          const pStart = set.puzzleIndices[puzzle]!;
          const pSize = set.puzzleIndices[puzzle + 1]! - pStart;
          const take = Math.min(pSize, gbs - size);
          if (scratch.length < pSize) scratch = new Int32Array(pSize * 2);
          for (let i = 0; i < pSize; i++) scratch[i] = i;
          for (let i = 0; i < take; i++) {
            const j = i + rng.int(pSize - i);
            const t = scratch[i]!;
            scratch[i] = scratch[j]!;
            scratch[j] = t;
            exampleIdx[size] = pStart + scratch[i]!;
            puzzleIdx[size] = puzzle;
            size++;
          }
        }
        if (size < gbs) break;
        const off = this.rank * local;
        yield {
          setName,
          batch: this.collate(
            set,
            exampleIdx.subarray(off, off + local),
            puzzleIdx.subarray(off, off + local),
            seqLen,
          ),
          effectiveBatchSize: size,
        };
      }
    }
  }

  /** Sequential evaluation batches over every set, the last one padded. */
  *iterTest(): Generator<BatchItem> {
    const gbs = this.options.globalBatchSize;
    const local = this.localBatchSize;
    const seqLen = this.metadata.seq_len;
    for (const [setName, set] of this.load()) {
      const total = set.numExamples;
      const exampleIdx = new Int32Array(local);
      const puzzleIdx = new Int32Array(local);
      for (let start = 0; start < total; start += gbs) {
        const end = Math.min(total, start + gbs);
        const localStart = start + this.rank * local;
        const localEnd = Math.min(start + (this.rank + 1) * local, end);
        const n = Math.max(0, localEnd - localStart);
        let p = puzzleOfExample(set.puzzleIndices, localStart);
        for (let i = 0; i < n; i++) {
          const e = localStart + i;
          while (p + 1 < set.puzzleIndices.length && e >= set.puzzleIndices[p + 1]!) p++;
          exampleIdx[i] = e;
          puzzleIdx[i] = p;
        }
        yield {
          setName,
          batch: this.collate(set, exampleIdx.subarray(0, n), puzzleIdx.subarray(0, n), seqLen),
          effectiveBatchSize: end - start,
        };
      }
    }
  }

  /** Gathers rows into a local batch, maps ignored labels to -100 and pads to the local size. */
  private collate(
    set: LoadedSet,
    examples: Int32Array,
    puzzles: Int32Array,
    seqLen: number,
  ): PuzzleBatch {
    const rows = this.localBatchSize;
    const m = this.metadata;
    const inputs = new Int32Array(rows * seqLen).fill(m.pad_id);
    const labels = new Int32Array(rows * seqLen).fill(IGNORE_LABEL_ID);
    const puzzleIdentifiers = new Int32Array(rows).fill(m.blank_identifier_id);
    const ignore = m.ignore_label_id;
    for (let i = 0; i < examples.length; i++) {
      const src = examples[i]! * seqLen;
      const dst = i * seqLen;
      for (let j = 0; j < seqLen; j++) {
        inputs[dst + j] = set.inputs[src + j]!;
        const l = set.labels[src + j]!;
        labels[dst + j] = l === ignore ? IGNORE_LABEL_ID : l;
      }
      puzzleIdentifiers[i] = set.puzzleIdentifiers[puzzles[i]!]!;
    }
    return { inputs, labels, puzzleIdentifiers };
  }
}
