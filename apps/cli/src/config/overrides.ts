import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';

/** How an override token changes the config. */
export type OverrideKind = 'set' | 'add' | 'force';

/** One parsed command-line override (`key=value`, `+key=value`, `++key=value`). */
export interface Override {
  kind: OverrideKind;
  /** Dotted key as written. */
  key: string;
  /** Key path segments. */
  path: string[];
  /** Parsed value (YAML flow syntax: numbers, booleans, null, [lists], {maps}, strings). */
  value: unknown;
  /** The token as given, for messages and `sources`. */
  text: string;
}

const KEY_RE = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;

/** Whether a command-line token looks like an override rather than a positional argument. */
export function isOverrideToken(token: string): boolean {
  const m = /^(\+{0,2})([^=]+)=/.exec(token);
  return m !== null && KEY_RE.test(m[2]!);
}

/** The dotted key an override token sets, without its `+`/`++`/`~` prefix (`+seed=1` → `seed`). */
export function overrideKey(token: string): string {
  return token.replace(/^[+~]+/, '').split('=')[0]!;
}

/**
 * Parses a Hydra-style override. Values use YAML flow syntax, as Hydra's grammar does for
 * the common cases: `2e-4` and `100` are numbers, `True`/`false` booleans, `null` null,
 * `[a,b]` a list, `{name: arc}` a mapping, `'1'` a string; an empty value is the empty
 * string; a value holding `${…}` stays a string for interpolation.
 */
export function parseOverride(token: string): Override {
  const m = /^(\+{0,2})([^=]*)=([\s\S]*)$/.exec(token);
  if (!m) {
    if (token.startsWith('~')) {
      throw new ConfigError(
        `'${token}': deleting keys with ~ is not supported; set the key to null or to another value instead.`,
      );
    }
    throw new ConfigError(
      `'${token}' is not an override: expected key=value (or +key=value to add a new key).`,
    );
  }
  const plus = m[1]!;
  const key = m[2]!;
  if (!KEY_RE.test(key)) {
    throw new ConfigError(
      `'${token}': '${key}' is not a valid key; keys are dotted names such as lr or arch.L_layers.`,
    );
  }
  const kind: OverrideKind = plus === '++' ? 'force' : plus === '+' ? 'add' : 'set';
  return { kind, key, path: key.split('.'), value: parseOverrideValue(m[3]!, token), text: token };
}

/** Parses the value part of an override (see {@link parseOverride}). */
export function parseOverrideValue(raw: string, token = raw): unknown {
  const text = raw.trim();
  if (text === '') return '';
  if (text.includes('${') && !/^[[{]/.test(text)) return text;
  try {
    return parseYaml(text, { schema: 'core', strict: true, uniqueKeys: true });
  } catch (e) {
    throw new ConfigError(
      `'${token}': cannot parse the value '${raw}': ${firstLine((e as Error).message)}. Quote it to pass a plain string.`,
      { cause: e },
    );
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/\s+at line \d+, column \d+:?$/, '');
}
