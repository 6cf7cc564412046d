import { type DatasetMetadata, PuzzleDataset } from '@trm/datasets';
import {
  type ComputePrecision,
  type PrecisionChoice,
  precisionFor,
  puzzlePositions,
  resolveTrmConfig,
  TinyRecursiveModel,
  type TrmConfig,
} from '@trm/model';
import { swigluIntermediate } from '@trm/nn';
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
 * The model config: the arch section (its `name` selects the architecture) with the
 * dataset-derived fields (`batch_size` is this device's share of the global batch).
 */
export function modelConfig(
  arch: ArchConfig,
  metadata: DatasetMetadata,
  batchSize: number,
): TrmConfig {
  const { loss, ...rest } = arch;
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
    throw new ConfigError(archProblems(error));
  }
}

/** Config fields that come from the dataset or the batch, not from `arch.*`. */
const DERIVED = new Map([
  ['seq_len', "the dataset's seq_len"],
  ['vocab_size', "the dataset's vocab_size"],
  ['num_puzzle_identifiers', "the dataset's num_puzzle_identifiers"],
  ['batch_size', 'the per-device batch (global_batch_size / devices)'],
]);

/** The model's validation problems, with each key spelled as the user sets it (`arch.expansion`). */
export function archProblems(error: unknown): string {
  const problems = (error as { problems?: readonly string[] }).problems;
  if (!problems) return (error as Error).message;
  const named = problems.map((p) =>
    p.replace(/"(\w+)"/g, (_, k: string) => DERIVED.get(k) ?? `arch.${k}`),
  );
  return `Invalid architecture: ${named.join('; ')}.`;
}

/**
 * Refuses a model that cannot fit the device before anything is allocated: every weight and
 * the largest activations of one step must each fit one storage buffer. The message names the
 * config keys (and dataset fields) that make the tensor that large.
 */
export function checkModelFits(config: TrmConfig, device: Device): void {
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const h = config.hidden_size;
  const seq = config.seq_len + puzzlePositions(config);
  const inter = swigluIntermediate(config.mlp_t ? seq : h, config.expansion);
  const tensors: [string, number][] = [
    [
      `the token embedding (vocab_size ${config.vocab_size} × arch.hidden_size ${h})`,
      config.vocab_size * h,
    ],
    [
      `the puzzle embedding (num_puzzle_identifiers ${config.num_puzzle_identifiers} × arch.puzzle_emb_ndim ${config.puzzle_emb_ndim})`,
      config.num_puzzle_identifiers * config.puzzle_emb_ndim,
    ],
    [
      `an MLP weight (arch.expansion ${config.expansion}, arch.hidden_size ${h})`,
      2 * inter * (config.mlp_t ? seq : h),
    ],
    [
      `one step's activations (batch ${config.batch_size} × seq_len ${seq} × width ${Math.max(2 * inter, h, config.vocab_size)})`,
      config.batch_size * seq * Math.max(2 * inter, h, config.vocab_size),
    ],
  ];
  if (!config.mlp_t)
    tensors.push([
      `the attention scores (batch ${config.batch_size} × arch.num_heads ${config.num_heads} × seq_len ${seq}²)`,
      config.batch_size * config.num_heads * seq * seq,
    ]);
  for (const [what, elements] of tensors) {
    if (elements * 4 > limit)
      throw new ConfigError(
        `The model does not fit this device: ${what} needs ${((elements * 4) / 2 ** 20).toFixed(0)} MiB, over its largest buffer (${(limit / 2 ** 20).toFixed(0)} MiB). Lower those values (or global_batch_size).`,
      );
  }
}

/**
 * Builds the model of the architecture `config.name` selects, initialised from `seed` as the
 * reference initialises it, computing in `precision` (see {@link modelPrecision}).
 */
export function createModel(
  config: TrmConfig,
  seed: number,
  precision: ComputePrecision = 'f32',
): TinyRecursiveModel {
  return new TinyRecursiveModel(config, new Generator(seed), { precision });
}

/**
 * What `arch.forward_dtype` computes in on `device` (f16 where it has shader-f16, f32 else),
 * and the one line to tell the user when that is not what the name says.
 */
export function modelPrecision(config: TrmConfig, device: Device): PrecisionChoice {
  return precisionFor(config.forward_dtype, device.features);
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
