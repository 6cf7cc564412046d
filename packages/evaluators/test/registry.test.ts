import { describe, expect, it } from 'vitest';
import {
  ArcEvaluator,
  createEvaluator,
  createEvaluators,
  type Evaluator,
  evaluatorDatasetFiles,
  knownEvaluators,
  MazeEvaluator,
  registerEvaluator,
  resolveEvaluatorName,
  SudokuEvaluator,
} from '../src/index.js';

const arcContext = {
  metadata: { seq_len: 900, blank_identifier_id: 0 },
  identifiers: ['<blank>', 'p'],
  testPuzzles: { p: { train: [], test: [{ input: [[1]], output: [[2]] }] } },
};

describe('evaluator registry', () => {
  it('knows the built-in evaluators', () => {
    expect(knownEvaluators()).toEqual(expect.arrayContaining(['arc', 'maze', 'sudoku']));
  });

  it("resolves plain names and the reference's module@Class form, case-insensitively", () => {
    for (const name of ['arc', 'ARC', 'arc@ARC', 'arc@arc', 'Arc@Arc', ' arc@ARC ']) {
      expect(resolveEvaluatorName(name)).toBe('arc');
    }
    expect(resolveEvaluatorName('sudoku@Sudoku')).toBe('sudoku');
    expect(resolveEvaluatorName('maze@MAZE')).toBe('maze');
  });

  it('creates evaluators from config entries, passing the other keys as options', () => {
    const evs = createEvaluators(
      [{ name: 'arc' }, { name: 'arc@ARC', submission_K: 3, pass_Ks: [1] }],
      arcContext,
    );
    expect(evs.map((e) => e.name)).toEqual(['arc', 'arc']);
    expect(evs[0]).toBeInstanceOf(ArcEvaluator);
    expect((evs[1] as ArcEvaluator).submissionK).toBe(3);
    expect(evs[1]!.result()).toEqual({
      'ARC/pass@1': 0,
      'ARC/example_N': 1,
      'ARC/example_pass@1': 0,
    });
    const sm = createEvaluators(['sudoku', 'maze'], {
      metadata: { seq_len: 81, blank_identifier_id: 0 },
    });
    expect(sm[0]).toBeInstanceOf(SudokuEvaluator);
    expect(sm[1]).toBeInstanceOf(MazeEvaluator);
  });

  it('names the known evaluators when a name is unknown', () => {
    expect(() => createEvaluator('nope', arcContext)).toThrow(
      /unknown evaluator 'nope'; known evaluators: 'arc' \(or 'arc@ARC'\), 'maze' \(or 'maze@Maze'\)/,
    );
    expect(() => createEvaluator('arc@Sudoku', arcContext)).toThrow(
      /provides class 'ARC', not 'Sudoku'/,
    );
    expect(() => createEvaluators([{} as never], arcContext)).toThrow(/need a 'name'/);
  });

  it('registers new evaluators and refuses duplicates', () => {
    const factory = (): Evaluator => ({
      name: 'count',
      requiredOutputs: [],
      begin() {},
      update() {},
      result: () => ({ 'count/x': 1 }),
    });
    registerEvaluator('count', factory, { className: 'Counter' });
    expect(createEvaluator('count@counter', arcContext).result()).toEqual({ 'count/x': 1 });
    expect(() => registerEvaluator('count', factory)).toThrow(/already registered/);
    registerEvaluator('count', factory, { replace: true });
    expect(resolveEvaluatorName('count@count')).toBe('count');
    expect(() => registerEvaluator('a@b', factory)).toThrow(/no '@'/);
    registerEvaluator('count', factory, { replace: true, datasetFiles: ['counts.json'] });
    expect(evaluatorDatasetFiles('count')).toEqual(['counts.json']);
  });

  it('names the dataset files that only ARC datasets have', () => {
    expect(evaluatorDatasetFiles('arc@ARC')).toEqual(['test_puzzles.json']);
    expect(evaluatorDatasetFiles('sudoku')).toEqual([]);
    expect(evaluatorDatasetFiles('maze@Maze')).toEqual([]);
    expect(() => evaluatorDatasetFiles('chess')).toThrow(/unknown evaluator 'chess'/);
  });
});
