import type { CliIO } from '../cli/types.js';

/** Where training metrics go besides `metrics.jsonl`. */
export interface MetricSink {
  log(step: number, metrics: Record<string, number>): void;
  finish(): Promise<void>;
}

interface WandbModule {
  init(options: {
    project?: string;
    name?: string;
    config?: Record<string, unknown>;
  }): Promise<unknown>;
  log(metrics: Record<string, number>, options?: { step?: number }): void;
  finish(): Promise<void>;
}

/** How to get `@wandb/sdk`, an optional peer dependency of `@trm/cli`. */
export const WANDB_INSTALL_HINT =
  'install it where @trm/cli is installed (npm install @wandb/sdk; npm install -g @wandb/sdk for a global trm)';

/**
 * Whether a run asked for Weights & Biases logging: the `logger=wandb` config key (also
 * spelled `+logger=wandb` or `++logger=wandb`, or kept in a resumed run's `all_config.yaml`)
 * or `TRM_LOGGER=wandb` in the environment. `WANDB_API_KEY` alone turns it on as well, in
 * {@link createWandbSink}.
 */
export function wandbRequested(config: { logger?: string | null }, env: NodeJS.ProcessEnv) {
  return config.logger === 'wandb' || env.TRM_LOGGER === 'wandb';
}

function isMissingWandb(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    String(e.message).includes('@wandb/sdk')
  );
}

/**
 * Weights & Biases logging through `@wandb/sdk`, when `WANDB_API_KEY` is set or
 * `logger=wandb` is asked for. The package is an optional peer dependency, imported only here;
 * its absence or any failure prints a warning and training goes on: W&B is never a reason to
 * lose a run.
 */
export async function createWandbSink(args: {
  io: CliIO;
  requested: boolean;
  project: string;
  run: string;
  config: Record<string, unknown>;
  /** For tests: the module to use instead of importing `@wandb/sdk`. */
  module?: WandbModule;
  /** For tests: how `@wandb/sdk` is imported. */
  load?: () => Promise<unknown>;
}): Promise<MetricSink | null> {
  const { io } = args;
  if (!args.requested && !io.env.WANDB_API_KEY) return null;
  const warn = (what: string) =>
    io.stderr.write(`warning: Weights & Biases logging is off: ${what}. Training continues.\n`);
  let wandb: WandbModule;
  if (args.module) {
    wandb = args.module;
  } else {
    let loaded: unknown;
    try {
      loaded = await (args.load ?? (() => import('@wandb/sdk' as string)))();
    } catch (error) {
      const why = args.requested ? 'logger=wandb' : 'WANDB_API_KEY is set, but W&B logging';
      warn(
        isMissingWandb(error)
          ? `${why} needs the optional package @wandb/sdk, which is not installed: ${WANDB_INSTALL_HINT}`
          : `the @wandb/sdk package could not be loaded (${(error as Error).message})`,
      );
      return null;
    }
    const mod = loaded as { default?: Partial<WandbModule> } & Partial<WandbModule>;
    const api = typeof mod.default?.init === 'function' ? mod.default : mod;
    if (
      typeof api.init !== 'function' ||
      typeof api.log !== 'function' ||
      typeof api.finish !== 'function'
    ) {
      warn('the installed @wandb/sdk has no init/log/finish (a version this trm does not know)');
      return null;
    }
    wandb = api as WandbModule;
  }
  try {
    await wandb.init({ project: args.project, name: args.run, config: args.config });
  } catch (error) {
    warn(`wandb.init failed (${(error as Error).message})`);
    return null;
  }
  let broken = false;
  return {
    log(step, metrics) {
      if (broken) return;
      try {
        wandb.log(metrics, { step });
      } catch (error) {
        broken = true;
        warn(`wandb.log failed (${(error as Error).message})`);
      }
    },
    async finish() {
      if (broken) return;
      try {
        await wandb.finish();
      } catch (error) {
        warn(`wandb.finish failed (${(error as Error).message})`);
      }
    },
  };
}
