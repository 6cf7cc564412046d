/**
 * The TRM architecture configuration (`arch/trm` in the reference), with the reference's key
 * names and defaults (spec §1). Dataset-derived fields (`batch_size`, `seq_len`, `vocab_size`,
 * `num_puzzle_identifiers`) have no defaults.
 */
export interface TrmConfig {
  batch_size: number;
  seq_len: number;
  vocab_size: number;
  num_puzzle_identifiers: number;
  H_cycles: number;
  L_cycles: number;
  /** Ignored, as in the reference (TRM has a single reasoning stack). */
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
  no_ACT_continue: boolean;
  loss_type: 'stablemax_cross_entropy' | 'softmax_cross_entropy';
}

/** Reference defaults for every field that has one. */
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
    super(`Invalid TRM configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const INT_KEYS = [
  'batch_size',
  'seq_len',
  'vocab_size',
  'num_puzzle_identifiers',
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
 * Fills in defaults and validates. `puzzle_emb_ndim` defaults to `hidden_size`; unknown keys,
 * wrong types and inconsistent fields (e.g. `hidden_size` not divisible by `num_heads`) are all
 * reported together in one {@link ModelConfigError}.
 */
export function resolveTrmConfig(input: Partial<TrmConfig> & Record<string, unknown>): TrmConfig {
  const known = new Set<string>([
    ...INT_KEYS,
    ...Object.keys(TRM_DEFAULTS),
    'rms_norm_eps',
    'rope_theta',
    'halt_exploration_prob',
    'mlp_t',
    'no_ACT_continue',
    'name',
    'loss',
  ]);
  const problems: string[] = [];
  for (const key of Object.keys(input)) if (!known.has(key)) problems.push(`unknown key "${key}"`);
  const merged = { ...TRM_DEFAULTS, ...input } as Record<string, unknown>;
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
  for (const key of ['mlp_t', 'no_ACT_continue'] as const) {
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
  const hidden = merged.hidden_size as number;
  const heads = merged.num_heads as number;
  if (Number.isInteger(hidden) && Number.isInteger(heads) && heads > 0 && hidden % heads !== 0) {
    problems.push(`"hidden_size" (${hidden}) must be divisible by "num_heads" (${heads})`);
  } else if (
    merged.pos_encodings === 'rope' &&
    !merged.mlp_t &&
    Number.isInteger(hidden / heads) &&
    (hidden / heads) % 2 !== 0
  ) {
    problems.push(`rope needs an even head dimension; hidden_size / num_heads = ${hidden / heads}`);
  }
  const ndim = merged.puzzle_emb_ndim as number;
  if (typeof merged.puzzle_emb_len === 'number' && typeof ndim === 'number' && ndim > 0) {
    if (merged.puzzle_emb_len === 0) merged.puzzle_emb_len = Math.ceil(ndim / hidden);
    if ((merged.puzzle_emb_len as number) * hidden < ndim) {
      problems.push(
        `"puzzle_emb_len" (${merged.puzzle_emb_len}) × hidden_size (${hidden}) must hold puzzle_emb_ndim (${ndim})`,
      );
    }
  }
  if (problems.length) throw new ModelConfigError(problems);
  delete merged.name;
  delete merged.loss;
  return merged as unknown as TrmConfig;
}

/** Puzzle-embedding positions actually used: 0 when there is no puzzle embedding. */
export function puzzlePositions(config: TrmConfig): number {
  return config.puzzle_emb_ndim > 0 ? config.puzzle_emb_len : 0;
}
