import { ConfigError } from '../errors.js';
import { isMapping } from './tree.js';

const WHOLE_RE = /^\$\{([^${}]+)\}$/;
const PART_RE = /\\?\$\{([^${}]+)\}/g;

/**
 * Resolves `${…}` interpolations in place, OmegaConf-style:
 * - `${a.b}` absolute from the root; `${.b}` relative to the mapping holding the value;
 *   `${..b}` one level further up, and so on;
 * - `${oc.env:NAME}` / `${oc.env:NAME,default}` an environment variable;
 * - a value that is exactly one interpolation takes the referenced value with its type;
 *   embedded in longer text it is converted to a string; `\${` escapes.
 * Cycles and references to missing keys are {@link ConfigError}s.
 */
export function resolveInterpolations(
  root: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const resolving = new Set<string>();
  const done = new Set<string>();

  const lookup = (ref: string, parentPath: string[], fromKey: string): unknown => {
    const trimmed = ref.trim();
    if (trimmed.startsWith('oc.env:')) {
      const [name, ...rest] = trimmed.slice('oc.env:'.length).split(',');
      const v = env[name!.trim()];
      if (v !== undefined) return v;
      if (rest.length > 0) return rest.join(',').trim();
      throw new ConfigError(
        `${fromKey}: environment variable '${name!.trim()}' referenced by \${${ref}} is not set.`,
        { key: fromKey },
      );
    }
    let path: string[];
    if (trimmed.startsWith('.')) {
      const dots = /^\.+/.exec(trimmed)![0].length;
      const up = dots - 1;
      if (up > parentPath.length)
        throw new ConfigError(`${fromKey}: \${${ref}} goes above the config root.`, {
          key: fromKey,
        });
      path = [...parentPath.slice(0, parentPath.length - up), ...trimmed.slice(dots).split('.')];
    } else {
      path = trimmed.split('.');
    }
    const target = path.join('.');
    let node: unknown = root;
    const parents: string[] = [];
    for (const seg of path) {
      if (!isMapping(node) || !(seg in node)) {
        throw new ConfigError(
          `${fromKey}: the interpolation \${${ref}} refers to '${target}', which is not in the config.`,
          { key: fromKey },
        );
      }
      parents.push(seg);
      node = node[seg];
    }
    // Make sure the target itself is resolved first.
    if (typeof node === 'string' && node.includes('${')) {
      resolveAt(path.slice(0, -1), path[path.length - 1]!);
      let n: unknown = root;
      for (const seg of path) n = (n as Record<string, unknown>)[seg];
      return n;
    }
    if (isMapping(node) || Array.isArray(node)) walk(node, path);
    return node;
  };

  const resolveString = (s: string, parentPath: string[], fromKey: string): unknown => {
    const whole = WHOLE_RE.exec(s);
    if (whole) return lookup(whole[1]!, parentPath, fromKey);
    return s.replace(PART_RE, (match, ref: string) => {
      if (match.startsWith('\\')) return match.slice(1);
      const v = lookup(ref, parentPath, fromKey);
      if (isMapping(v) || Array.isArray(v)) {
        throw new ConfigError(
          `${fromKey}: \${${ref}} is a ${Array.isArray(v) ? 'list' : 'mapping'} and cannot be embedded in text.`,
          { key: fromKey },
        );
      }
      return String(v);
    });
  };

  function resolveAt(parentPath: string[], key: string): void {
    const full = [...parentPath, key].join('.');
    if (done.has(full)) return;
    if (resolving.has(full)) {
      throw new ConfigError(
        `${full}: interpolation cycle (${[...resolving, full].join(' -> ')}).`,
        { key: full },
      );
    }
    let parent: unknown = root;
    for (const seg of parentPath) parent = (parent as Record<string, unknown>)[seg];
    const container = parent as Record<string, unknown>;
    const value = container[key];
    if (typeof value === 'string' && value.includes('${')) {
      resolving.add(full);
      container[key] = resolveString(value, parentPath, full);
      resolving.delete(full);
    } else if (isMapping(value) || Array.isArray(value)) {
      walk(value, [...parentPath, key]);
    }
    done.add(full);
  }

  function walk(node: Record<string, unknown> | unknown[], path: string[]): void {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        const key = `${path.join('.')}[${i}]`;
        if (typeof item === 'string' && item.includes('${'))
          node[i] = resolveString(item, path, key);
        else if (isMapping(item) || Array.isArray(item)) walk(item, path);
      });
      return;
    }
    for (const key of Object.keys(node)) resolveAt(path, key);
  }

  walk(root, []);
}
