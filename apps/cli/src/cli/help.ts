import { commandGroups, commands, globalFlags } from '../commands/definitions.js';
import { spellCommands } from './invocation.js';
import type { CommandGroupMeta, CommandMeta, FlagMeta } from './types.js';

function table(rows: [string, string][], indent = '  '): string {
  const width = Math.min(34, Math.max(...rows.map(([a]) => a.length)) + 2);
  const pad = `${indent}${' '.repeat(width)}`;
  return rows
    .map(([a, b]) => {
      const text = wrap(b, Math.max(40, 100 - pad.length))
        .split('\n')
        .join(`\n${pad}`);
      return a.length + 2 > width
        ? `${indent}${a}\n${pad}${text}`
        : `${indent}${a.padEnd(width)}${text}`;
    })
    .join('\n');
}

function flagLabel(f: FlagMeta): string {
  const names = [
    f.negatable ? `--[no-]${f.name}` : `--${f.name}`,
    ...(f.aliases ?? []).map((a) => `--${a}`),
  ].join(', ');
  if (f.type === 'boolean') return names;
  const v = f.valueName ?? 'VALUE';
  return `${names} ${f.type === 'string[]' ? `${v} ...` : v}`;
}

function flagText(f: FlagMeta): string {
  let s = f.description;
  if (f.choices) s += ` One of: ${f.choices.join(', ')}.`;
  if (f.required) s += ' Required.';
  else if (f.default !== undefined && !(f.type === 'boolean' && f.default === false)) {
    s += ` Default: ${Array.isArray(f.default) ? f.default.join(' ') : String(f.default)}.`;
  }
  if (f.note) s += ` (${f.note})`;
  return s;
}

/** `trm --help`; `cmd` is how the user runs trm (see ./invocation.ts). */
export function renderMainHelp(version: string, cmd = 'trm'): string {
  const rows: [string, string][] = [];
  const grouped = new Set(commandGroups.flatMap((g) => g.subcommands));
  for (const c of commands) {
    if (grouped.has(c.name)) continue;
    rows.push([c.name, c.summary + (c.stub ? ' [not wired yet]' : '')]);
  }
  for (const g of commandGroups)
    for (const s of g.subcommands) rows.push([s, commands.find((c) => c.name === s)!.summary]);
  rows.sort((a, b) => a[0].localeCompare(b[0]));
  return [
    `trm ${version}: Tiny Recursive Models on WebGPU, from the command line.`,
    '',
    `Usage: ${cmd} <command> [options]`,
    '',
    'Commands:',
    table(rows),
    '',
    'Global options:',
    table([
      ['-h, --help', `Show help (also: ${cmd} <command> --help).`],
      ['-V, --version', 'Print the version.'],
      ['--debug', 'Print stack traces on errors.'],
    ]),
    '',
    'Exit codes: 0 success, 1 runtime failure, 2 usage, config or input error.',
    '',
  ].join('\n');
}

/** `trm <command> --help`. */
export function renderCommandHelp(c: CommandMeta, cmd = 'trm'): string {
  const parts = [`Usage: ${cmd} ${c.usage}`, '', wrap(spellCommands(c.description, cmd), 100), ''];
  if (c.stub) parts.push('Note: this command is not wired to the model packages yet.', '');
  if (c.positionals.length > 0) {
    parts.push(
      'Arguments:',
      table(c.positionals.map((p) => [p.name.toUpperCase(), p.description])),
      '',
    );
  }
  if (c.flags.length > 0)
    parts.push('Options:', table(c.flags.map((f) => [flagLabel(f), flagText(f)])), '');
  if (c.overrides) {
    parts.push(
      'Config overrides:',
      table([
        ['key=value', 'Set a key: lr=2e-4, arch.L_layers=2, data_paths="[a,b]", evaluators="[]".'],
        ['+key=value', 'Add a key the config does not have (+run_name=my_run).'],
        ['++key=value', 'Add or override.'],
        ['arch=NAME', 'Select arch/NAME.yaml.'],
        ['preset=NAME', 'Select presets/NAME.yaml (same as --preset).'],
      ]),
      '',
    );
  }
  parts.push('Global options:', table(globalFlags.map((f) => [flagLabel(f), f.description])), '');
  if (c.examples.length > 0) {
    parts.push('Examples:');
    for (const e of c.examples)
      parts.push(`  ${spellCommands(e.command, cmd)}`, `      ${e.description}`);
    parts.push('');
  }
  return parts.join('\n');
}

/** `trm build-dataset --help`. */
export function renderGroupHelp(g: CommandGroupMeta, cmd = 'trm'): string {
  return [
    `Usage: ${cmd} ${g.name} <${g.subcommands.map((s) => s.split(' ')[1]).join('|')}> [options]`,
    '',
    wrap(g.description, 100),
    '',
    'Commands:',
    table(g.subcommands.map((s) => [s, commands.find((c) => c.name === s)!.summary])),
    '',
    `Run '${cmd} ${g.name} <kind> --help' for the options of each.`,
    '',
  ].join('\n');
}

function wrap(text: string, width: number): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line.length + word.length + 1 > width && line) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.join('\n');
}
