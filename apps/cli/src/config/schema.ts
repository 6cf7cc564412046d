/**
 * The typed training configuration (`cfg_pretrain` + `arch/trm` of the reference, spec §1)
 * and a data description of every key, used to validate and coerce values, suggest the
 * closest key on a typo, fill the keys the reference leaves unset, and render docs.
 */

import type { TrmConfig } from '@trm/model';

/** Loss settings (`arch.loss`). */
export interface LossConfig {
  /** Loss head class in the reference's `module@Class` notation. */
  name: string;
  loss_type: 'stablemax_cross_entropy' | 'softmax_cross_entropy';
  [extra: string]: unknown;
}

/** Keys that only some architectures' group files have (see `perArchitecture`). */
type PerArchitectureKey = 'L_cycles' | 'L_layers' | 'mlp_t' | 'puzzle_emb_len' | 'no_ACT_continue';

/**
 * Architecture settings (`arch/<group>.yaml`): the model's configuration without the fields
 * the dataset supplies, with the loss as its own section. Keys added with `+arch.<key>=…` are
 * kept. Keys a class does not declare may be absent (hrm has no `puzzle_emb_len`, the
 * transformer baseline no `L_*` keys); `act_enabled` / `act_inference` are only ever added.
 */
export interface ArchConfig
  extends Omit<
      TrmConfig,
      | 'batch_size'
      | 'seq_len'
      | 'vocab_size'
      | 'num_puzzle_identifiers'
      | 'loss_type'
      | 'forward_dtype'
      | 'act_enabled'
      | 'act_inference'
      | PerArchitectureKey
    >,
    Partial<Pick<TrmConfig, PerArchitectureKey | 'act_enabled' | 'act_inference'>> {
  /** Model class in the reference's `module@Class` notation. */
  name: string;
  loss: LossConfig;
  /** Accepted for compatibility; computation is f32. */
  forward_dtype: 'bfloat16' | 'float16' | 'float32';
  [extra: string]: unknown;
}

/** One evaluator entry, e.g. `{name: arc@ARC}`; further keys are passed to the evaluator. */
export interface EvaluatorConfig {
  name: string;
  [extra: string]: unknown;
}

/** The resolved training configuration (what the reference writes as `all_config.yaml`). */
export interface TrainConfig {
  arch: ArchConfig;
  data_paths: string[];
  data_paths_test: string[];
  evaluators: EvaluatorConfig[];
  global_batch_size: number;
  epochs: number;
  /** Epochs between evaluations; null means evaluate only at the end. */
  eval_interval: number | null;
  min_eval_interval: number;
  checkpoint_every_eval: boolean;
  /** Best checkpoints kept besides the latest (`best_step_<N>`); 0 keeps none. */
  checkpoint_keep_best: number;
  /** Evaluation metric that ranks checkpoints and drives early stopping; null: `all/exact_accuracy`. */
  checkpoint_metric: string | null;
  /** Whether a larger (`max`) or smaller (`min`) `checkpoint_metric` is better. */
  checkpoint_metric_mode: 'max' | 'min';
  /** Stop after this many evaluations without improvement; 0 never stops early. */
  early_stop_patience: number;
  lr: number;
  lr_min_ratio: number;
  lr_warmup_steps: number;
  beta1: number;
  beta2: number;
  weight_decay: number;
  puzzle_emb_lr: number;
  puzzle_emb_weight_decay: number;
  seed: number;
  ema: boolean;
  ema_rate: number;
  freeze_weights: boolean;
  /** Checkpoint to initialise from; null for none. */
  load_checkpoint: string | null;
  /** Where checkpoints go; null derives `checkpoints/<project_name>/<run_name>`. */
  checkpoint_path: string | null;
  /** null derives `<Dataset folder>-ACT-torch`. */
  project_name: string | null;
  /** null derives `<arch class> <two random words>`. */
  run_name: string | null;
  eval_save_outputs: string[];
  /** `wandb` also sends the metrics to Weights & Biases; null for `metrics.jsonl` only. */
  logger: 'wandb' | null;
}

/** Value kinds a config key can hold. */
export type ConfigValueType =
  | 'int'
  | 'float'
  | 'bool'
  | 'string'
  | 'enum'
  | 'string[]'
  | 'evaluators'
  | 'mapping';

/** Description of one configuration key (dotted path). */
export interface ConfigKeySpec {
  /** Dotted path, e.g. `arch.L_layers`. */
  key: string;
  type: ConfigValueType;
  /** May be null. */
  nullable?: boolean;
  /** Allowed values of an `enum`. */
  choices?: readonly string[];
  /** Smallest allowed value of a number. */
  min?: number;
  /** The reference default, as written in the shipped YAML (an interpolation stays a string). */
  default: unknown;
  /**
   * Not in the shipped YAML: the reference adds these with `+key=value`. They are filled
   * with their default after composition, and may be set with or without the `+`.
   */
  optional?: boolean;
  /** Mapping whose unknown sub-keys are accepted (the reference's pydantic `extra=allow`). */
  open?: boolean;
  /**
   * Declared by some architecture classes only: the group files of the others leave it out,
   * and then the config has no value for it (the model uses what its class implies).
   */
  perArchitecture?: boolean;
  description: string;
}

const k = (spec: ConfigKeySpec): ConfigKeySpec => spec;

/** Every key of {@link TrainConfig}, in the order `all_config.yaml` lists them. */
export const CONFIG_SCHEMA: readonly ConfigKeySpec[] = [
  k({
    key: 'arch',
    type: 'mapping',
    open: true,
    default: undefined,
    description: 'Architecture group, selected with arch=<name> (arch/<name>.yaml).',
  }),
  k({
    key: 'arch.name',
    type: 'string',
    default: 'recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1',
    description:
      'Model class (module@Class), set by the arch group (trm, trm_mlp, trm_singlez, trm_hier6, hrm, transformers_baseline).',
  }),
  k({
    key: 'arch.loss',
    type: 'mapping',
    open: true,
    default: undefined,
    description: 'Loss head settings.',
  }),
  k({
    key: 'arch.loss.name',
    type: 'string',
    default: 'losses@ACTLossHead',
    description: 'Loss head class (module@Class).',
  }),
  k({
    key: 'arch.loss.loss_type',
    type: 'enum',
    choices: ['stablemax_cross_entropy', 'softmax_cross_entropy'],
    default: 'stablemax_cross_entropy',
    description: 'Token loss.',
  }),
  k({
    key: 'arch.halt_exploration_prob',
    type: 'float',
    min: 0,
    default: 0.1,
    description: 'Per-row probability of a random minimum number of ACT steps in training.',
  }),
  k({
    key: 'arch.halt_max_steps',
    type: 'int',
    min: 1,
    default: 16,
    description: 'Maximum supervision (ACT) steps.',
  }),
  k({
    key: 'arch.H_cycles',
    type: 'int',
    min: 1,
    default: 3,
    description: 'Outer recursion cycles (all but the last without gradient).',
  }),
  k({
    key: 'arch.L_cycles',
    type: 'int',
    min: 1,
    default: 6,
    perArchitecture: true,
    description: 'Latent updates per outer cycle.',
  }),
  k({
    key: 'arch.H_layers',
    type: 'int',
    min: 0,
    default: 0,
    description:
      'Blocks of the high-level stack (hrm, transformers_baseline); ignored by the TRM family.',
  }),
  k({
    key: 'arch.L_layers',
    type: 'int',
    min: 1,
    default: 2,
    perArchitecture: true,
    description: 'Blocks of the low-level stack (of the one shared stack in the TRM family).',
  }),
  k({ key: 'arch.hidden_size', type: 'int', min: 1, default: 512, description: 'Model width D.' }),
  k({
    key: 'arch.num_heads',
    type: 'int',
    min: 1,
    default: 8,
    description: 'Attention heads (must divide hidden_size).',
  }),
  k({
    key: 'arch.expansion',
    type: 'float',
    min: 0,
    default: 4,
    description: 'SwiGLU expansion factor.',
  }),
  k({
    key: 'arch.puzzle_emb_ndim',
    type: 'int',
    min: 0,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an OmegaConf interpolation, not a template
    default: '${.hidden_size}',
    description: 'Puzzle embedding width (0 disables puzzle embeddings).',
  }),
  k({
    key: 'arch.pos_encodings',
    type: 'enum',
    choices: ['rope', 'learned', 'none'],
    default: 'rope',
    description: 'Position encoding.',
  }),
  k({
    key: 'arch.rms_norm_eps',
    type: 'float',
    min: 0,
    default: 1e-5,
    description: 'RMSNorm epsilon.',
  }),
  k({
    key: 'arch.rope_theta',
    type: 'float',
    min: 0,
    default: 10000,
    description: 'Rotary embedding base.',
  }),
  k({
    key: 'arch.forward_dtype',
    type: 'enum',
    choices: ['bfloat16', 'float16', 'float32'],
    default: 'bfloat16',
    description:
      'Compute dtype of the forward and backward. float16 runs the matmuls in f16 (f32 weights and accumulation, dynamic loss scaling) where the adapter has shader-f16; bfloat16, which WGSL lacks, does the same, with a notice; without shader-f16 both compute in float32.',
  }),
  k({
    key: 'arch.mlp_t',
    type: 'bool',
    default: false,
    perArchitecture: true,
    description: 'MLP over the sequence axis instead of attention (TRM-MLP).',
  }),
  k({
    key: 'arch.puzzle_emb_len',
    type: 'int',
    min: 0,
    default: 16,
    perArchitecture: true,
    description: 'Puzzle embedding positions (0: ceil(puzzle_emb_ndim / hidden_size)).',
  }),
  k({
    key: 'arch.no_ACT_continue',
    type: 'bool',
    default: true,
    perArchitecture: true,
    description: 'Halt on sigmoid(q_halt) alone, without the Q-continue loss.',
  }),
  k({
    key: 'data_paths',
    type: 'string[]',
    default: ['data/arc-aug-1000'],
    description: 'Training dataset directories (several are merged).',
  }),
  k({
    key: 'data_paths_test',
    type: 'string[]',
    default: [],
    description: 'Evaluation datasets; empty means data_paths.',
  }),
  k({
    key: 'evaluators',
    type: 'evaluators',
    default: [{ name: 'arc@ARC' }],
    description: 'Task evaluators, e.g. [{name: arc@ARC}]; [] disables.',
  }),
  k({
    key: 'global_batch_size',
    type: 'int',
    min: 1,
    default: 768,
    description: 'Examples per optimizer step over all devices.',
  }),
  k({ key: 'epochs', type: 'int', min: 1, default: 100000, description: 'Training epochs.' }),
  k({
    key: 'eval_interval',
    type: 'int',
    min: 1,
    nullable: true,
    default: 10000,
    description: 'Epochs between evaluations; must divide epochs.',
  }),
  k({
    key: 'checkpoint_every_eval',
    type: 'bool',
    default: true,
    description: 'Save a checkpoint at every evaluation (otherwise only the last).',
  }),
  k({
    key: 'checkpoint_keep_best',
    type: 'int',
    min: 0,
    optional: true,
    default: 0,
    description:
      'Also keep the K best checkpoints by checkpoint_metric as best_step_<N>.safetensors, listed in best.json (0: off).',
  }),
  k({
    key: 'checkpoint_metric',
    type: 'string',
    nullable: true,
    optional: true,
    default: null,
    description:
      'Evaluation metric (<set>/<name>, e.g. all/exact_accuracy or sudoku/valid_solution_rate) for checkpoint_keep_best and early_stop_patience (null: all/exact_accuracy).',
  }),
  k({
    key: 'checkpoint_metric_mode',
    type: 'enum',
    choices: ['max', 'min'],
    optional: true,
    default: 'max',
    description: 'max: a larger checkpoint_metric is better; min: a smaller one (losses).',
  }),
  k({
    key: 'early_stop_patience',
    type: 'int',
    min: 0,
    optional: true,
    default: 0,
    description:
      'Stop after this many evaluations without improvement of checkpoint_metric, saving the final checkpoint (0: off).',
  }),
  k({
    key: 'lr',
    type: 'float',
    min: 0,
    default: 1e-4,
    description: 'Peak learning rate (AdamATan2).',
  }),
  k({
    key: 'lr_min_ratio',
    type: 'float',
    min: 0,
    default: 1.0,
    description: 'Final learning rate as a fraction of lr (cosine decay).',
  }),
  k({
    key: 'lr_warmup_steps',
    type: 'int',
    min: 0,
    default: 2000,
    description: 'Linear warm-up steps.',
  }),
  k({ key: 'beta1', type: 'float', min: 0, default: 0.9, description: 'AdamATan2 beta1.' }),
  k({ key: 'beta2', type: 'float', min: 0, default: 0.95, description: 'AdamATan2 beta2.' }),
  k({
    key: 'weight_decay',
    type: 'float',
    min: 0,
    default: 0.1,
    description: 'AdamATan2 decoupled weight decay.',
  }),
  k({
    key: 'puzzle_emb_weight_decay',
    type: 'float',
    min: 0,
    default: 0.1,
    description: 'Puzzle embedding weight decay (sign-SGD).',
  }),
  k({
    key: 'puzzle_emb_lr',
    type: 'float',
    min: 0,
    default: 1e-2,
    description: 'Puzzle embedding learning rate (sign-SGD).',
  }),
  k({ key: 'seed', type: 'int', default: 0, description: 'Random seed.' }),
  k({
    key: 'min_eval_interval',
    type: 'int',
    min: 0,
    default: 0,
    description: 'Index of the first iteration that evaluates.',
  }),
  k({
    key: 'ema',
    type: 'bool',
    default: false,
    description:
      'Keep an exponential moving average of the weights (used for eval and checkpoints).',
  }),
  k({ key: 'ema_rate', type: 'float', min: 0, default: 0.999, description: 'EMA decay.' }),
  k({
    key: 'freeze_weights',
    type: 'bool',
    default: false,
    description:
      'Train only the puzzle embeddings (a model without them, arch.puzzle_emb_ndim=0, trains every weight, as in the reference).',
  }),
  k({
    key: 'load_checkpoint',
    type: 'string',
    nullable: true,
    optional: true,
    default: null,
    description:
      'Checkpoint to start from: a file, a run directory of trm train, or a hub file owner/repo/filename.',
  }),
  k({
    key: 'checkpoint_path',
    type: 'string',
    nullable: true,
    optional: true,
    default: null,
    description: 'Checkpoint directory (default checkpoints/<project_name>/<run_name>).',
  }),
  k({
    key: 'project_name',
    type: 'string',
    nullable: true,
    optional: true,
    default: null,
    description: 'Project label (default: dataset folder name capitalised + -ACT-torch).',
  }),
  k({
    key: 'run_name',
    type: 'string',
    nullable: true,
    optional: true,
    default: null,
    description: 'Run label (default: arch class name + two random words).',
  }),
  k({
    key: 'eval_save_outputs',
    type: 'string[]',
    optional: true,
    default: [],
    description:
      'Batch/output keys saved at evaluation (e.g. [inputs, labels, puzzle_identifiers, preds]).',
  }),
  k({
    key: 'logger',
    type: 'enum',
    choices: ['wandb'],
    nullable: true,
    optional: true,
    default: null,
    description:
      'wandb also logs to Weights & Biases (needs the optional @wandb/sdk package; WANDB_API_KEY alone turns it on too).',
  }),
];

/** Schema entries by dotted key. */
export const SCHEMA_BY_KEY: ReadonlyMap<string, ConfigKeySpec> = new Map(
  CONFIG_SCHEMA.map((s) => [s.key, s]),
);

/** Dotted keys that hold a value (not a mapping). */
export const LEAF_KEYS: readonly string[] = CONFIG_SCHEMA.filter((s) => s.type !== 'mapping').map(
  (s) => s.key,
);
