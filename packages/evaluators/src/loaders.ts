import { join } from 'node:path';
import { readIdentifiers, readTestPuzzles } from '@trm/datasets';
import type { EvaluatorContext, TestPuzzles } from './interface.js';

/** Reads `<datasetDir>/identifiers.json` (§10): puzzle names by identifier, entry 0 `<blank>`. */
export function loadIdentifiers(datasetDir: string): string[] {
  return readIdentifiers(join(datasetDir, 'identifiers.json'));
}

/** Reads `<datasetDir>/test_puzzles.json` (§10): ARC test puzzles with their solutions. */
export function loadTestPuzzles(datasetDir: string): TestPuzzles {
  return readTestPuzzles(join(datasetDir, 'test_puzzles.json'));
}

/** The context's identifiers, read from `datasetDir` when not given. */
export function contextIdentifiers(context: EvaluatorContext, who: string): readonly string[] {
  if (context.identifiers) return context.identifiers;
  if (context.datasetDir === undefined) {
    throw new Error(`${who}: needs either context.identifiers or context.datasetDir`);
  }
  return loadIdentifiers(context.datasetDir);
}

/** The context's ARC test puzzles, read from `datasetDir` when not given. */
export function contextTestPuzzles(context: EvaluatorContext, who: string): TestPuzzles {
  if (context.testPuzzles) return context.testPuzzles;
  if (context.datasetDir === undefined) {
    throw new Error(`${who}: needs either context.testPuzzles or context.datasetDir`);
  }
  return loadTestPuzzles(context.datasetDir);
}
