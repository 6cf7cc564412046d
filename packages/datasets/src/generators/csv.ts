import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { csvField, PUZZLE_CSV_HEADER } from '../csv/reader.js';
import { fsError } from '../format/fs-errors.js';
import { checkCreatable } from '../format/paths.js';
import { writeAllSync, writeViaTemporary } from '../format/write-all.js';

/** One puzzle in the hub CSV format (`source,question,answer,rating`). */
export interface GeneratedPuzzle {
  source: string;
  question: string;
  answer: string;
  rating: number;
}

/**
 * Writes puzzles as a `source,question,answer,rating` CSV, streaming row by row; the file
 * appears under its name only when complete.
 */
export function writePuzzleCsv(path: string, puzzles: Iterable<GeneratedPuzzle>): number {
  checkCreatable(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw fsError('create', path, e);
  }
  return writeViaTemporary(path, (fd) => {
    let rows = 0;
    let buf = `${PUZZLE_CSV_HEADER}\n`;
    for (const p of puzzles) {
      buf += `${csvField(p.source)},${csvField(p.question)},${csvField(p.answer)},${p.rating}\n`;
      rows++;
      if (buf.length > 1 << 20) {
        writeAllSync(fd, buf, path);
        buf = '';
      }
    }
    writeAllSync(fd, buf, path);
    return rows;
  });
}

/** Writes `train.csv` and `test.csv` into `dir`, the layout the builders accept as `source`. */
export function writePuzzleCsvSplits(
  dir: string,
  train: Iterable<GeneratedPuzzle>,
  test: Iterable<GeneratedPuzzle>,
): { train: string; test: string } {
  const paths = { train: join(dir, 'train.csv'), test: join(dir, 'test.csv') };
  writePuzzleCsv(paths.train, train);
  writePuzzleCsv(paths.test, test);
  return paths;
}
