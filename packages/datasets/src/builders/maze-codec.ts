/**
 * The token encoding of Maze datasets, apart from the builder's file handling so that it also
 * runs in a browser (the docs' live demo encodes the maze a reader draws with it).
 */
import { MAX_SEQ_LEN } from '../format/limits.js';
import type { GridCsvCodec } from './grid-csv.js';

/** Maze characters in token order: `#` wall 1, space 2, `S` start 3, `G` goal 4, `o` path 5. */
export const MAZE_CHARSET = '# SGo';

const TOKEN_OF = new Int16Array(256).fill(-1);
for (let i = 0; i < MAZE_CHARSET.length; i++) TOKEN_OF[MAZE_CHARSET.charCodeAt(i)] = i + 1;
const START = TOKEN_OF['S'.charCodeAt(0)]!;
const GOAL = TOKEN_OF['G'.charCodeAt(0)]!;

/** Why a maze's tokens have not exactly one start and one goal, or undefined. */
function startGoalProblem(tokens: ArrayLike<number>): string | undefined {
  // One start and one goal: the model learns the path between them.
  for (const [token, name] of [
    [START, 'start S'],
    [GOAL, 'goal G'],
  ] as const) {
    let count = 0;
    for (let k = 0; k < tokens.length; k++) if (tokens[k] === token) count++;
    if (count !== 1)
      return `question has ${count === 0 ? 'no' : count} ${name}${count > 1 ? 's' : ''}; a maze has exactly one`;
  }
  return undefined;
}

/** CSV codec for mazes: square grids of {@link MAZE_CHARSET}. */
export const mazeCodec: GridCsvCodec = {
  kind: 'Maze',
  cellsFor(len) {
    const n = Math.round(Math.sqrt(len));
    if (n * n !== len || n === 0) return `question has ${len} characters, not a square number`;
    return len <= MAX_SEQ_LEN
      ? len
      : `question has ${len} characters, more than the ${MAX_SEQ_LEN} a dataset row may hold`;
  },
  questionToken: (code) => (code < 256 ? TOKEN_OF[code]! : -1),
  answerToken: (code) => (code < 256 ? TOKEN_OF[code]! : -1),
  checkRow: (question) => startGoalProblem(question),
};

/**
 * A maze written as text, one character of {@link MAZE_CHARSET} per cell row by row, in the
 * dataset's tokens: what the builder writes to `inputs` (`field` `'question'`) or `labels`
 * (`'answer'`, where `o` marks the path).
 *
 * @throws RangeError when the text is not a square grid, holds a character outside the
 *   charset (naming its position), or has not exactly one start `S` and one goal `G`.
 */
export function encodeMaze(text: string, field: 'question' | 'answer' = 'question'): Uint8Array {
  const cells = mazeCodec.cellsFor(text.length);
  if (typeof cells === 'string') throw new RangeError(`Maze ${field}: ${cells}`);
  const tokens = new Uint8Array(cells);
  for (let k = 0; k < cells; k++) {
    const t = mazeCodec.questionToken(text.charCodeAt(k), cells);
    if (t < 0)
      throw new RangeError(
        `Maze ${field}: invalid character ${JSON.stringify(text[k])} at position ${k}; a maze cell is one of ${JSON.stringify(MAZE_CHARSET)}`,
      );
    tokens[k] = t;
  }
  const problem = startGoalProblem(tokens);
  if (problem) throw new RangeError(`Maze ${field}: ${problem}`);
  return tokens;
}

/** The character of a maze token (`#`, space, `S`, `G`, `o`; `?` for any other token). */
export function mazeChar(token: number): string {
  return MAZE_CHARSET[token - 1] ?? '?';
}

/** The text of a maze from its tokens, one {@link mazeChar} per token. */
export function mazeText(tokens: ArrayLike<number>): string {
  let out = '';
  for (let k = 0; k < tokens.length; k++) out += mazeChar(tokens[k]!);
  return out;
}
