import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { DatasetError, SourceDataError } from '../errors.js';
import { fsError } from '../format/fs-errors.js';

/**
 * Longest line accepted. A 30×30 maze row is under 2,000 characters; a file without line
 * breaks (a binary, a wrong file) must not be gathered into one string until memory runs out.
 */
const MAX_LINE_CHARS = 1 << 22;

/** The columns of the hub's Sudoku and Maze CSVs (and of this package's generators). */
export const PUZZLE_CSV_HEADER = 'source,question,answer,rating';

/** One parsed row of a puzzle CSV. */
export interface PuzzleCsvRow {
  source: string;
  question: string;
  answer: string;
  rating: number;
  /** 1-based line number in the file (the header is line 1). */
  line: number;
}

/**
 * Calls `onRow` for every data row of a `source,question,answer,rating` CSV, streaming the
 * file in fixed-size chunks so multi-gigabyte sources never sit in memory. Rows with the
 * wrong number of fields or a non-numeric rating throw a {@link SourceDataError} naming the
 * file and line.
 */
export function forEachPuzzleCsvRow(path: string, onRow: (row: PuzzleCsvRow) => void): void {
  let fd: number;
  try {
    // Checked before opening: opening a named pipe would wait for a writer forever.
    const info = statSync(path);
    if (!info.isFile())
      throw new DatasetError(
        `${path}: cannot open CSV: ${info.isDirectory() ? 'it is a directory, not a file' : 'it is not a regular file'}`,
        { file: path },
      );
    fd = openSync(path, 'r');
  } catch (e) {
    throw fsError('open CSV', path, e);
  }
  try {
    const buf = Buffer.alloc(1 << 20);
    let carry = '';
    let line = 0;
    let pos = 0;
    const handle = (text: string) => {
      line++;
      const t = text.endsWith('\r') ? text.slice(0, -1) : text;
      if (line === 1) {
        // The file is decoded as latin1, so a UTF-8 byte-order mark shows up as three characters.
        if (t.replace(/^(\uFEFF|\u00EF\u00BB\u00BF)/, '').trim() !== PUZZLE_CSV_HEADER) {
          throw new SourceDataError(
            `${path}:1: expected header '${PUZZLE_CSV_HEADER}', got '${t.slice(0, 80)}'`,
            {
              file: path,
              row: 1,
            },
          );
        }
        return;
      }
      if (t.length === 0) return;
      const f = splitCsvLine(t);
      if (f.length !== 4) {
        throw new SourceDataError(
          `${path}:${line}: expected 4 fields (${PUZZLE_CSV_HEADER}), found ${f.length}`,
          {
            file: path,
            row: line,
          },
        );
      }
      const rating = Number(f[3]);
      if (f[3]!.trim() === '' || !Number.isFinite(rating)) {
        throw new SourceDataError(`${path}:${line}: rating '${f[3]}' is not a number`, {
          file: path,
          row: line,
        });
      }
      onRow({ source: f[0]!, question: f[1]!, answer: f[2]!, rating, line });
    };
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, pos);
      } catch (e) {
        throw fsError('read CSV', path, e);
      }
      if (n === 0) break;
      pos += n;
      const text = carry + buf.toString('latin1', 0, n);
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        handle(text.slice(start, nl));
        start = nl + 1;
      }
      carry = text.slice(start);
      if (carry.length > MAX_LINE_CHARS)
        throw new SourceDataError(
          `${path}:${line + 1}: line is longer than ${MAX_LINE_CHARS.toLocaleString('en-US')} characters; this is not a puzzle CSV (${PUZZLE_CSV_HEADER})`,
          { file: path, row: line + 1 },
        );
    }
    if (carry.length > 0) handle(carry);
    if (line === 0)
      throw new SourceDataError(`${path}: empty CSV (no header)`, { file: path, row: 1 });
  } finally {
    closeSync(fd);
  }
}

/** Splits one CSV line, honouring double-quoted fields (puzzle fields never need them). */
function splitCsvLine(s: string): string[] {
  if (!s.includes('"')) return s.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Quotes a CSV field only when it needs it (spaces do not; the maze alphabet has them). */
export function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
