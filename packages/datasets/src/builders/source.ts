import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from '../errors.js';
import { downloadHubFile, type HubOptions, isHubRepoId } from '../hub/download.js';

/**
 * Where a builder reads its CSVs: a directory holding `train.csv` and `test.csv`, explicit
 * paths per split, or a Hugging Face dataset id such as `sapientinc/sudoku-extreme`.
 */
export type CsvSource = string | { train: string; test: string };

/** Resolves a source to local CSV paths, downloading from the hub when given a dataset id. */
export async function resolveCsvSource(
  source: CsvSource,
  hub: HubOptions | undefined,
): Promise<{ train: string; test: string }> {
  if (typeof source !== 'string') {
    for (const p of [source.train, source.test]) {
      if (!existsSync(p)) throw new DatasetError(`${p}: CSV file not found`, { file: p });
    }
    return { train: source.train, test: source.test };
  }
  if (existsSync(source) && statSync(source).isDirectory()) {
    const train = join(source, 'train.csv');
    const test = join(source, 'test.csv');
    for (const p of [train, test]) {
      if (!existsSync(p)) throw new DatasetError(`${p}: CSV file not found`, { file: p });
    }
    return { train, test };
  }
  if (isHubRepoId(source)) {
    const train = await downloadHubFile(source, 'train.csv', hub);
    const test = await downloadHubFile(source, 'test.csv', hub);
    return { train, test };
  }
  throw new DatasetError(
    `${source}: neither a local directory (with train.csv and test.csv) nor a hub dataset id (owner/name)`,
    { file: source },
  );
}
