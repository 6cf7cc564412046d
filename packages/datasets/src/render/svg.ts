import { sudokuGeometry } from '../augment/sudoku.js';
import type { ArcGrid } from '../format/arc-json.js';

/** Options of the SVG renderers. */
export interface SvgRenderOptions {
  /** Pixel size of one cell. Default 24 (Sudoku), 12 (Maze), 16 (ARC). */
  cellSize?: number;
  /** For Sudoku/Maze: the reference to compare with; differing cells are drawn in red. */
  compareTo?: ArrayLike<number>;
  /** For Sudoku: the puzzle, so given digits are drawn bold and filled-in ones in blue. */
  givens?: ArrayLike<number>;
  /** Optional title element (accessible name). */
  title?: string;
}

/** The usual ARC palette, colour 0..9. */
export const ARC_PALETTE = [
  '#000000',
  '#0074D9',
  '#FF4136',
  '#2ECC40',
  '#FFDC00',
  '#AAAAAA',
  '#F012BE',
  '#FF851B',
  '#7FDBFF',
  '#870C25',
];

function svg(width: number, height: number, body: string[], title: string | undefined): string {
  const t = title ? `<title>${escapeXml(title)}</title>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${t}${body.join('')}</svg>`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A Sudoku (dataset tokens: 0 pad, 1 blank, d + 1) as an SVG grid with thick box borders. */
export function renderSudokuSvg(tokens: ArrayLike<number>, options: SvgRenderOptions = {}): string {
  const n = Math.round(Math.sqrt(tokens.length));
  const { boxRows, boxCols } = sudokuGeometry(n);
  const s = options.cellSize ?? 24;
  const size = n * s;
  const body: string[] = [`<rect width="${size}" height="${size}" fill="#fff"/>`];
  for (let k = 0; k < n * n; k++) {
    const t = tokens[k]!;
    if (t <= 1) continue;
    const r = Math.floor(k / n);
    const c = k % n;
    const wrong = options.compareTo !== undefined && options.compareTo[k] !== t;
    const given = options.givens !== undefined && options.givens[k]! > 1;
    const fill = wrong ? '#d00' : given || !options.givens ? '#000' : '#1a5fb4';
    body.push(
      `<text x="${c * s + s / 2}" y="${r * s + s * 0.72}" font-family="monospace" font-size="${Math.round(s * 0.6)}" text-anchor="middle" fill="${fill}"${given ? ' font-weight="bold"' : ''}>${t - 1}</text>`,
    );
  }
  for (let i = 0; i <= n; i++) {
    const hw = i % boxRows === 0 ? 2 : 0.5;
    const vw = i % boxCols === 0 ? 2 : 0.5;
    body.push(
      `<line x1="0" y1="${i * s}" x2="${size}" y2="${i * s}" stroke="#000" stroke-width="${hw}"/>`,
    );
    body.push(
      `<line x1="${i * s}" y1="0" x2="${i * s}" y2="${size}" stroke="#000" stroke-width="${vw}"/>`,
    );
  }
  return svg(size, size, body, options.title);
}

const MAZE_FILL = ['#fff', '#222', '#fff', '#2ecc40', '#ff4136', '#0074d9'];

/** A maze (tokens 1..5 for `#`, space, `S`, `G`, `o`) as an SVG; the path is drawn in blue. */
export function renderMazeSvg(tokens: ArrayLike<number>, options: SvgRenderOptions = {}): string {
  const n = Math.round(Math.sqrt(tokens.length));
  const s = options.cellSize ?? 12;
  const body: string[] = [`<rect width="${n * s}" height="${n * s}" fill="#fff"/>`];
  for (let k = 0; k < n * n; k++) {
    const t = tokens[k]!;
    const wrong = options.compareTo !== undefined && options.compareTo[k] !== t;
    if (t === 2 && !wrong) continue;
    const fill = wrong ? '#d00' : (MAZE_FILL[t] ?? '#f0f');
    body.push(
      `<rect x="${(k % n) * s}" y="${Math.floor(k / n) * s}" width="${s}" height="${s}" fill="${fill}"/>`,
    );
  }
  return svg(n * s, n * s, body, options.title);
}

/** An ARC grid as an SVG of coloured cells with thin grid lines. */
export function renderArcSvg(grid: ArcGrid, options: SvgRenderOptions = {}): string {
  const s = options.cellSize ?? 16;
  const h = grid.length;
  const w = grid[0]?.length ?? 0;
  const body: string[] = [];
  grid.forEach((row, r) => {
    row.forEach((c, j) => {
      body.push(
        `<rect x="${j * s}" y="${r * s}" width="${s}" height="${s}" fill="${ARC_PALETTE[c] ?? '#fff'}" stroke="#555" stroke-width="0.5"/>`,
      );
    });
  });
  return svg(w * s, h * s, body, options.title);
}
