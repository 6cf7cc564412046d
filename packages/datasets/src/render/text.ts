import { sudokuGeometry } from '../augment/sudoku.js';
import { mazeChar } from '../builders/maze-codec.js';
import type { ArcGrid } from '../format/arc-json.js';

/** Options of the text renderers. */
export interface TextRenderOptions {
  /** Use ANSI colours (ARC colours, Sudoku/Maze prediction errors). Default false. */
  ansi?: boolean;
  /**
   * A reference (e.g. the label) to compare against: differing cells are shown in red with
   * `ansi`; either way a final line counts them.
   */
  compareTo?: ArrayLike<number>;
}

const RESET = '\x1b[0m';
const RED = '\x1b[31;1m';

/**
 * A Sudoku as text with box separators. `tokens` uses the dataset encoding (0 pad, 1 blank,
 * d + 1 for digit d); blanks print as `.`. The size is inferred from the length.
 */
export function renderSudokuText(
  tokens: ArrayLike<number>,
  options: TextRenderOptions = {},
): string {
  const n = Math.round(Math.sqrt(tokens.length));
  const { boxRows, boxCols } = sudokuGeometry(n);
  const lines: string[] = [];
  const sepParts: string[] = [];
  for (let b = 0; b < n / boxCols; b++) sepParts.push('-'.repeat(boxCols * 2 + 1));
  const sep = sepParts.join('+').slice(1, -1);
  for (let r = 0; r < n; r++) {
    if (r > 0 && r % boxRows === 0) lines.push(sep);
    let line = '';
    for (let c = 0; c < n; c++) {
      if (c > 0 && c % boxCols === 0) line += ' |';
      const t = tokens[r * n + c]!;
      const ch = t <= 1 ? '.' : String(t - 1);
      line += ` ${mark(ch, options, tokens, r * n + c)}`;
    }
    lines.push(line.slice(1));
  }
  return lines.join('\n') + footer(options, tokens);
}

/** A maze as text using its own characters (`#`, space, `S`, `G`, `o`). */
export function renderMazeText(tokens: ArrayLike<number>, options: TextRenderOptions = {}): string {
  const n = Math.round(Math.sqrt(tokens.length));
  const lines: string[] = [];
  for (let r = 0; r < n; r++) {
    let line = '';
    for (let c = 0; c < n; c++) {
      const t = tokens[r * n + c]!;
      line += mark(mazeChar(t), options, tokens, r * n + c);
    }
    lines.push(line);
  }
  return lines.join('\n') + footer(options, tokens);
}

/** ANSI 256-colour codes close to the usual ARC palette. */
const ARC_ANSI = [16, 27, 196, 40, 226, 245, 201, 208, 51, 88];

/** An ARC grid as text: digits, or coloured blocks with `ansi`. */
export function renderArcText(grid: ArcGrid, options: TextRenderOptions = {}): string {
  return grid
    .map((row) =>
      row
        .map((c) => (options.ansi ? `\x1b[48;5;${ARC_ANSI[c] ?? 0}m  ${RESET}` : String(c)))
        .join(options.ansi ? '' : ' '),
    )
    .join('\n');
}

function mark(
  ch: string,
  options: TextRenderOptions,
  tokens: ArrayLike<number>,
  k: number,
): string {
  const ref = options.compareTo;
  if (!ref || ref[k] === tokens[k] || !options.ansi) return ch;
  return `${RED}${ch}${RESET}`;
}

function footer(options: TextRenderOptions, tokens: ArrayLike<number>): string {
  const ref = options.compareTo;
  if (!ref) return '';
  let wrong = 0;
  for (let k = 0; k < tokens.length; k++) if (ref[k] !== tokens[k]) wrong++;
  return `\n${wrong === 0 ? 'matches the reference' : `${wrong} cell${wrong === 1 ? '' : 's'} differ from the reference`}`;
}
