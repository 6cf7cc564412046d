import type { SplitSummary } from '../format/writer.js';

/** Progress of a builder, reported per split as examples are written. */
export interface BuildProgress {
  split: 'train' | 'test';
  /** Examples written so far in this split (for ARC: puzzles processed). */
  done: number;
  total: number | undefined;
}

/** What a builder wrote. */
export interface BuildResult {
  outputDir: string;
  train: SplitSummary;
  test: SplitSummary;
}
