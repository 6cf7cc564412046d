import {
  ARCHITECTURES,
  type Architecture,
  type ArchKey,
  architectureByName,
  architectureChoices,
  DEFAULT_ARCH_NAME,
  HIER6_SLOTS,
} from './architectures.js';

/**
 * The model configuration (`arch/<group>` in the reference), with the reference's key names
 * and defaults. `name` selects the architecture (see {@link ARCHITECTURES}); one interface
 * serves them all, and {@link resolveTrmConfig} sets the keys a class does not declare to
 * what that class effectively uses. Dataset-derived fields (`batch_size`, `seq_len`,
 * `vocab_size`, `num_puzzle_identifiers`) have no defaults.
 */
export interface TrmConfig {
  /** The reference's `module@Class` of the architecture; default TRM's. */
  name: string;
  batch_size: number;
  seq_len: number;
  vocab_size: number;
  num_puzzle_identifiers: number;
  H_cycles: number;
  L_cycles: number;
  /** Blocks of the high-level stack (hrm, transformers_baseline); ignored by the TRM family. */
  H_layers: number;
  L_layers: number;
  hidden_size: number;
  num_heads: number;
  expansion: number;
  puzzle_emb_ndim: number;
  /** Puzzle-embedding positions; 0 means ceil(puzzle_emb_ndim / hidden_size). */
  puzzle_emb_len: number;
  pos_encodings: 'rope' | 'learned' | 'none';
  rms_norm_eps: number;
  rope_theta: number;
  halt_max_steps: number;
  halt_exploration_prob: number;
  /**
   * The precision of the forward (and so of its backward). `float16` runs the matmuls in f16
   * where the device allows it; `bfloat16`, which WGSL lacks, does the same. See
   * {@link precisionFor}, and pass its choice to the model as `precision`.
   */
  forward_dtype: 'float32' | 'bfloat16' | 'float16';
  mlp_t: boolean;
  /** Halt on `q_halt > 0` alone, without training the continue head. */
  no_ACT_continue: boolean;
  /** transformers_baseline: halt adaptively in training (otherwise every row runs all steps). */
  act_enabled: boolean;
  /** transformers_baseline: halt adaptively in evaluation. */
  act_inference: boolean;
  loss_type: 'stablemax_cross_entropy' | 'softmax_cross_entropy';
}

/** TRM's defaults (the reference's `arch/trm.yaml`) for every field that has one. */
export const TRM_DEFAULTS = {
  H_cycles: 3,
  L_cycles: 6,
  H_layers: 0,
  L_layers: 2,
  hidden_size: 512,
  num_heads: 8,
  expansion: 4,
  puzzle_emb_len: 16,
  pos_encodings: 'rope',
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  halt_max_steps: 16,
  halt_exploration_prob: 0.1,
  forward_dtype: 'bfloat16',
  mlp_t: false,
  no_ACT_continue: true,
  loss_type: 'stablemax_cross_entropy',
} as const satisfies Partial<TrmConfig>;

/**
 * A model configuration that failed validation in {@link resolveTrmConfig}; `problems` lists
 * every one found. (Named apart from `@trm/cli`'s `ConfigError`, a bad training config or
 * override. Called `ConfigError` before 0.1.)
 *
 * @group Errors
 */
export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid model configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Fields the dataset (and the batch) supply, declared by every architecture. */
const DATASET_KEYS = ['batch_size', 'seq_len', 'vocab_size', 'num_puzzle_identifiers'] as const;

const INT_KEYS = [
  ...DATASET_KEYS,
  'H_cycles',
  'L_cycles',
  'H_layers',
  'L_layers',
  'hidden_size',
  'num_heads',
  'expansion',
  'puzzle_emb_ndim',
  'puzzle_emb_len',
  'halt_max_steps',
] as const;
/** Defaults that no architecture's table row sets. */
const CLASS_DEFAULTS = { act_enabled: true, act_inference: false } as const;

const MIN_ONE = new Set([
  'batch_size',
  'seq_len',
  'vocab_size',
  'num_puzzle_identifiers',
  'H_cycles',
  'L_cycles',
  'L_layers',
  'hidden_size',
  'num_heads',
  'expansion',
  'halt_max_steps',
]);
const ENUMS: Record<string, readonly string[]> = {
  pos_encodings: ['rope', 'learned', 'none'],
  forward_dtype: ['float32', 'bfloat16', 'float16'],
  loss_type: ['stablemax_cross_entropy', 'softmax_cross_entropy'],
};

/**
 * Fills in the defaults of the architecture `name` selects and validates. `puzzle_emb_ndim`
 * defaults to `hidden_size`; unknown keys, an unknown `name`, wrong types and inconsistent
 * fields (e.g. `hidden_size` not divisible by `num_heads`) are all reported together in one
 * {@link ModelConfigError}.
 *
 * Keys that another architecture declares but this one does not are accepted and ignored, as
 * the reference ignores them (see {@link undeclaredKeys}); in the result they hold what the
 * class effectively uses: hrm and the transformer baseline have `ceil(puzzle_emb_ndim /
 * hidden_size)` puzzle positions and always compare `q_halt` with `q_continue`
 * (`no_ACT_continue: false`); only the baseline reads `act_enabled` / `act_inference`.
 */
export function resolveTrmConfig(input: Partial<TrmConfig> & Record<string, unknown>): TrmConfig {
  const known = new Set<string>([
    ...INT_KEYS,
    ...ARCHITECTURES.flatMap((a) => a.keys),
    ...Object.keys(TRM_DEFAULTS),
    'name',
    'loss',
  ]);
  const problems: string[] = [];
  for (const key of Object.keys(input)) if (!known.has(key)) problems.push(`unknown key "${key}"`);
  const name = input.name ?? DEFAULT_ARCH_NAME;
  const found = typeof name === 'string' ? architectureByName(name) : undefined;
  if (!found) {
    problems.push(
      `"name" ${JSON.stringify(name)} is not an architecture; choose one of ${architectureChoices()}`,
    );
  }
  const arch = found ?? ARCHITECTURES[0]!;
  const merged = {
    ...TRM_DEFAULTS,
    ...CLASS_DEFAULTS,
    ...arch.defaults,
    ...input,
    name,
  } as Record<string, unknown>;
  if (merged.puzzle_emb_ndim === undefined && typeof merged.hidden_size === 'number')
    merged.puzzle_emb_ndim = merged.hidden_size;
  for (const key of INT_KEYS) {
    const v = merged[key];
    if (v === undefined) problems.push(`"${key}" is required`);
    else if (typeof v !== 'number' || !Number.isInteger(v))
      problems.push(`"${key}" must be an integer, got ${JSON.stringify(v)}`);
    else if (v < (MIN_ONE.has(key) ? 1 : 0))
      problems.push(`"${key}" must be ≥ ${MIN_ONE.has(key) ? 1 : 0}, got ${v}`);
  }
  for (const key of ['rms_norm_eps', 'rope_theta'] as const) {
    const v = merged[key];
    if (typeof v !== 'number' || !(v > 0))
      problems.push(`"${key}" must be a positive number, got ${JSON.stringify(v)}`);
  }
  const p = merged.halt_exploration_prob;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1))
    problems.push(`"halt_exploration_prob" must be in [0, 1], got ${JSON.stringify(p)}`);
  for (const key of ['mlp_t', 'no_ACT_continue', 'act_enabled', 'act_inference'] as const) {
    if (typeof merged[key] !== 'boolean')
      problems.push(`"${key}" must be true or false, got ${JSON.stringify(merged[key])}`);
  }
  for (const [key, allowed] of Object.entries(ENUMS)) {
    if (!allowed.includes(merged[key] as string)) {
      problems.push(
        `"${key}" must be one of ${allowed.join(', ')}; got ${JSON.stringify(merged[key])}`,
      );
    }
  }
  problems.push(...architectureProblems(arch, merged));
  ignoreUndeclared(arch, merged);
  const ndim = merged.puzzle_emb_ndim as number;
  const hidden = merged.hidden_size as number;
  if (typeof merged.puzzle_emb_len === 'number' && typeof ndim === 'number' && ndim > 0) {
    if (merged.puzzle_emb_len === 0) merged.puzzle_emb_len = Math.ceil(ndim / hidden);
    if ((merged.puzzle_emb_len as number) * hidden < ndim) {
      problems.push(
        `"puzzle_emb_len" (${merged.puzzle_emb_len}) × hidden_size (${hidden}) must hold puzzle_emb_ndim (${ndim})`,
      );
    }
  }
  if (problems.length) throw new ModelConfigError(problems);
  delete merged.loss;
  return merged as unknown as TrmConfig;
}

/** The checks that depend on the architecture: head widths, position encodings, slots. */
function architectureProblems(arch: Architecture, merged: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const hidden = merged.hidden_size as number;
  const heads = merged.num_heads as number;
  const usesAttention = arch.kind === 'transformers_baseline' || merged.mlp_t !== true;
  if (arch.kind === 'transformers_baseline') {
    // The baseline alone is configured with heads that do not divide the width (512 / 12):
    // like the reference, each head then has floor(D / h) features.
    if (merged.pos_encodings === 'none')
      problems.push(
        `"pos_encodings" must be one of rope, learned for transformers_baseline (it has no position-free mode), got none`,
      );
    if (Number.isInteger(hidden) && Number.isInteger(heads) && heads > hidden)
      problems.push(`"num_heads" (${heads}) must be at most "hidden_size" (${hidden})`);
  } else if (
    Number.isInteger(hidden) &&
    Number.isInteger(heads) &&
    heads > 0 &&
    hidden % heads !== 0
  ) {
    problems.push(`"hidden_size" (${hidden}) must be divisible by "num_heads" (${heads})`);
    return problems;
  }
  const headDim = Math.floor(hidden / heads);
  if (
    merged.pos_encodings === 'rope' &&
    usesAttention &&
    Number.isInteger(headDim) &&
    headDim % 2 !== 0
  ) {
    problems.push(`rope needs an even head dimension; floor(hidden_size / num_heads) = ${headDim}`);
  }
  const L = merged.L_cycles;
  if (arch.kind === 'trm_hier6' && typeof L === 'number' && L > HIER6_SLOTS) {
    problems.push(
      `"L_cycles" must be at most ${HIER6_SLOTS} for trm_hier6 (one low-level slot per cycle), got ${L}`,
    );
  }
  return problems;
}

/** Sets the keys `arch` does not declare to the values the class effectively uses. */
function ignoreUndeclared(arch: Architecture, merged: Record<string, unknown>): void {
  const declares = (key: ArchKey) => arch.keys.includes(key);
  if (!declares('puzzle_emb_len')) {
    const ndim = merged.puzzle_emb_ndim as number;
    const hidden = merged.hidden_size as number;
    merged.puzzle_emb_len = ndim > 0 && hidden > 0 ? Math.ceil(ndim / hidden) : 0;
  }
  if (!declares('no_ACT_continue')) merged.no_ACT_continue = false;
  if (!declares('mlp_t')) merged.mlp_t = false;
  if (!declares('act_enabled')) Object.assign(merged, CLASS_DEFAULTS);
}

/**
 * The keys of `keys` that the architecture `name` selects does not declare (dataset-derived
 * keys, `name` and `loss` aside). The reference drops them silently; callers may warn.
 */
export function undeclaredKeys(name: string, keys: Iterable<string>): string[] {
  const arch = architectureByName(name);
  if (!arch) return [];
  const always = new Set(['name', 'loss', 'loss_type', ...DATASET_KEYS]);
  return [...keys].filter((k) => !always.has(k) && !arch.keys.includes(k as ArchKey));
}

/** The architecture a resolved config selects. */
export function architectureOf(config: Pick<TrmConfig, 'name'>): Architecture {
  const arch = architectureByName(config.name ?? DEFAULT_ARCH_NAME);
  if (!arch)
    throw new ModelConfigError([`"name" ${JSON.stringify(config.name)} is not an architecture`]);
  return arch;
}

/** Puzzle-embedding positions actually used: 0 when there is no puzzle embedding. */
export function puzzlePositions(config: TrmConfig): number {
  return config.puzzle_emb_ndim > 0 ? config.puzzle_emb_len : 0;
}
