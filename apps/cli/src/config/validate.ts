import { ARCHITECTURES, architectureByName, architectureChoices, undeclaredKeys } from '@trm/model';
import { ConfigError } from '../errors.js';
import { closest } from '../util/suggest.js';
import {
  CONFIG_SCHEMA,
  type ConfigKeySpec,
  LEAF_KEYS,
  SCHEMA_BY_KEY,
  type TrainConfig,
} from './schema.js';
import { isMapping, type Mapping } from './tree.js';

/** Where each key's value came from, for error messages. */
export type OriginMap = Map<string, string>;

function from(origins: OriginMap, key: string): string {
  const o = origins.get(key);
  return o ? ` (from ${o})` : '';
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list ${JSON.stringify(v)}`;
  if (isMapping(v)) return `a mapping ${JSON.stringify(v)}`;
  if (typeof v === 'string') return `'${v}' (a string)`;
  return `${String(v)} (a ${typeof v === 'number' ? 'number' : typeof v})`;
}

/** Suggestion text for an unknown dotted key. */
export function suggestKey(key: string): string {
  const leaf = key.split('.').pop()!;
  const best =
    closest(key, LEAF_KEYS) ??
    closest(
      leaf,
      LEAF_KEYS.map((k) => k.split('.').pop()!),
    );
  if (best === undefined) return '';
  const full = LEAF_KEYS.find((k) => k === best || k.endsWith(`.${best}`)) ?? best;
  return ` Did you mean '${full}'?`;
}

/**
 * Rejects keys that are neither in the schema nor explicitly added with `+`/`++` (or below
 * such a key). Runs before interpolation so that messages show values as written.
 */
export function checkUnknownKeys(
  tree: Mapping,
  added: ReadonlySet<string>,
  origins: OriginMap,
  prefix = '',
): void {
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isAdded(key, added)) continue;
    const spec = SCHEMA_BY_KEY.get(key);
    if (!spec && isMapping(v) && [...added].some((a) => a.startsWith(`${key}.`))) {
      checkUnknownKeys(v, added, origins, key);
      continue;
    }
    if (!spec) {
      const where = from(origins, key) || from(origins, firstLeafUnder(key, v));
      throw new ConfigError(
        `Unknown config key '${key}'${where}.${suggestKey(key)} To add a key that the config does not define, write +${key}=<value> on the command line.`,
        { key },
      );
    }
    if (spec.type === 'mapping' && isMapping(v)) checkUnknownKeys(v, added, origins, key);
  }
}

function firstLeafUnder(key: string, v: unknown): string {
  if (!isMapping(v)) return key;
  const first = Object.keys(v)[0];
  return first === undefined ? key : firstLeafUnder(`${key}.${first}`, v[first]);
}

function isAdded(key: string, added: ReadonlySet<string>): boolean {
  if (added.has(key)) return true;
  for (const a of added) if (key.startsWith(`${a}.`)) return true;
  return false;
}

/** Checks and coerces every schema key in place; returns the tree typed as a TrainConfig. */
export function checkTypes(tree: Mapping, origins: OriginMap): TrainConfig {
  for (const spec of CONFIG_SCHEMA) {
    const path = spec.key.split('.');
    let parent: unknown = tree;
    for (const seg of path.slice(0, -1)) parent = isMapping(parent) ? parent[seg] : undefined;
    const last = path[path.length - 1]!;
    if (!isMapping(parent) || !Object.hasOwn(parent, last)) {
      if (spec.perArchitecture) continue;
      throw new ConfigError(
        `The config has no value for '${spec.key}' (${spec.description.replace(/\.$/, '')}). Set it with ${spec.key}=<value> or add it to your config file.`,
        { key: spec.key },
      );
    }
    parent[last] = coerce(spec, parent[last], origins);
  }
  const cfg = tree as unknown as TrainConfig;
  const arch = architectureByName(cfg.arch.name);
  if (!arch) {
    throw new ConfigError(
      `arch.name: '${cfg.arch.name}'${from(origins, 'arch.name')} is not a model class of the reference. Choose one of ${architectureChoices()}, or select an architecture group with arch=<group> (trm, trm_mlp, trm_singlez, trm_hier6, hrm, transformers_baseline).`,
      { key: 'arch.name' },
    );
  }
  // The transformer baseline alone gives its heads floor(hidden_size / num_heads) features.
  if (arch.kind !== 'transformers_baseline' && cfg.arch.hidden_size % cfg.arch.num_heads !== 0) {
    throw new ConfigError(
      `arch.hidden_size (${cfg.arch.hidden_size}) must be a multiple of arch.num_heads (${cfg.arch.num_heads}).`,
      { key: 'arch.num_heads' },
    );
  }
  if (cfg.eval_interval !== null && cfg.epochs % cfg.eval_interval !== 0) {
    throw new ConfigError(
      `eval_interval (${cfg.eval_interval}) must divide epochs (${cfg.epochs}): training runs epochs / eval_interval iterations.`,
      { key: 'eval_interval' },
    );
  }
  if (cfg.checkpoint_metric !== null && !/^[^/\s]+\/\S+$/.test(cfg.checkpoint_metric)) {
    throw new ConfigError(
      `checkpoint_metric: expected an evaluation metric written <set>/<name>, such as all/exact_accuracy or all/lm_loss, got '${cfg.checkpoint_metric}'${from(origins, 'checkpoint_metric')}. The names are those of the 'eval @ step' lines and metrics.jsonl.`,
      { key: 'checkpoint_metric' },
    );
  }
  return cfg;
}

/**
 * One line per `arch.*` key that the selected class does not declare: the reference drops
 * such keys silently (e.g. `+arch.puzzle_emb_len` on hrm, `arch.L_cycles` on the transformer
 * baseline); so do we, but we say so.
 */
export function ignoredArchKeyNotes(config: TrainConfig): string[] {
  const arch = architectureByName(config.arch.name);
  if (!arch) return [];
  const classKeys = new Set<string>(ARCHITECTURES.flatMap((a) => a.keys));
  const keys = Object.keys(config.arch).filter((k) => classKeys.has(k));
  return undeclaredKeys(config.arch.name, keys).map(
    (k) =>
      `note: arch.${k} is ignored: ${arch.kind} (${arch.className}) has no such setting, and the reference ignores it too.`,
  );
}

function typeError(
  spec: ConfigKeySpec,
  v: unknown,
  origins: OriginMap,
  expected: string,
): ConfigError {
  return new ConfigError(
    `${spec.key}: expected ${expected}, got ${describe(v)}${from(origins, spec.key)}.`,
    { key: spec.key },
  );
}

function coerce(spec: ConfigKeySpec, v: unknown, origins: OriginMap): unknown {
  if (v === null) {
    if (spec.nullable) return null;
    throw typeError(spec, v, origins, expectedText(spec));
  }
  switch (spec.type) {
    case 'int': {
      if (typeof v !== 'number' || !Number.isInteger(v))
        throw typeError(spec, v, origins, expectedText(spec));
      checkMin(spec, v, origins);
      return v;
    }
    case 'float': {
      if (typeof v !== 'number' || Number.isNaN(v))
        throw typeError(spec, v, origins, expectedText(spec));
      checkMin(spec, v, origins);
      return v;
    }
    case 'bool': {
      if (typeof v !== 'boolean') throw typeError(spec, v, origins, expectedText(spec));
      return v;
    }
    case 'string': {
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      if (typeof v !== 'string') throw typeError(spec, v, origins, expectedText(spec));
      return v;
    }
    case 'enum': {
      if (typeof v !== 'string' || !spec.choices!.includes(v)) {
        const hint = typeof v === 'string' ? closest(v, spec.choices!) : undefined;
        throw new ConfigError(
          `${spec.key}: expected one of ${spec.choices!.join(', ')}, got ${describe(v)}${from(origins, spec.key)}.${hint ? ` Did you mean '${hint}'?` : ''}`,
          { key: spec.key },
        );
      }
      return v;
    }
    case 'string[]': {
      const list = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(list)) throw typeError(spec, v, origins, expectedText(spec));
      return list.map((item) => {
        if (typeof item === 'number') return String(item);
        if (typeof item !== 'string') throw typeError(spec, v, origins, expectedText(spec));
        return item;
      });
    }
    case 'evaluators': {
      if (!Array.isArray(v)) throw typeError(spec, v, origins, expectedText(spec));
      return v.map((item) => {
        if (typeof item === 'string') return { name: item };
        if (!isMapping(item) || typeof item.name !== 'string')
          throw typeError(spec, v, origins, expectedText(spec));
        return item;
      });
    }
    case 'mapping': {
      if (!isMapping(v)) throw typeError(spec, v, origins, expectedText(spec));
      return v;
    }
  }
}

function checkMin(spec: ConfigKeySpec, v: number, origins: OriginMap): void {
  if (spec.min !== undefined && v < spec.min) {
    throw new ConfigError(
      `${spec.key}: must be at least ${spec.min}, got ${v}${from(origins, spec.key)}.`,
      { key: spec.key },
    );
  }
}

/** Human description of a key's type, e.g. "an integer >= 1 (or null)". */
export function expectedText(spec: ConfigKeySpec): string {
  const base = {
    int: 'an integer',
    float: 'a number',
    bool: 'a boolean (true or false)',
    string: 'a string',
    enum: `one of ${spec.choices?.join(', ')}`,
    'string[]': 'a list of strings such as [a,b]',
    evaluators: 'a list of evaluators such as [{name: arc@ARC}] or []',
    mapping: 'a mapping',
  }[spec.type];
  const min = spec.min !== undefined ? ` >= ${spec.min}` : '';
  return `${base}${min}${spec.nullable ? ' (or null)' : ''}`;
}
