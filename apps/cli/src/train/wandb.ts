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

/**
 * Weights & Biases logging through `@wandb/sdk`, when `WANDB_API_KEY` is set or
 * `logger=wandb` is asked for. Its absence or any failure prints a warning and training goes
 * on: W&B is never a reason to lose a run.
 */
export async function createWandbSink(args: {
  io: CliIO;
  requested: boolean;
  project: string;
  run: string;
  config: Record<string, unknown>;
  /** For tests: the module to use instead of importing `@wandb/sdk`. */
  module?: WandbModule;
}): Promise<MetricSink | null> {
  const { io } = args;
  if (!args.requested && !io.env.WANDB_API_KEY) return null;
  const warn = (what: string) =>
    io.stderr.write(`warning: Weights & Biases logging is off: ${what}. Training continues.\n`);
  let wandb: WandbModule;
  try {
    wandb =
      args.module ?? ((await import('@wandb/sdk' as string)) as { default: WandbModule }).default;
  } catch {
    warn('the @wandb/sdk package could not be loaded (pnpm add @wandb/sdk)');
    return null;
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
