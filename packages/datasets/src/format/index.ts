export {
  ARC_MAX_GRID_SIZE,
  type ArcGrid,
  type ArcPair,
  type ArcPuzzle,
  type ArcPuzzleSet,
  arcGridProblem,
  readArcChallenges,
  readArcPuzzles,
  readTestPuzzles,
  UNSOLVED_TEST_OUTPUT,
  writeTestPuzzles,
} from './arc-json.js';
export { describeFsError } from './fs-errors.js';
export { BLANK_IDENTIFIER, readIdentifiers, writeIdentifiers } from './identifiers.js';
export {
  type DatasetMetadata,
  MAX_SEQ_LEN,
  MAX_VOCAB_SIZE,
  readMetadata,
  writeMetadata,
} from './metadata.js';
export {
  buildIntoDirectory,
  type OutputKind,
  type OutputOptions,
  replaceProblem,
} from './output.js';
export { checkCreatable } from './paths.js';
export { StagedDirectory } from './staged.js';
export { removeStaleTemporaries } from './temporaries.js';
export {
  assertValidDataset,
  SET_FIELDS,
  type ValidationReport,
  validateDataset,
} from './validate.js';
export { writeAllSync, writeFileAtomic } from './write-all.js';
export { type SplitInfo, type SplitSummary, SplitWriter } from './writer.js';
