/**
 * The architectures of the reference's `config/arch/` groups, in one table: which of the
 * reference's `name: <module>@<Class>` strings selects which of ours, the keys each class
 * declares, its defaults, and the latent states its carry holds. Everything else (config
 * resolution, the model builder, the CLI's checks) reads this table.
 */

/** Our name of each architecture (the reference's module stem). */
export type ArchitectureKind =
  | 'trm'
  | 'trm_singlez'
  | 'trm_hier6'
  | 'hrm'
  | 'transformers_baseline';

/** Keys an architecture class may declare (the dataset-derived ones are always declared). */
export type ArchKey =
  | 'H_cycles'
  | 'L_cycles'
  | 'H_layers'
  | 'L_layers'
  | 'hidden_size'
  | 'num_heads'
  | 'expansion'
  | 'puzzle_emb_ndim'
  | 'puzzle_emb_len'
  | 'pos_encodings'
  | 'rms_norm_eps'
  | 'rope_theta'
  | 'halt_max_steps'
  | 'halt_exploration_prob'
  | 'forward_dtype'
  | 'mlp_t'
  | 'no_ACT_continue'
  | 'act_enabled'
  | 'act_inference';

/** One row of {@link ARCHITECTURES}. */
export interface Architecture {
  kind: ArchitectureKind;
  /** The reference's module (`recursive_reasoning.<module>` or `architectures.<module>`). */
  module: string;
  /** The reference's class in that module. */
  className: string;
  /** Keys the reference's config class declares; others are ignored, as the reference does. */
  keys: readonly ArchKey[];
  /** The defaults of the reference's `config/arch/<group>.yaml` and of its config class. */
  defaults: Readonly<Partial<Record<ArchKey, number | string | boolean>>>;
  /** The carry's latent states, by the reference's names, in the order they are created. */
  states: readonly string[];
}

const COMMON_KEYS = [
  'H_cycles',
  'H_layers',
  'hidden_size',
  'num_heads',
  'expansion',
  'puzzle_emb_ndim',
  'pos_encodings',
  'rms_norm_eps',
  'rope_theta',
  'halt_max_steps',
  'halt_exploration_prob',
  'forward_dtype',
] as const satisfies readonly ArchKey[];

const COMMON_DEFAULTS = {
  halt_exploration_prob: 0.1,
  halt_max_steps: 16,
  hidden_size: 512,
  num_heads: 8,
  expansion: 4,
  pos_encodings: 'rope',
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  forward_dtype: 'bfloat16',
} as const;

const TRM_FAMILY_KEYS = [
  ...COMMON_KEYS,
  'L_cycles',
  'L_layers',
  'mlp_t',
  'puzzle_emb_len',
  'no_ACT_continue',
] as const satisfies readonly ArchKey[];

const TRM_FAMILY_DEFAULTS = {
  ...COMMON_DEFAULTS,
  H_cycles: 3,
  L_cycles: 6,
  H_layers: 0,
  L_layers: 2,
  mlp_t: false,
  puzzle_emb_len: 16,
  no_ACT_continue: true,
} as const;

/** Slots of `trm_hier6`: the reference unrolls six low-level states. */
export const HIER6_SLOTS = 6;

/**
 * Every architecture of the reference. `trm_mlp` is not a row: its group file selects the
 * `trm` class with `mlp_t: true`.
 */
export const ARCHITECTURES: readonly Architecture[] = [
  {
    kind: 'trm',
    module: 'trm',
    className: 'TinyRecursiveReasoningModel_ACTV1',
    keys: TRM_FAMILY_KEYS,
    defaults: TRM_FAMILY_DEFAULTS,
    states: ['z_H', 'z_L'],
  },
  {
    kind: 'trm_singlez',
    module: 'trm_singlez',
    className: 'TinyRecursiveReasoningModel_ACTV1',
    keys: TRM_FAMILY_KEYS,
    defaults: TRM_FAMILY_DEFAULTS,
    states: ['z_L'],
  },
  {
    kind: 'trm_hier6',
    module: 'trm_hier6',
    className: 'TinyRecursiveReasoningModel_ACTV1',
    keys: TRM_FAMILY_KEYS,
    defaults: TRM_FAMILY_DEFAULTS,
    states: ['z_H', ...Array.from({ length: HIER6_SLOTS }, (_, i) => `z_L${i + 1}`)],
  },
  {
    kind: 'hrm',
    module: 'hrm',
    className: 'HierarchicalReasoningModel_ACTV1',
    keys: [...COMMON_KEYS, 'L_cycles', 'L_layers', 'mlp_t'],
    defaults: {
      ...COMMON_DEFAULTS,
      H_cycles: 2,
      L_cycles: 2,
      H_layers: 4,
      L_layers: 4,
      mlp_t: false,
    },
    states: ['z_H', 'z_L'],
  },
  {
    kind: 'transformers_baseline',
    module: 'transformers_baseline',
    className: 'Model_ACTV2',
    keys: [...COMMON_KEYS, 'act_enabled', 'act_inference'],
    defaults: {
      ...COMMON_DEFAULTS,
      H_cycles: 1,
      H_layers: 8,
      num_heads: 12,
      act_enabled: true,
      act_inference: false,
    },
    states: ['z_H'],
  },
];

/**
 * Package prefixes of the reference's module paths: the official repository's
 * `recursive_reasoning.` and the alphaXiv fork's `architectures.`.
 */
export const MODULE_PREFIXES = ['recursive_reasoning', 'architectures'] as const;

/** The `name:` string our shipped group files use for an architecture. */
export function referenceName(arch: Architecture): string {
  return `${MODULE_PREFIXES[0]}.${arch.module}@${arch.className}`;
}

/** `name` of the default architecture, TRM. */
export const DEFAULT_ARCH_NAME = referenceName(ARCHITECTURES[0]!);

/**
 * The architecture a reference `name:` string selects (`recursive_reasoning.hrm@
 * HierarchicalReasoningModel_ACTV1`, or the fork's `architectures.hrm@…`), or undefined.
 */
export function architectureByName(name: string): Architecture | undefined {
  const at = name.indexOf('@');
  if (at < 0) return undefined;
  const path = name.slice(0, at).split('.');
  const className = name.slice(at + 1);
  const module = path.pop();
  const prefix = path.join('.');
  if (!(MODULE_PREFIXES as readonly string[]).includes(prefix)) return undefined;
  return ARCHITECTURES.find((a) => a.module === module && a.className === className);
}

/** One sentence listing the accepted `name` values, for error messages. */
export function architectureChoices(): string {
  return `${ARCHITECTURES.map(referenceName).join(', ')} (the prefix architectures. is accepted for recursive_reasoning.)`;
}

/**
 * The architecture group (`trm`, `trm_mlp`, `trm_singlez`, `trm_hier6`, `hrm`,
 * `transformers_baseline`) whose state dict holds `keys` (the reference's names, `model.inner.…`),
 * judged by the stacks and reset vectors present; for the error that says which `arch=` a
 * checkpoint needs.
 */
export function groupOfStateDict(keys: Iterable<string>): string {
  const names = [...keys];
  const has = (part: string) => names.some((k) => k.includes(part));
  if (has('.L1_init')) return 'trm_hier6';
  if (has('.H_level.')) return has('.L_level.') ? 'hrm' : 'transformers_baseline';
  if (has('.L_init') && !has('.H_init')) return 'trm_singlez';
  return has('.mlp_t.') ? 'trm_mlp' : 'trm';
}
