import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandGroups, commands } from '../commands/definitions.js';
import { shippedConfigDir } from '../config/files.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { parseCommandArgs } from './args.js';
import { exitCodeFor } from './exit-code.js';
import { renderCommandHelp, renderGroupHelp, renderMainHelp } from './help.js';
import { invocation, spellCommands } from './invocation.js';
import type { CliIO, CommandContext, CommandHandler } from './types.js';

/** Loads a command's implementation on demand, so `trm generate` never loads the GPU packages. */
export type HandlerLoader = () => Promise<CommandHandler>;

/** The built-in handlers by full command name. */
export const defaultHandlers: Readonly<Record<string, HandlerLoader>> = {
  train: async () => (await import('../commands/train-flags.js')).trainCommand,
  eval: async () => (await import('../commands/eval-flags.js')).evalCommand,
  adapt: async () => (await import('../commands/adapt-flags.js')).adaptCommand,
  'build-dataset sudoku': async () => (ctx) =>
    import('../commands/build-dataset.js').then((m) => m.buildDatasetCommand('sudoku', ctx)),
  'build-dataset maze': async () => (ctx) =>
    import('../commands/build-dataset.js').then((m) => m.buildDatasetCommand('maze', ctx)),
  'build-dataset arc': async () => (ctx) =>
    import('../commands/build-dataset.js').then((m) => m.buildDatasetCommand('arc', ctx)),
  'generate sudoku': async () => (ctx) =>
    import('../commands/generate.js').then((m) => m.generateCommand('sudoku', ctx)),
  'generate maze': async () => (ctx) =>
    import('../commands/generate.js').then((m) => m.generateCommand('maze', ctx)),
  show: async () => (await import('../commands/show.js')).showCommand,
  presets: async () => (await import('../commands/presets-command.js')).presetsCommand,
  plot: async () => (await import('../commands/plot.js')).plotCommand,
  export: async () => (await import('../commands/export.js')).exportCommand,
  'predict arc': async () => (await import('../commands/predict-arc.js')).predictArcCommand,
};

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /** Streams, working directory and environment (default: the process's). */
  io?: Partial<CliIO>;
  /** Replace built-in handlers by full command name, e.g. `{ train: myTrain }`. */
  handlers?: Readonly<Record<string, CommandHandler>>;
}

let cachedVersion: string | undefined;

/** The package version (from package.json). */
export function cliVersion(): string {
  if (cachedVersion) return cachedVersion;
  try {
    const pkg = JSON.parse(
      readFileSync(join(shippedConfigDir(), '..', 'package.json'), 'utf8'),
    ) as { version?: string };
    cachedVersion = pkg.version ?? '0.0.0';
  } catch {
    cachedVersion = '0.0.0';
  }
  return cachedVersion;
}

function formatError(
  err: unknown,
  command: string | undefined,
  debug: boolean,
  cmd: string,
): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const lines = [`trm${command ? ` ${command}` : ''}: error: ${spellCommands(e.message, cmd)}`];
  if (err instanceof CliError && err.hint) lines.push(spellCommands(err.hint, cmd));
  if (err instanceof UsageError) {
    const about = err.command ?? command;
    lines.push(
      about
        ? `Run '${cmd} ${about} --help' for usage.`
        : `Run '${cmd} --help' for the list of commands.`,
    );
  }
  if (debug) lines.push('', e.stack ?? '');
  else if (exitCodeFor(err) === EXIT_FAILURE)
    lines.push('(run again with --debug for the stack trace)');
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `trm` with the arguments after the program name and resolves to the exit code:
 * 0 success, 1 runtime failure, 2 usage/config/input error. Never calls `process.exit`;
 * errors are printed as one paragraph on stderr (with the stack trace under `--debug`).
 */
export async function runCli(
  argv: readonly string[],
  options: RunCliOptions = {},
): Promise<number> {
  const io: CliIO = {
    stdout: options.io?.stdout ?? process.stdout,
    stderr: options.io?.stderr ?? process.stderr,
    cwd: options.io?.cwd ?? process.cwd(),
    env: options.io?.env ?? process.env,
  };
  const debug = argv.includes('--debug');
  let commandName: string | undefined;
  try {
    const args = [...argv];
    const first = args.find((a) => a !== '--debug');
    if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
      // `trm help train`, `trm -h train` and `trm --help train` all mean `trm train --help`.
      const topic =
        first === undefined
          ? []
          : args.slice(args.indexOf(first) + 1).filter((a) => !a.startsWith('-'));
      if (topic.length > 0) return await runCli([...topic, '--help'], options);
      io.stdout.write(renderMainHelp(cliVersion(), invocation(io.env)));
      return first === undefined ? EXIT_USAGE : 0;
    }
    if (first === '-V' || first === '--version' || first === 'version') {
      io.stdout.write(`${cliVersion()}\n`);
      return 0;
    }
    args.splice(args.indexOf(first), 1);
    if (first.startsWith('-')) {
      throw new UsageError(
        `Unknown option '${first}'. A command comes first: trm <command> [options].`,
      );
    }

    const group = commandGroups.find((g) => g.name === first);
    let meta = commands.find((c) => c.name === first);
    if (group) {
      const sub = args.find((a) => !a.startsWith('-'));
      if (sub === undefined) {
        if (args.includes('--help') || args.includes('-h')) {
          io.stdout.write(renderGroupHelp(group, invocation(io.env)));
          return 0;
        }
        const kinds = group.subcommands.map((s) => s.split(' ')[1]!);
        throw new UsageError(`trm ${group.name} needs a kind: ${kinds.join(', ')}.`, {
          command: group.name,
        });
      }
      meta = commands.find((c) => c.name === `${group.name} ${sub}`);
      if (!meta) {
        const kinds = group.subcommands.map((s) => s.split(' ')[1]!);
        const hint = closest(sub, kinds);
        throw new UsageError(
          `Unknown kind '${sub}' for trm ${group.name}; expected one of ${kinds.join(', ')}.${hint ? ` Did you mean '${hint}'?` : ''}`,
          {
            command: group.name,
          },
        );
      }
      args.splice(args.indexOf(sub), 1);
    }
    if (!meta) {
      const names = [...commands.map((c) => c.name.split(' ')[0]!), 'help', 'version'];
      const hint = closest(first, [...new Set(names)]);
      throw new UsageError(
        `Unknown command '${first}'.${hint ? ` Did you mean 'trm ${hint}'?` : ''}`,
      );
    }
    commandName = meta.name;
    const parsed = parseCommandArgs(meta, args);
    if (parsed.help) {
      io.stdout.write(renderCommandHelp(meta, invocation(io.env)));
      return 0;
    }
    const ctx: CommandContext = {
      command: meta,
      flags: parsed.flags,
      positionals: parsed.positionals,
      overrides: parsed.overrides,
      io,
      debug: parsed.debug || debug,
    };
    const handler = options.handlers?.[meta.name] ?? (await defaultHandlers[meta.name]!());
    const code = await handler(ctx);
    return code ?? 0;
  } catch (err) {
    io.stderr.write(formatError(err, commandName, debug, invocation(io.env)));
    return exitCodeFor(err);
  }
}
