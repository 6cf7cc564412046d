import { relative } from 'node:path';
import { ConfigError } from '../errors.js';
import { closest } from '../util/suggest.js';
import {
  configSearchPath,
  findConfigFile,
  isConfigGroup,
  listConfigNames,
  readYamlMapping,
  shippedConfigDir,
} from './files.js';
import { resolveInterpolations } from './interpolate.js';
import { type Override, parseOverride } from './overrides.js';
import { CONFIG_SCHEMA, type TrainConfig } from './schema.js';
import { cloneTree, getPath, hasPath, isMapping, leaves, type Mapping } from './tree.js';
import { checkTypes, checkUnknownKeys, type OriginMap, suggestKey } from './validate.js';

/** Options of {@link resolveTrainConfig}. */
export interface ResolveOptions {
  /** A directory whose YAML files shadow the shipped ones (`cfg_pretrain.yaml`, `arch/*.yaml`, `presets/*.yaml`). */
  configDir?: string;
  /** Preset name (`presets/<name>.yaml`); `none` or undefined for the plain primary config. */
  preset?: string;
  /** Primary config name, default `cfg_pretrain`. */
  configName?: string;
  /** Base for a relative configDir; default `process.cwd()`. */
  cwd?: string;
  /** Environment for `${oc.env:…}`; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Recipe in a preset's `_dataset_` block: how to generate its dataset when it is missing. */
export interface DatasetRecipe {
  kind: 'sudoku' | 'maze';
  /** Grid side (Sudoku 4, 6 or 9; Maze >= 5). */
  size: number;
  /** Generated training puzzles. */
  count: number;
  /** Generated test puzzles. */
  test_count: number;
  /** Sudoku: augmented copies per training puzzle. */
  num_aug?: number;
  /** Maze: add the 8 dihedral images of each training maze. */
  aug?: boolean;
  /** Generate hard puzzles only. */
  hard?: boolean;
  seed?: number;
}

/** Where a resolved config came from. */
export interface ConfigSources {
  /** Directories searched for YAML files, first match wins. */
  searchPath: string[];
  /** YAML files read (primary, preset, then group files). */
  files: string[];
  /** Selected config groups, e.g. `{ arch: 'trm' }`. */
  groups: Record<string, string>;
  /** Selected preset, if any. */
  preset: string | undefined;
  /** The preset's one-line description (`_description_`). */
  presetDescription: string | undefined;
  /** Command that builds the dataset the preset expects (`_requires_`), if given. */
  requires: string | undefined;
  /** The preset's dataset recipe (`_dataset_`), if given. */
  dataset: DatasetRecipe | undefined;
  /** The overrides applied, in order. */
  overrides: string[];
  /** Dotted keys added with `+`/`++` that the schema does not define. */
  added: string[];
  /** Leaf key → where its value came from (`config/arch/trm.yaml`, `preset arc1`, `override lr=2e-4`, `default`). */
  origins: Record<string, string>;
}

/** A resolved config and its provenance. */
export interface ResolvedConfig {
  config: TrainConfig;
  sources: ConfigSources;
}

const PRESET_META_KEYS = ['_description_', '_requires_', '_dataset_', 'defaults'] as const;
const NO_PRESET = new Set(['none', 'null', '']);

/**
 * Composes the training config Hydra-style and validates it:
 * 1. the primary `cfg_pretrain.yaml` with its `defaults` list (`- arch: trm`, `- _self_`);
 *    group choices can be changed by the preset's `defaults` and by `arch=<name>` overrides;
 * 2. the preset (`preset=<name>` override or `options.preset`) merged on top;
 * 3. the overrides in order: `key=value` (key must exist), `+key=value` (key must not
 *    exist), `++key=value` (either);
 * 4. keys the reference leaves unset (run_name, …) filled with null/defaults;
 * 5. `${…}` interpolations resolved, then every key type-checked.
 * Throws {@link ConfigError} (or InputError for a missing --config-dir) on any problem.
 */
export function resolveTrainConfig(
  overrides: readonly string[] = [],
  options: ResolveOptions = {},
): ResolvedConfig {
  const searchPath = configSearchPath(options.configDir, options.cwd);
  const shipped = shippedConfigDir();
  const label = (file: string) => {
    const dir = searchPath.find((d) => file.startsWith(d));
    return dir === shipped ? `config/${relative(shipped, file)}` : file;
  };

  // Split tokens into preset selection, group selections and key overrides.
  let preset = options.preset;
  const groupChoices = new Map<string, { value: string; text: string }>();
  const keyOverrides: Override[] = [];
  for (const token of overrides) {
    const o = parseOverride(token);
    if (o.path.length === 1 && o.key === 'preset' && o.kind !== 'force') {
      const name = o.value === null ? 'none' : String(o.value);
      if (
        options.preset !== undefined &&
        !NO_PRESET.has(options.preset) &&
        options.preset !== name
      ) {
        throw new ConfigError(
          `Two presets were given: --preset ${options.preset} and ${token}. Choose one.`,
        );
      }
      preset = name;
      continue;
    }
    if (o.path.length === 1 && o.kind === 'set' && isConfigGroup(searchPath, o.key)) {
      if (typeof o.value !== 'string') {
        throw new ConfigError(
          `'${token}': ${o.key} is a config group; choose one of its files by name (${listConfigNames(searchPath, o.key).join(', ')}).`,
        );
      }
      groupChoices.set(o.key, { value: o.value, text: token });
      continue;
    }
    keyOverrides.push(o);
  }
  if (preset !== undefined && NO_PRESET.has(preset)) preset = undefined;

  const files: string[] = [];
  const origins: OriginMap = new Map();
  const added = new Set<string>();

  // Primary config.
  const configName = options.configName ?? 'cfg_pretrain';
  const primaryFile = findConfigFile(searchPath, `${configName}.yaml`);
  if (!primaryFile) {
    throw new ConfigError(
      `No config named '${configName}' (${configName}.yaml) in ${searchPath.join(' or ')}.`,
    );
  }
  const primary = readYamlMapping(primaryFile);
  files.push(primaryFile);
  const defaultsList = parseDefaults(primary.defaults, label(primaryFile));
  // The primary config's own choice per group (e.g. arch: trm), listed first when a choice
  // is not found.
  const defaultChoices = new Map(defaultsList.map((d) => [d.group, d.choice]));
  delete primary.defaults;
  delete primary.hydra;

  // Preset file (read now: its defaults may change group choices).
  let presetBody: Mapping | undefined;
  let presetDescription: string | undefined;
  let requires: string | undefined;
  let dataset: DatasetRecipe | undefined;
  if (preset !== undefined) {
    const presetFile = findConfigFile(searchPath, `presets/${preset}.yaml`);
    if (!presetFile) {
      const names = listConfigNames(searchPath, 'presets');
      const hint = closest(preset, names);
      throw new ConfigError(
        `No preset named '${preset}'.${hint ? ` Did you mean '${hint}'?` : ''} Available presets: ${names.join(', ')}.`,
      );
    }
    presetBody = readYamlMapping(presetFile);
    files.push(presetFile);
    if (presetBody._description_ !== undefined)
      presetDescription = String(presetBody._description_);
    if (presetBody._requires_ !== undefined) requires = String(presetBody._requires_);
    if (presetBody._dataset_ !== undefined)
      dataset = parseRecipe(presetBody._dataset_, label(presetFile));
    for (const entry of parseDefaults(presetBody.defaults, label(presetFile))) {
      if (entry.group !== undefined) {
        const existing = defaultsList.find((d) => d.group === entry.group);
        if (existing) existing.choice = entry.choice!;
        else defaultsList.unshift(entry);
      }
    }
    for (const k of PRESET_META_KEYS) delete presetBody[k];
  }

  // Group choices from the command line.
  for (const [group, { value, text }] of groupChoices) {
    const existing = defaultsList.find((d) => d.group === group);
    if (existing) existing.choice = value;
    else defaultsList.unshift({ group, choice: value, text });
  }
  if (!defaultsList.some((d) => d.self)) defaultsList.push({ self: true });

  // Compose.
  const tree: Mapping = {};
  const groups: Record<string, string> = {};
  for (const entry of defaultsList) {
    if (entry.self) {
      mergeInto(tree, primary, [], label(primaryFile), origins);
      continue;
    }
    const group = entry.group!;
    const choice = entry.choice!;
    if (choice === 'null') continue;
    const file = findConfigFile(searchPath, `${group}/${choice}.yaml`);
    if (!file) {
      const names = listConfigNames(searchPath, group);
      const hint = closest(choice, names);
      const first = defaultChoices.get(group);
      const listed =
        first && names.includes(first) ? [first, ...names.filter((n) => n !== first)] : names;
      throw new ConfigError(
        `No ${group} config named '${choice}'${entry.text ? ` (from ${entry.text})` : ''}.${hint ? ` Did you mean '${hint}'?` : ''} Available: ${listed.join(', ') || 'none'}${first && listed[0] === first ? ` (${first} is the default)` : ''}.`,
      );
    }
    files.push(file);
    groups[group] = choice;
    mergeInto(tree, { [group]: readYamlMapping(file) }, [], label(file), origins);
  }
  if (presetBody) {
    // Preset keys must be known (they are reviewed files, not ad-hoc additions).
    checkUnknownKeys(
      presetBody,
      new Set(),
      new Map(leaves(presetBody).map(([k]) => [k, `preset ${preset}`])),
    );
    mergeInto(tree, presetBody, [], `preset ${preset}`, origins);
  }

  applyOverrides(tree, keyOverrides, added, origins);
  return finish(tree, added, origins, {
    searchPath,
    files,
    groups,
    preset,
    presetDescription,
    requires,
    dataset,
    overrides: [...overrides],
    env: options.env,
  });
}

/**
 * Loads a stand-alone resolved config (an `all_config.yaml` written by {@link toYaml} or by
 * the reference) and applies overrides to it; no composition, no presets. Being machine
 * written, the file is read leniently: keys we do not know are kept (as if added with `+`)
 * and keys it lacks (the reference does not write `rms_norm_eps`, for one) get defaults.
 */
export function loadTrainConfigFile(
  path: string,
  overrides: readonly string[] = [],
  env?: NodeJS.ProcessEnv,
): ResolvedConfig {
  const tree = readYamlMapping(path);
  delete tree.defaults;
  delete tree.hydra;
  const origins: OriginMap = new Map();
  for (const [k] of leaves(tree)) origins.set(k, path);
  const added = new Set<string>();
  for (const [k] of leaves(tree)) {
    const known = CONFIG_SCHEMA.some(
      (s) => s.key === k || (s.type !== 'mapping' && k.startsWith(`${s.key}.`)),
    );
    if (!known) added.add(k);
  }
  for (const spec of CONFIG_SCHEMA) {
    const p = spec.key.split('.');
    // A key only some classes have stays absent: the file's class may not declare it.
    if (spec.type === 'mapping' || spec.perArchitecture || hasPath(tree, p)) continue;
    setPath(tree, p, cloneTree(spec.default));
    origins.set(spec.key, 'default');
  }
  applyOverrides(
    tree,
    overrides.map((t) => parseOverride(t)),
    added,
    origins,
  );
  return finish(tree, added, origins, {
    searchPath: [],
    files: [path],
    groups: {},
    preset: undefined,
    presetDescription: undefined,
    requires: undefined,
    dataset: undefined,
    overrides: [...overrides],
    env,
  });
}

function finish(
  tree: Mapping,
  added: Set<string>,
  origins: OriginMap,
  meta: Omit<ConfigSources, 'origins' | 'added'> & { env: NodeJS.ProcessEnv | undefined },
): ResolvedConfig {
  // Keys the reference leaves unset.
  for (const spec of CONFIG_SCHEMA) {
    if (!spec.optional) continue;
    const path = spec.key.split('.');
    if (!hasPath(tree, path)) {
      setPath(tree, path, cloneTree(spec.default));
      origins.set(spec.key, 'default');
    }
  }
  checkUnknownKeys(tree, added, origins);
  resolveInterpolations(tree, meta.env);
  const config = checkTypes(tree, origins);
  const { env: _env, ...rest } = meta;
  return {
    config,
    sources: { ...rest, added: [...added], origins: Object.fromEntries(origins) },
  };
}

interface DefaultsEntry {
  group?: string;
  choice?: string;
  self?: boolean;
  text?: string;
}

function parseDefaults(value: unknown, file: string): DefaultsEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new ConfigError(`${file}: 'defaults' must be a list such as [{arch: trm}, _self_].`);
  return value.map((item) => {
    if (item === '_self_') return { self: true };
    if (isMapping(item) && Object.keys(item).length === 1) {
      const [group, choice] = Object.entries(item)[0]!;
      return {
        group: group.replace(/^override\s+/, ''),
        choice: choice === null ? 'null' : String(choice),
      };
    }
    throw new ConfigError(
      `${file}: cannot read the defaults entry ${JSON.stringify(item)}; expected '- <group>: <name>' or '- _self_'.`,
    );
  });
}

function parseRecipe(value: unknown, file: string): DatasetRecipe {
  if (!isMapping(value) || (value.kind !== 'sudoku' && value.kind !== 'maze')) {
    throw new ConfigError(`${file}: _dataset_ must be a mapping with kind sudoku or maze.`);
  }
  const num = (k: string, dflt: number) => {
    const v = value[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw new ConfigError(`${file}: _dataset_.${k} must be a non-negative integer.`);
    return v;
  };
  const recipe: DatasetRecipe = {
    kind: value.kind,
    size: num('size', value.kind === 'sudoku' ? 9 : 30),
    count: num('count', 1000),
    test_count: num('test_count', 100),
    seed: num('seed', 0),
  };
  if (value.num_aug !== undefined) recipe.num_aug = num('num_aug', 0);
  if (value.aug !== undefined) recipe.aug = value.aug === true;
  if (value.hard !== undefined) recipe.hard = value.hard === true;
  return recipe;
}

/** Deep-merges `src` into `dst` (mappings merge, everything else replaces) and records origins. */
function mergeInto(
  dst: Mapping,
  src: Mapping,
  prefix: string[],
  origin: string,
  origins: OriginMap,
): void {
  for (const [k, v] of Object.entries(src)) {
    const path = [...prefix, k];
    const key = path.join('.');
    if (isMapping(v) && isMapping(dst[k])) {
      mergeInto(dst[k] as Mapping, v, path, origin, origins);
      continue;
    }
    dst[k] = cloneTree(v);
    setOrigins(key, v, origin, origins);
  }
}

function setOrigins(key: string, v: unknown, origin: string, origins: OriginMap): void {
  for (const existing of [...origins.keys()])
    if (existing === key || existing.startsWith(`${key}.`)) origins.delete(existing);
  if (isMapping(v) && Object.keys(v).length > 0)
    for (const [k] of leaves(v, key)) origins.set(k, origin);
  else origins.set(key, origin);
}

function setPath(tree: Mapping, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const seg of path.slice(0, -1)) {
    if (!isMapping(node[seg])) node[seg] = {};
    node = node[seg] as Mapping;
  }
  node[path[path.length - 1]!] = value;
}

const OPTIONAL_KEYS = new Set(CONFIG_SCHEMA.filter((s) => s.optional).map((s) => s.key));

function applyOverrides(
  tree: Mapping,
  list: readonly Override[],
  added: Set<string>,
  origins: OriginMap,
): void {
  for (const o of list) {
    // Walk to the parent: every intermediate key must be a mapping.
    let node: unknown = tree;
    for (let i = 0; i < o.path.length - 1; i++) {
      const seg = o.path[i]!;
      const sub = (node as Mapping)[seg];
      if (sub === undefined && o.kind !== 'set') {
        (node as Mapping)[seg] = {};
      } else if (!isMapping(sub)) {
        const at = o.path.slice(0, i + 1).join('.');
        if (sub === undefined) {
          throw new ConfigError(
            `Could not override '${o.key}': '${at}' is not in the config.${suggestKey(o.key)} To add a new key, write +${o.text}.`,
            { key: o.key },
          );
        }
        throw new ConfigError(
          `Could not set '${o.key}' (${o.text}): '${at}' holds a value, not a mapping of keys.`,
          { key: o.key },
        );
      }
      node = (node as Mapping)[seg];
    }
    const parent = node as Mapping;
    const last = o.path[o.path.length - 1]!;
    const exists = Object.hasOwn(parent, last);
    if (o.kind === 'set' && !exists && !OPTIONAL_KEYS.has(o.key)) {
      throw new ConfigError(
        `Could not override '${o.key}': the key is not in the config.${suggestKey(o.key)} To add a new key, write +${o.text}.`,
        { key: o.key },
      );
    }
    if (o.kind === 'add' && exists) {
      throw new ConfigError(
        `Could not add '${o.key}': the config already has it (${JSON.stringify(getPath(tree, o.path))}${origins.get(o.key) ? `, from ${origins.get(o.key)}` : ''}). Drop the '+' to override it (${o.text.slice(1)}), or write +${o.text} to add or override.`,
        { key: o.key },
      );
    }
    if (o.kind !== 'set' && !exists && !CONFIG_SCHEMA.some((s) => s.key === o.key))
      added.add(o.key);
    parent[last] = cloneTree(o.value);
    setOrigins(o.key, o.value, `override ${o.text}`, origins);
  }
}
