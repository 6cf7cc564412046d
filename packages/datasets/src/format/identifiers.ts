import { DatasetError } from '../errors.js';
import { MAX_JSON_BYTES, parseJsonText, readTextFile } from './read-text.js';
import { writeFileAtomic } from './write-all.js';

/** Longest puzzle name accepted in `identifiers.json`. */
const MAX_NAME_CHARS = 4096;

/** Name of identifier 0, the padding / "no puzzle" identifier. */
export const BLANK_IDENTIFIER = '<blank>';

/** Reads `identifiers.json`: a list of puzzle names indexed by identifier, entry 0 `<blank>`. */
export function readIdentifiers(path: string): string[] {
  const text = readTextFile(path, 'identifiers.json', MAX_JSON_BYTES.large);
  const value = parseJsonText(text, path, 'identifiers.json');
  const problems = identifiersProblems(value);
  if (problems.length > 0)
    throw new DatasetError(
      `${path}: ${problems.join('; ')}. Rebuild the dataset with trm build-dataset.`,
      { file: path },
    );
  return value as string[];
}

/** Every problem with a parsed `identifiers.json` value. */
export function identifiersProblems(value: unknown): string[] {
  if (!Array.isArray(value)) return ['identifiers.json must be a JSON list of strings'];
  const problems: string[] = [];
  const bad = value.findIndex((x) => typeof x !== 'string');
  if (bad >= 0) problems.push(`identifiers.json entry ${bad} is not a string`);
  // Names are puzzle ids with an augmentation suffix, a few dozen characters.
  const long = value.findIndex((x) => typeof x === 'string' && x.length > MAX_NAME_CHARS);
  if (long >= 0)
    problems.push(
      `identifiers.json entry ${long} is ${value[long].length.toLocaleString('en-US')} characters long, more than any puzzle name (at most ${MAX_NAME_CHARS})`,
    );
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
