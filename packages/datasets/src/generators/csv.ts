import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { csvField, PUZZLE_CSV_HEADER } from '../csv/reader.js';
import { DatasetError } from '../errors.js';

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
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let rows = 0;
  let open = true;
  try {
    let buf = `${PUZZLE_CSV_HEADER}\n`;
    for (const p of puzzles) {
      buf += `${csvField(p.source)},${csvField(p.question)},${csvField(p.answer)},${p.rating}\n`;
      rows++;
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = '';
      }
    }
    writeSync(fd, buf);
    closeSync(fd);
    open = false;
    renameSync(tmp, path);
    return rows;
  } catch (e) {
    if (open) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new DatasetError(`${path}: cannot write CSV: ${(e as Error).message}`, {
      file: path,
      cause: e,
    });
  }
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
