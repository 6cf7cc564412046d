import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  arcGridFromCanvas,
  type DatasetMetadata,
  forEachPuzzleCsvRow,
  loadDatasetSplit,
  MAZE_CHARSET,
  renderArcSvg,
  renderArcText,
  renderMazeSvg,
  renderMazeText,
  renderSudokuSvg,
  renderSudokuText,
} from '@trm/datasets';
import type { CommandContext } from '../cli/types.js';
import { InputError, UsageError } from '../errors.js';
import { bool, int, resolvePath, str } from './common.js';

/** Puzzle family of a dataset. */
export type PuzzleKind = 'sudoku' | 'maze' | 'arc';

interface Example {
  title: string;
  input: ArrayLike<number>;
  label: ArrayLike<number> | undefined;
  prediction?: ArrayLike<number>;
}

/** Guesses the puzzle family from dataset metadata. */
export function detectKind(
  meta: Pick<DatasetMetadata, 'vocab_size' | 'seq_len'>,
): PuzzleKind | undefined {
  const side = Math.round(Math.sqrt(meta.seq_len));
  if (meta.vocab_size === 12 && meta.seq_len === 900) return 'arc';
  // Sudoku first: a 4x4 Sudoku has the maze's vocabulary of 6, but mazes are at least 5x5.
  if ([4, 6, 9].includes(side) && side * side === meta.seq_len && meta.vocab_size === side + 2)
    return 'sudoku';
  if (meta.vocab_size === MAZE_CHARSET.length + 1 && side * side === meta.seq_len) return 'maze';
  return undefined;
}

function toNumbers(data: ArrayLike<number | bigint>, start: number, len: number): number[] {
  const out = new Array<number>(len);
  for (let i = 0; i < len; i++) out[i] = Number(data[start + i]!);
  return out;
}

function loadDatasetExamples(
  ctx: CommandContext,
  dir: string,
  first: number,
  count: number,
): { kind: PuzzleKind; examples: Example[] } {
  const split = str(ctx, 'split')!;
  const set = str(ctx, 'set')!;
  const splitDir = join(dir, split);
  const metaPath = join(splitDir, 'dataset.json');
  if (!existsSync(metaPath)) {
    throw new InputError(
      `${dir} is not a dataset directory: ${metaPath} is missing. Build one with trm build-dataset.`,
      { file: metaPath },
    );
  }
  // Read through the checked loader: a corrupt dataset is named here, not drawn.
  const { metadata: meta, sets } = loadDatasetSplit(dir, split);
  const data = sets.get(set);
  if (!data) {
    throw new InputError(
      `${splitDir} has no set '${set}' (sets: ${meta.sets.join(', ')}). Pick one with --set.`,
      { file: splitDir },
    );
  }
  const kind = detectKind(meta);
  if (!kind) {
    throw new InputError(
      `${dir}: cannot tell the puzzle type from vocab_size ${meta.vocab_size} and seq_len ${meta.seq_len}.`,
      { file: metaPath },
    );
  }
  const n = data.numExamples;
  if (first >= n)
    throw new UsageError(`--index ${first} is out of range: ${split}/${set} has ${n} examples.`, {
      command: 'show',
    });
  const L = meta.seq_len;
  const examples: Example[] = [];
  for (let i = first; i < Math.min(n, first + count); i++) {
    examples.push({
      title: `${split}/${set} #${i}`,
      input: toNumbers(data.inputs, i * L, L),
      label: toNumbers(data.labels, i * L, L),
    });
  }
  return { kind, examples };
}

const SUDOKU_SIDES = new Set([4, 6, 9]);

function csvTokens(kind: PuzzleKind, text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    if (kind === 'maze') out.push(MAZE_CHARSET.indexOf(ch) + 1);
    else out.push(ch === '.' || ch === '0' ? 1 : Number(ch) + 1);
  }
  return out;
}

function loadCsvExamples(
  file: string,
  first: number,
  count: number,
): { kind: PuzzleKind; examples: Example[] } {
  const rows: { question: string; answer: string; line: number }[] = [];
  let index = 0;
  forEachPuzzleCsvRow(file, (row) => {
    if (index >= first && index < first + count) rows.push(row);
    index++;
  });
  if (rows.length === 0) {
    throw new UsageError(`--index ${first} is out of range: ${file} has ${index} puzzles.`, {
      command: 'show',
    });
  }
  const q = rows[0]!.question;
  const side = Math.round(Math.sqrt(q.length));
  let kind: PuzzleKind;
  if (/^[.0-9]+$/.test(q) && SUDOKU_SIDES.has(side) && side * side === q.length) kind = 'sudoku';
  else if ([...q].every((c) => MAZE_CHARSET.includes(c))) kind = 'maze';
  else throw new InputError(`${file}: the puzzles are neither Sudokus nor mazes.`, { file });
  return {
    kind,
    examples: rows.map((r, k) => ({
      title: `${file.split('/').pop()} #${first + k} (line ${r.line})`,
      input: csvTokens(kind, r.question),
      label: csvTokens(kind, r.answer),
    })),
  };
}

const ANSI_RE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function sideBySide(blocks: { title: string; text: string }[]): string {
  const split = blocks.map((b) => [b.title, ...b.text.split('\n')]);
  const widths = split.map((lines) => Math.max(...lines.map((l) => l.replace(ANSI_RE, '').length)));
  const height = Math.max(...split.map((l) => l.length));
  const out: string[] = [];
  for (let r = 0; r < height; r++) {
    out.push(
      split
        .map((lines, i) => {
          const l = lines[r] ?? '';
          return l + ' '.repeat(widths[i]! - l.replace(ANSI_RE, '').length);
        })
        .join('    ')
        .trimEnd(),
    );
  }
  return out.join('\n');
}

function renderText(
  kind: PuzzleKind,
  tokens: ArrayLike<number>,
  ansi: boolean,
  compareTo?: ArrayLike<number>,
): string {
  const opts = compareTo ? { ansi, compareTo } : { ansi };
  if (kind === 'sudoku') return renderSudokuText(tokens, opts);
  if (kind === 'maze') return renderMazeText(tokens, opts);
  return renderArcText(arcGridFromCanvas(tokens), { ansi });
}

function renderSvg(
  kind: PuzzleKind,
  tokens: ArrayLike<number>,
  title: string,
  extra: { givens?: ArrayLike<number>; compareTo?: ArrayLike<number> },
): string {
  if (kind === 'sudoku') return renderSudokuSvg(tokens, { title, ...extra });
  if (kind === 'maze')
    return renderMazeSvg(tokens, {
      title,
      ...(extra.compareTo ? { compareTo: extra.compareTo } : {}),
    });
  return renderArcSvg(arcGridFromCanvas(tokens), { title });
}

function svgSize(svg: string): [number, number] {
  const w = /width="([\d.]+)"/.exec(svg);
  const h = /height="([\d.]+)"/.exec(svg);
  return [Number(w?.[1] ?? 0), Number(h?.[1] ?? 0)];
}

/** Lays out SVG images in a grid of rows, with captions. */
export function composeSvg(rows: { caption: string; svg: string }[][]): string {
  const gap = 16;
  const captionH = 18;
  const body: string[] = [];
  let y = gap;
  let maxW = 0;
  for (const row of rows) {
    let x = gap;
    let rowH = 0;
    for (const cell of row) {
      const [w, h] = svgSize(cell.svg);
      body.push(
        `<text x="${x}" y="${y + 13}" font-family="sans-serif" font-size="12" fill="#333">${cell.caption.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`)}</text>`,
        `<g transform="translate(${x},${y + captionH})">${cell.svg}</g>`,
      );
      // A column is as wide as its picture or its caption (~7 px a character at 12 px).
      x += Math.max(w, 60, Math.ceil(cell.caption.length * 7)) + gap;
      rowH = Math.max(rowH, h + captionH);
    }
    maxW = Math.max(maxW, x);
    y += rowH + gap;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${maxW}" height="${y}" viewBox="0 0 ${maxW} ${y}"><rect width="100%" height="100%" fill="#fff"/>${body.join('')}</svg>\n`;
}

/** `trm show`. */
export async function showCommand(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const target = resolvePath(io, ctx.positionals[0]!);
  if (!existsSync(target))
    throw new InputError(`${ctx.positionals[0]} does not exist.`, { file: target });
  const first = int(ctx, 'index', 0)!;
  const count = int(ctx, 'count', 1)!;
  const isDir = statSync(target).isDirectory();
  const { kind, examples } = isDir
    ? loadDatasetExamples(ctx, target, first, count)
    : loadCsvExamples(target, first, count);

  const checkpoint = str(ctx, 'checkpoint');
  if (checkpoint !== undefined) {
    if (!isDir)
      throw new UsageError('--checkpoint needs a dataset directory, not a CSV.', {
        command: 'show',
      });
    const { predictExamples } = await import('./show-predictions.js');
    const preds = await predictExamples({
      checkpoint,
      datasetDir: target,
      split: str(ctx, 'split') as 'train' | 'test',
      set: str(ctx, 'set')!,
      indices: examples.map((_, k) => first + k),
      io,
      debug: ctx.debug,
    });
    examples.forEach((e, k) => {
      const p = preds[k];
      if (p) e.prediction = p;
    });
  }

  const labels = bool(ctx, 'labels');
  const svgPath = str(ctx, 'svg');
  if (svgPath !== undefined) {
    const rows = examples.map((e) => {
      const row = [
        { caption: `${e.title} input`, svg: renderSvg(kind, e.input, `${e.title} input`, {}) },
      ];
      if (labels && e.label)
        row.push({
          caption: 'label',
          svg: renderSvg(kind, e.label, `${e.title} label`, { givens: e.input }),
        });
      if (e.prediction) {
        row.push({
          caption: 'prediction',
          svg: renderSvg(kind, e.prediction, `${e.title} prediction`, {
            givens: e.input,
            ...(e.label ? { compareTo: e.label } : {}),
          }),
        });
      }
      return row;
    });
    const out = resolvePath(io, svgPath);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, composeSvg(rows));
    io.stdout.write(
      `Wrote ${out} (${examples.length} ${kind} example${examples.length === 1 ? '' : 's'})\n`,
    );
    return 0;
  }

  const colorFlag = ctx.flags.color;
  const ansi =
    colorFlag === undefined ? io.stdout.isTTY === true && !io.env.NO_COLOR : colorFlag === true;
  const parts: string[] = [];
  for (const e of examples) {
    const blocks = [{ title: `${e.title} input`, text: renderText(kind, e.input, ansi) }];
    if (labels && e.label) blocks.push({ title: 'label', text: renderText(kind, e.label, ansi) });
    if (e.prediction)
      blocks.push({ title: 'prediction', text: renderText(kind, e.prediction, ansi, e.label) });
    parts.push(sideBySide(blocks));
  }
  io.stdout.write(`${parts.join('\n\n')}\n`);
  return 0;
}
