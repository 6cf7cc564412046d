export {
  ARC_MAX_GRID_SIZE,
  type ArcGrid,
  type ArcPair,
  type ArcPuzzle,
  type ArcPuzzleSet,
  arcGridProblem,
  readArcPuzzles,
  readTestPuzzles,
  writeTestPuzzles,
} from './arc-json.js';
export { buildIntoDirectory, type OutputOptions } from './fs.js';
export { BLANK_IDENTIFIER, readIdentifiers, writeIdentifiers } from './identifiers.js';
export { type DatasetMetadata, readMetadata, writeMetadata } from './metadata.js';
export {
  assertValidDataset,
  SET_FIELDS,
  type ValidationReport,
  validateDataset,
} from './validate.js';
export { type SplitInfo, type SplitSummary, SplitWriter } from './writer.js';
