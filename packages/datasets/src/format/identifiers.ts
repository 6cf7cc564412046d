import { readFileSync } from 'node:fs';
import { DatasetError } from '../errors.js';
import { writeFileAtomic } from './fs.js';

/** Name of identifier 0, the padding / "no puzzle" identifier. */
export const BLANK_IDENTIFIER = '<blank>';

/** Reads `identifiers.json`: a list of puzzle names indexed by identifier, entry 0 `<blank>`. */
export function readIdentifiers(path: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DatasetError(`${path}: cannot read identifiers.json: ${(e as Error).message}`, {
      file: path,
      cause: e,
    });
  }
  const problems = identifiersProblems(value);
  if (problems.length > 0)
    throw new DatasetError(`${path}: ${problems.join('; ')}`, { file: path });
  return value as string[];
}

/** Every problem with a parsed `identifiers.json` value. */
export function identifiersProblems(value: unknown): string[] {
  if (!Array.isArray(value)) return ['identifiers.json must be a JSON list of strings'];
  const problems: string[] = [];
  const bad = value.findIndex((x) => typeof x !== 'string');
  if (bad >= 0) problems.push(`identifiers.json entry ${bad} is not a string`);
  if (value[0] !== BLANK_IDENTIFIER)
    problems.push(`identifiers.json entry 0 must be '${BLANK_IDENTIFIER}'`);
  return problems;
}

/** Writes `identifiers.json`. */
export function writeIdentifiers(path: string, identifiers: readonly string[]): void {
  const problems = identifiersProblems(identifiers);
  if (problems.length > 0)
    throw new DatasetError(`${path}: ${problems.join('; ')}`, { file: path });
  writeFileAtomic(path, JSON.stringify(identifiers));
}
