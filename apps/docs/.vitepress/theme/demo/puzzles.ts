/**
 * The demo's example puzzles: the first test puzzles of the default run's data (`pnpm trm
 * generate sudoku --size 4 --count 1000 --test-count 200 --seed 0`), which the model never saw
 * in training. Written like the dataset's CSV: row by row, `.` for a blank.
 */
export const EXAMPLES: readonly { name: string; question: string }[] = [
  { name: 'Test puzzle 1', question: '.3..1.3...12....' },
  { name: 'Test puzzle 2', question: '......1.2...1..3' },
  { name: 'Test puzzle 3', question: '...23....1....4.' },
];

/** Side length of the grid. */
export const SIZE = 4;

/** Digits of a puzzle (0 for a blank) from its text. */
export function digitsOf(question: string): number[] {
  return Array.from(question, (c) => (c >= '1' && c <= '4' ? Number(c) : 0));
}

/** The text of a puzzle from its digits. */
export function textOf(digits: readonly number[]): string {
  return digits.map((d) => (d === 0 ? '.' : String(d))).join('');
}

/** The cells that break a rule among the given digits (a digit twice in a row, column or box). */
export function clashes(digits: readonly number[]): Set<number> {
  const out = new Set<number>();
  const box = (k: number) => Math.floor(k / 8) * 2 + Math.floor((k % 4) / 2);
  for (let a = 0; a < digits.length; a++) {
    for (let b = a + 1; b < digits.length; b++) {
      if (digits[a] === 0 || digits[a] !== digits[b]) continue;
      const sameRow = Math.floor(a / SIZE) === Math.floor(b / SIZE);
      const sameCol = a % SIZE === b % SIZE;
      if (sameRow || sameCol || box(a) === box(b)) {
        out.add(a);
        out.add(b);
      }
    }
  }
  return out;
}
