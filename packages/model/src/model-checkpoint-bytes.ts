import type { StateEntry } from '@trm/nn';
import { resourceError } from './checkpoint/errors.js';
import { sniffCheckpointFormat } from './checkpoint/format.js';
import { weightValues } from './checkpoint/model-weights.js';
import {
  type Checkpoint,
  CheckpointFormatError,
  type HostTensor,
  normalizeStateDict,
  PUZZLE_EMB_KEY,
  type ReadOptions,
  resizePuzzleEmbedding,
} from './checkpoint/portable.js';
import { readSafetensorsSource } from './checkpoint/safetensors.js';
import { memorySource } from './checkpoint/source.js';
import { checkReadOptions } from './checkpoint/types.js';
import type { TrmConfig } from './config.js';
import type { TinyRecursiveModel } from './model/act.js';

/** What our own checkpoints carry besides the weights (safetensors `__metadata__`). */
export interface CheckpointMeta {
  /** The model's architecture config; `.pt` files from the reference have none. */
  config?: TrmConfig;
  /** Free-form training metadata (step, epoch, run name, …), JSON-serialisable. */
  training?: Record<string, unknown>;
}

/** A checkpoint read for loading into a model: normalised weights and our metadata. */
export interface LoadedModelCheckpoint {
  format: 'safetensors' | 'torch';
  /** Weights by state-dict key (prefixes stripped, half precision converted to f32). */
  weights: Map<string, StateEntry>;
  /** Tensors that are not model weights (optimiser state, EMA shadow of our checkpoints). */
  extra: Map<string, HostTensor>;
  config?: TrmConfig;
  training?: Record<string, unknown>;
}

const WEIGHT_PREFIX = 'model.';

/** Options of {@link readModelCheckpoint}. */
export interface ReadModelOptions
  extends Pick<ReadOptions, 'maxBytes' | 'maxHeaderBytes' | 'maxTensorBytes' | 'verifyCrc'> {
  /**
   * Most bytes the checkpoint's tensors may occupy once read, checked before anything is
   * decompressed or allocated. Default 2 GiB; pass {@link checkpointBudget} of the model being
   * loaded so that a file that cannot be a checkpoint of it is refused cheaply.
   */
  maxTensorBytes?: number;
  /**
   * Largest safetensors JSON header or torch `data.pkl`, in bytes. Default 4 MiB: a model
   * checkpoint's header takes a few kilobytes, and parsing a hostile header of tiny entries
   * takes about 40 times its size in memory.
   */
  maxHeaderBytes?: number;
  /** Accept weights holding NaN or ±Infinity (default: refused, naming the tensor). */
  allowNonFinite?: boolean;
}

/** Header limit of model checkpoints (see {@link ReadModelOptions.maxHeaderBytes}). */
export const MODEL_MAX_HEADER_BYTES = 4 * 1024 * 1024;

/**
 * A `maxTensorBytes` budget for reading a checkpoint of `model`: four times its state dict in
 * f32 (room for a file that holds two copies, such as raw and EMA weights, each read beside
 * its half-precision storage), plus 16 MiB for small extras. A file that needs more cannot be
 * a checkpoint of that model, save one whose puzzle-embedding table (from another dataset) is
 * much larger than the model's.
 *
 * @param model - the model the checkpoint is for, or the number of elements of its state
 *   dict. Pass the model: `parameterCount()` leaves out buffers such as the puzzle-embedding
 *   table, which can be most of a checkpoint.
 * @throws RangeError when a count is not a non-negative integer.
 */
export function checkpointBudget(
  model: { stateDict(): ReadonlyMap<string, { readonly size: number }> } | number,
): number {
  let elements = 0;
  if (typeof model === 'number') elements = model;
  else for (const t of model.stateDict().values()) elements += t.size;
  if (!Number.isSafeInteger(elements) || elements < 0) {
    throw new RangeError(
      `checkpointBudget: the element count must be a non-negative integer, got ${elements}`,
    );
  }
  return 4 * 4 * elements + 16 * 1024 * 1024;
}

/** The read options of a model checkpoint: the model's header limit unless given. */
export function modelReadOptions(
  limits: Pick<ReadOptions, 'maxBytes' | 'maxHeaderBytes' | 'maxTensorBytes' | 'verifyCrc'>,
): ReadOptions {
  return { maxHeaderBytes: MODEL_MAX_HEADER_BYTES, ...definedOnly(limits) };
}

/**
 * A model checkpoint held in memory, such as one a web page fetched: the same result as
 * `readModelCheckpoint` gives for the file, read from the bytes with no file access, in a
 * browser as in Node. Safetensors only: a `torch.save` file needs zlib, so it is read from
 * its path in Node.
 *
 * @param options.name - the name errors give the checkpoint (default `<memory>`), e.g. its URL.
 * @throws CheckpointError naming `name`, for the same faults as `readModelCheckpoint`, and for
 *   bytes that are not a safetensors file.
 */
export async function readModelCheckpointBytes(
  bytes: Uint8Array,
  options: ReadModelOptions & { name?: string } = {},
): Promise<LoadedModelCheckpoint> {
  const { allowNonFinite = false, name = '<memory>', ...limits } = options;
  const read = modelReadOptions(limits);
  checkReadOptions(read);
  const src = memorySource(bytes, name);
  const format = sniffCheckpointFormat(await src.read(0, Math.min(9, src.size)));
  if (format !== 'safetensors') {
    throw new CheckpointFormatError(
      name,
      format === 'unknown'
        ? 'is not a safetensors file (unrecognised first bytes, or truncated)'
        : 'is a torch.save file: from memory only safetensors checkpoints are read; read this one from its path with readModelCheckpoint (Node)',
    );
  }
  let ckpt: Checkpoint;
  try {
    ckpt = { format, ...(await readSafetensorsSource(src, read)) };
  } catch (err) {
    throw resourceError(name, err);
  }
  return modelCheckpointOf(name, ckpt, allowNonFinite);
}

/**
 * The model's view of a checkpoint read from `file`: our metadata parsed, prefixes stripped,
 * `model.` weights as f32 (checked finite unless allowed), every other tensor as `extra`.
 */
export function modelCheckpointOf(
  file: string,
  ckpt: Checkpoint,
  allowNonFinite: boolean,
): LoadedModelCheckpoint {
  // Metadata first: a file whose header is broken is reported as such, not by its tensors.
  const parse = (key: string) => parseMetadataJson(file, ckpt.metadata, key);
  const config = parse('config') as TrmConfig | undefined;
  const training = parse('training');
  const weights = new Map<string, StateEntry>();
  const extra = new Map<string, HostTensor>();
  try {
    for (const [name, t] of normalizeStateDict(ckpt.tensors, file)) {
      if (!name.startsWith(WEIGHT_PREFIX)) extra.set(name, t);
      else weights.set(name, { shape: t.shape, data: weightValues(file, name, t, allowNonFinite) });
    }
  } catch (err) {
    throw resourceError(file, err);
  }
  return {
    format: ckpt.format,
    weights,
    extra,
    ...(config ? { config } : {}),
    ...(training ? { training } : {}),
  };
}

/** `options` without its undefined entries, so they do not override defaults when spread. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}

/** One JSON object of a checkpoint's string metadata (undefined when absent). */
export function parseMetadataJson(
  path: string,
  metadata: Record<string, string>,
  key: string,
): Record<string, unknown> | undefined {
  const text = metadata[key];
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CheckpointFormatError(
      path,
      `the "${key}" metadata is not valid JSON (${(err as Error).message})`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CheckpointFormatError(path, `the "${key}" metadata is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * Loads checkpoint weights into a model. The puzzle-embedding table follows the reference's
 * rule: if its shape differs from the model's (another dataset) but its rows have the model's
 * width, it becomes the mean row broadcast to the model's shape. Every other mismatch, that
 * table included, is a `StateDictError` naming the keys.
 */
export function loadWeightsInto(
  model: TinyRecursiveModel,
  weights: ReadonlyMap<string, StateEntry>,
): void {
  const own = model.stateDict().get(PUZZLE_EMB_KEY);
  const table = weights.get(PUZZLE_EMB_KEY);
  let entries = weights;
  if (own && table && table.data instanceof Float32Array && hasMeanRow(table, own.shape)) {
    const asHost = new Map<string, HostTensor>([
      [PUZZLE_EMB_KEY, { dtype: 'F32', shape: [...table.shape], data: table.data }],
    ]);
    const resized = resizePuzzleEmbedding(asHost, [...own.shape]).get(PUZZLE_EMB_KEY)!;
    entries = new Map([
      ...weights,
      [PUZZLE_EMB_KEY, { shape: resized.shape, data: resized.data as Float32Array }],
    ]);
  }
  model.loadStateDict(entries);
}

/** Whether `table` is a non-empty 2-D table whose mean row broadcasts to `shape`. */
function hasMeanRow(table: StateEntry, shape: readonly number[]): boolean {
  return (
    table.shape.length === 2 &&
    shape.length === 2 &&
    table.shape[0]! > 0 &&
    table.shape[1] === shape[1]
  );
}
