import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NpyWriter, writeNpy } from '../npy/write.js';
import { fsError } from './fs-errors.js';
import { GrowableInt32 } from './growable.js';
import { type DatasetMetadata, writeMetadata } from './metadata.js';

/** Rows buffered in memory before a write; bounds memory independently of dataset size. */
const CHUNK_ROWS = 16384;

/** Token-level description of a split, written to `dataset.json`. */
export interface SplitInfo {
  seqLen: number;
  vocabSize: number;
  padId: number;
  ignoreLabelId: number | null;
  blankIdentifierId: number;
  numPuzzleIdentifiers: number;
  /**
   * `'groups'` reproduces the reference Sudoku/Maze builders (`total_puzzles` = number of
   * groups, `mean_puzzle_examples` = 1); `'puzzles'` writes the true counts (ARC).
   */
  countMode: 'groups' | 'puzzles';
}

/** Counts of what a {@link SplitWriter} wrote. */
export interface SplitSummary {
  examples: number;
  puzzles: number;
  groups: number;
}

/**
 * Streams one split (`train` or `test`, set `all`) of a dataset to disk in the reference
 * layout. Examples go through a fixed-size chunk buffer: call {@link reserveExample}, fill
 * `inputChunk`/`labelChunk` at the returned offset, then close puzzles and groups.
 */
export class SplitWriter {
  readonly setName = 'all';
  /** Chunk buffers; valid to write at the offset returned by the latest reserveExample. */
  inputChunk: Uint8Array;
  labelChunk: Uint8Array;
  private chunkRows = 0;
  private readonly inputs: NpyWriter<'u1'>;
  private readonly labels: NpyWriter<'u1'>;
  private readonly puzzleIndices = new GrowableInt32();
  private readonly groupIndices = new GrowableInt32();
  private readonly identifiers = new GrowableInt32();
  private examples = 0;
  private readonly splitDir: string;

  /**
   * @param rows number of examples if known in advance (lets the header be exact), else null
   */
  constructor(
    rootDir: string,
    readonly split: string,
    readonly info: SplitInfo,
    rows: number | null = null,
  ) {
    this.splitDir = join(rootDir, split);
    try {
      mkdirSync(this.splitDir, { recursive: true });
    } catch (e) {
      throw fsError('create a directory', this.splitDir, e);
    }
    const base = join(this.splitDir, `${this.setName}__`);
    this.inputs = new NpyWriter(`${base}inputs.npy`, 'u1', rows, [info.seqLen]);
    this.labels = new NpyWriter(`${base}labels.npy`, 'u1', rows, [info.seqLen]);
    this.inputChunk = new Uint8Array(CHUNK_ROWS * info.seqLen);
    this.labelChunk = new Uint8Array(CHUNK_ROWS * info.seqLen);
    this.puzzleIndices.push(0);
    this.groupIndices.push(0);
  }

  /** Makes room for one example and returns its offset in `inputChunk` / `labelChunk`. */
  reserveExample(): number {
    if (this.chunkRows === CHUNK_ROWS) this.flush();
    this.examples++;
    return this.chunkRows++ * this.info.seqLen;
  }

  /** Ends the current puzzle (its examples are those reserved since the previous one). */
  endPuzzle(identifier: number): void {
    this.puzzleIndices.push(this.examples);
    this.identifiers.push(identifier);
  }

  /** Ends the current group (its puzzles are those ended since the previous group). */
  endGroup(): void {
    this.groupIndices.push(this.identifiers.length);
  }

  private flush(): void {
    const n = this.chunkRows * this.info.seqLen;
    this.inputs.append(this.inputChunk.subarray(0, n));
    this.labels.append(this.labelChunk.subarray(0, n));
    this.chunkRows = 0;
  }

  /** Writes the index arrays and `dataset.json`; returns the counts. */
  finish(): SplitSummary {
    this.flush();
    this.inputs.close();
    this.labels.close();
    const base = join(this.splitDir, `${this.setName}__`);
    writeNpy(`${base}puzzle_identifiers.npy`, this.identifiers.toArray());
    writeNpy(`${base}puzzle_indices.npy`, this.puzzleIndices.toArray());
    writeNpy(`${base}group_indices.npy`, this.groupIndices.toArray());
    const summary = {
      examples: this.examples,
      puzzles: this.identifiers.length,
      groups: this.groupIndices.length - 1,
    };
    const byGroups = this.info.countMode === 'groups';
    const metadata: DatasetMetadata = {
      pad_id: this.info.padId,
      ignore_label_id: this.info.ignoreLabelId,
      blank_identifier_id: this.info.blankIdentifierId,
      vocab_size: this.info.vocabSize,
      seq_len: this.info.seqLen,
      num_puzzle_identifiers: this.info.numPuzzleIdentifiers,
      total_groups: summary.groups,
      mean_puzzle_examples: byGroups
        ? 1
        : summary.puzzles > 0
          ? summary.examples / summary.puzzles
          : 0,
      total_puzzles: byGroups ? summary.groups : summary.puzzles,
      sets: [this.setName],
    };
    writeMetadata(join(this.splitDir, 'dataset.json'), metadata);
    return summary;
  }

  /** Stops writing; the caller removes the temporary directory. */
  abort(): void {
    this.inputs.abort();
    this.labels.abort();
  }
}
