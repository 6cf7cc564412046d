import { isOverrideToken } from '../config/overrides.js';
import { UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import type { CommandMeta, FlagMeta, FlagValue } from './types.js';

/** Result of {@link parseCommandArgs}. */
export interface ParsedArgs {
  flags: Record<string, FlagValue>;
  positionals: string[];
  overrides: string[];
  help: boolean;
  debug: boolean;
}

/**
 * Parses a command's arguments against its metadata: `--name value`, `--name=value`,
 * `--flag` / `--no-flag` for booleans, `--list a b c` (values up to the next flag) for
 * lists, `--` to end flags, and `key=value` overrides for commands that take them.
 * Defaults are applied; every problem is a {@link UsageError}.
 */
export function parseCommandArgs(meta: CommandMeta, argv: readonly string[]): ParsedArgs {
  const byName = new Map<string, FlagMeta>();
  for (const f of meta.flags) {
    byName.set(f.name, f);
    for (const a of f.aliases ?? []) byName.set(a, f);
  }
  const flags: Record<string, FlagValue> = {};
  const seen = new Set<string>();
  const positionals: string[] = [];
  const overrides: string[] = [];
  let help = false;
  let debug = false;
  let onlyPositionals = false;

  const fail = (message: string) => new UsageError(message, { command: meta.name });

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (onlyPositionals || !token.startsWith('-') || token === '-' || /^-\d/.test(token)) {
      if (meta.overrides && isOverrideToken(token)) overrides.push(token);
      else positionals.push(token);
      continue;
    }
    if (token === '--') {
      onlyPositionals = true;
      continue;
    }
    if (token === '-h' || token === '--help') {
      help = true;
      continue;
    }
    if (token === '--debug') {
      debug = true;
      continue;
    }
    if (!token.startsWith('--')) {
      throw fail(
        `Unknown option '${token}' for trm ${meta.name}. Options are written with two dashes, e.g. --${meta.flags[0]?.name ?? 'help'}.`,
      );
    }
    const eq = token.indexOf('=');
    let name = eq >= 0 ? token.slice(2, eq) : token.slice(2);
    const inline = eq >= 0 ? token.slice(eq + 1) : undefined;
    let negated = false;
    let flag = byName.get(name);
    if (!flag && name.startsWith('no-')) {
      const base = byName.get(name.slice(3));
      if (base && base.type === 'boolean') {
        flag = base;
        negated = true;
        name = name.slice(3);
      }
    }
    if (!flag) {
      const names = [...byName.keys(), 'help', 'debug'];
      const hint = closest(name, names);
      throw fail(
        `Unknown option '--${name}' for trm ${meta.name}.${hint ? ` Did you mean '--${hint}'?` : ''}`,
      );
    }
    if (seen.has(flag.name) && flag.type !== 'string[]') {
      throw fail(`Option --${flag.name} was given more than once.`);
    }
    seen.add(flag.name);

    if (flag.type === 'boolean') {
      if (inline !== undefined) {
        if (negated) throw fail(`--no-${flag.name} takes no value.`);
        if (!/^(true|false|1|0|yes|no)$/i.test(inline))
          throw fail(`--${flag.name} expects true or false, got '${inline}'.`);
        flags[flag.name] = /^(true|1|yes)$/i.test(inline);
      } else {
        flags[flag.name] = !negated;
      }
      continue;
    }
    if (negated) throw fail(`--no-${flag.name} is not an option (--${flag.name} takes a value).`);

    if (flag.type === 'string[]') {
      const values: string[] = (flags[flag.name] as string[] | undefined) ?? [];
      if (inline !== undefined) values.push(...inline.split(',').filter((s) => s !== ''));
      else {
        while (
          i + 1 < argv.length &&
          !argv[i + 1]!.startsWith('-') &&
          !(meta.overrides && isOverrideToken(argv[i + 1]!))
        ) {
          values.push(argv[++i]!);
        }
      }
      if (values.length === 0)
        throw fail(`--${flag.name} expects at least one ${flag.valueName ?? 'value'}.`);
      flags[flag.name] = values;
      continue;
    }

    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw fail(`--${flag.name} expects a value (${flag.valueName ?? flag.type}).`);
      }
      raw = next;
      i++;
    }
    flags[flag.name] = convert(flag, raw, fail);
  }

  for (const f of meta.flags) {
    if (flags[f.name] === undefined && f.default !== undefined) {
      flags[f.name] = Array.isArray(f.default) ? [...f.default] : f.default;
    }
  }
  if (!help) {
    for (const f of meta.flags) {
      if (f.required && flags[f.name] === undefined)
        throw fail(`Missing required option --${f.name}${f.valueName ? ` ${f.valueName}` : ''}.`);
    }
    const declared = meta.positionals;
    for (let p = 0; p < declared.length; p++) {
      const d = declared[p]!;
      if (positionals[p] === undefined && d.required)
        throw fail(`Missing the ${d.name.toUpperCase()} argument.`);
      if (positionals[p] !== undefined && d.choices && !d.choices.includes(positionals[p]!)) {
        const hint = closest(positionals[p]!, d.choices);
        throw fail(
          `'${positionals[p]}' is not a valid ${d.name}; expected one of ${d.choices.join(', ')}.${hint ? ` Did you mean '${hint}'?` : ''}`,
        );
      }
    }
    if (positionals.length > declared.length && !declared.at(-1)?.repeated) {
      const extra = positionals[declared.length]!;
      const why = meta.overrides ? ' Config overrides are written key=value.' : '';
      throw fail(`Unexpected argument '${extra}' for trm ${meta.name}.${why}`);
    }
  }
  return { flags, positionals, overrides, help, debug };
}

function convert(flag: FlagMeta, raw: string, fail: (m: string) => UsageError): FlagValue {
  let value: string | number = raw;
  if (flag.type === 'integer') {
    if (!/^[+-]?\d+$/.test(raw.trim()))
      throw fail(`--${flag.name} expects an integer, got '${raw}'.`);
    value = Number.parseInt(raw, 10);
  } else if (flag.type === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || Number.isNaN(n))
      throw fail(`--${flag.name} expects a number, got '${raw}'.`);
    value = n;
  }
  if (flag.choices && !flag.choices.includes(String(value))) {
    const hint = typeof value === 'number' ? undefined : closest(value, flag.choices);
    throw fail(
      `--${flag.name} must be one of ${flag.choices.join(', ')}, got '${raw}'.${hint ? ` Did you mean '${hint}'?` : ''}`,
    );
  }
  return value;
}
