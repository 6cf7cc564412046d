import { type DatasetMetadata, PuzzleDataset } from '@trm/datasets';
import { resolveTrmConfig, TinyRecursiveModel, type TrmConfig } from '@trm/model';
import { Device, Generator, NoAdapterError, setDefaultDevice } from '@trm/tensor';
import type { ArchConfig } from '../config/schema.js';
import { CliError, ConfigError } from '../errors.js';

/** Opens the WebGPU device; a missing adapter is a runtime failure with the fix in the message. */
export async function openDevice(adapter?: string): Promise<Device> {
  try {
    const device = await Device.open(adapter ? { adapter } : {});
    setDefaultDevice(device);
    return device;
  } catch (error) {
    if (error instanceof NoAdapterError) throw new CliError(error.message, { exitCode: 1 });
    throw error;
  }
}

/**
 * The model config: the arch section with the dataset-derived fields of spec §1
 * (`batch_size` is this device's share of the global batch).
 */
export function modelConfig(
  arch: ArchConfig,
  metadata: DatasetMetadata,
  batchSize: number,
): TrmConfig {
  const { name: _name, loss, ...rest } = arch;
  try {
    return resolveTrmConfig({
      ...(rest as Record<string, unknown>),
      loss_type: loss.loss_type,
      batch_size: batchSize,
      seq_len: metadata.seq_len,
      vocab_size: metadata.vocab_size,
      num_puzzle_identifiers: metadata.num_puzzle_identifiers,
    } as Parameters<typeof resolveTrmConfig>[0]);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** Builds the model, initialised from `seed` as the reference initialises it (spec §2). */
export function createModel(config: TrmConfig, seed: number): TinyRecursiveModel {
  return new TinyRecursiveModel(config, new Generator(seed));
}

/** The train and test loaders of spec §10 for one rank (each rank reads its slice). */
export function createLoaders(opts: {
  dataPaths: readonly string[];
  testPaths: readonly string[];
  globalBatchSize: number;
  seed: number;
  epochsPerIter: number;
  rank?: number;
  numReplicas?: number;
}): { train: PuzzleDataset | null; test: PuzzleDataset } {
  const shard = { rank: opts.rank ?? 0, numReplicas: opts.numReplicas ?? 1 };
  const train = new PuzzleDataset({
    datasetPaths: opts.dataPaths,
    split: 'train',
    globalBatchSize: opts.globalBatchSize,
    seed: opts.seed,
    epochsPerIter: opts.epochsPerIter,
    ...shard,
  });
  const test = new PuzzleDataset({
    datasetPaths: opts.testPaths.length > 0 ? opts.testPaths : opts.dataPaths,
    split: 'test',
    globalBatchSize: opts.globalBatchSize,
    seed: opts.seed,
    ...shard,
  });
  return { train, test };
}
