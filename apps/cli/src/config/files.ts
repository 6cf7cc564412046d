import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError, InputError } from '../errors.js';
import { isMapping, type Mapping } from './tree.js';

let shippedDir: string | undefined;

/**
 * The directory of the YAML files shipped with the package (`apps/cli/config`): found by
 * walking up from this module, so it works from `src/` (tests) and from `dist/` (built).
 */
export function shippedConfigDir(): string {
  if (shippedDir) return shippedDir;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'config');
    if (existsSync(join(candidate, 'cfg_pretrain.yaml'))) {
      shippedDir = candidate;
      return candidate;
    }
    dir = dirname(dir);
  }
  throw new Error(
    'the shipped config directory (config/cfg_pretrain.yaml) is missing from the @trm/cli package',
  );
}

/** Ordered config search path: the user's `--config-dir` first, then the shipped files. */
export function configSearchPath(configDir: string | undefined, cwd = process.cwd()): string[] {
  const dirs: string[] = [];
  if (configDir !== undefined) {
    const abs = resolve(cwd, configDir);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) {
      throw new InputError(`--config-dir ${configDir}: no such directory.`, { file: abs });
    }
    dirs.push(abs);
  }
  dirs.push(shippedConfigDir());
  return dirs;
}

/** First `rel` (e.g. `arch/trm.yaml`) found on the search path, or undefined. */
export function findConfigFile(searchPath: readonly string[], rel: string): string | undefined {
  for (const dir of searchPath) {
    const p = join(dir, rel);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

/** Names (without `.yaml`) of the configs in `sub` (a group such as `arch`, or `presets`). */
export function listConfigNames(searchPath: readonly string[], sub: string): string[] {
  const names = new Set<string>();
  for (const dir of searchPath) {
    const d = join(dir, sub);
    if (!existsSync(d) || !statSync(d).isDirectory()) continue;
    for (const f of readdirSync(d)) if (/\.ya?ml$/.test(f)) names.add(f.replace(/\.ya?ml$/, ''));
  }
  return [...names].sort();
}

/** Whether `name` is a config group (a directory on the search path other than presets). */
export function isConfigGroup(searchPath: readonly string[], name: string): boolean {
  if (name === 'presets') return false;
  return searchPath.some(
    (dir) => existsSync(join(dir, name)) && statSync(join(dir, name)).isDirectory(),
  );
}

/** Reads a YAML file that must hold a mapping (an empty file is an empty mapping). */
export function readYamlMapping(path: string): Mapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`${path}: cannot read: ${(e as Error).message}`, { file: path, cause: e });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { schema: 'core', uniqueKeys: true });
  } catch (e) {
    throw new ConfigError(`${path}: invalid YAML: ${(e as Error).message.split('\n')[0]}`, {
      cause: e,
    });
  }
  if (doc === null || doc === undefined) return {};
  if (!isMapping(doc))
    throw new ConfigError(
      `${path}: expected a mapping of keys at the top level, found ${Array.isArray(doc) ? 'a list' : typeof doc}.`,
    );
  return doc;
}
