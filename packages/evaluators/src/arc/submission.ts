import type { Grid, TestPuzzles } from '../interface.js';

/** Attempts for one test input: `{ attempt_1: grid, attempt_2: grid }` (Kaggle ARC Prize). */
export type SubmissionAttempts = Record<string, Grid>;

/**
 * A Kaggle ARC Prize submission: per puzzle, one attempts object per test input, in the
 * order of the puzzle's `test` list.
 */
export type ArcSubmission = Record<string, SubmissionAttempts[]>;

/** Placeholder grid submitted when a test input has no (usable) prediction. */
export const EMPTY_ATTEMPT: Grid = [[0]];

function gridProblem(grid: unknown): string | undefined {
  if (!Array.isArray(grid) || grid.length === 0) return 'is not a non-empty list of rows';
  if (grid.length > 30) return `has ${grid.length} rows (max 30)`;
  const first = grid[0];
  if (!Array.isArray(first) || first.length === 0) return 'has an empty or non-list first row';
  if (first.length > 30) return `has ${first.length} columns (max 30)`;
  for (let r = 0; r < grid.length; r++) {
    const row: unknown = grid[r];
    if (!Array.isArray(row) || row.length !== first.length)
      return `row ${r} has a different length`;
    for (let c = 0; c < row.length; c++) {
      const x: unknown = row[c];
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 9) {
        return `cell (${r}, ${c}) is ${JSON.stringify(x)}, not a colour 0..9`;
      }
    }
  }
  return undefined;
}

/**
 * Checks a value against the Kaggle ARC Prize submission shape: an object keyed by puzzle
 * id whose values are lists with one `{ attempt_1, attempt_2 }` object per test input (exactly
 * `attempts` keys `attempt_1..attempt_<attempts>`), every grid a non-empty rectangular list of
 * rows of at most 30×30 integers 0..9. With `testPuzzles`, also checks that every puzzle is
 * present with one entry per test input and that no other puzzle is.
 *
 * @returns every problem found; empty when the submission is valid
 */
export function validateSubmission(
  submission: unknown,
  testPuzzles?: TestPuzzles,
  attempts = 2,
): string[] {
  if (typeof submission !== 'object' || submission === null || Array.isArray(submission)) {
    return ['submission must be a JSON object keyed by puzzle id'];
  }
  const problems: string[] = [];
  const entries = submission as Record<string, unknown>;
  const wanted = Array.from({ length: attempts }, (_, i) => `attempt_${i + 1}`);
  for (const [id, value] of Object.entries(entries)) {
    if (!Array.isArray(value)) {
      problems.push(`${id}: must be a list of attempts objects`);
      continue;
    }
    if (testPuzzles) {
      const puzzle = testPuzzles[id];
      if (!puzzle) problems.push(`${id}: not a test puzzle`);
      else if (puzzle.test.length !== value.length) {
        problems.push(`${id}: ${value.length} entries for ${puzzle.test.length} test inputs`);
      }
    }
    value.forEach((entry: unknown, i: number) => {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        problems.push(`${id}[${i}]: must be an object { attempt_1, attempt_2 }`);
        return;
      }
      const keys = Object.keys(entry).sort();
      if (keys.length !== wanted.length || !wanted.every((k) => keys.includes(k))) {
        problems.push(
          `${id}[${i}]: keys are [${keys.join(', ')}], expected [${wanted.join(', ')}]`,
        );
      }
      for (const k of wanted) {
        const problem = gridProblem((entry as Record<string, unknown>)[k]);
        if (problem) problems.push(`${id}[${i}].${k} ${problem}`);
      }
    });
  }
  if (testPuzzles) {
    for (const id of Object.keys(testPuzzles)) {
      if (!(id in entries)) problems.push(`${id}: missing`);
    }
  }
  return problems;
}
