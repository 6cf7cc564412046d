export {
  type BatchItem,
  IGNORE_LABEL_ID,
  type PuzzleBatch,
  PuzzleDataset,
  type PuzzleDatasetOptions,
} from './dataset.js';
export { type LoadedSet, type LoadedSplit, loadDatasetSet, loadDatasetSplit } from './load-set.js';
export { mergedSetName, mergeMetadata, totalTrainSteps } from './metadata.js';
export { puzzleOfExample } from './puzzle-of.js';
