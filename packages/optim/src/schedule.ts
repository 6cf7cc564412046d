/** A learning rate as a function of the step number (counting from 1 at the first batch). */
export type LrSchedule = (step: number) => number;

/** Options of {@link cosineWithWarmup}, named as in the training config (spec §1, §7). */
export interface CosineScheduleOptions {
  /** Peak learning rate (`lr`, or `puzzle_emb_lr`). */
  base: number;
  /** Steps of linear warm-up (`lr_warmup_steps`). */
  warmupSteps: number;
  /** Total training steps. */
  totalSteps: number;
  /** Final learning rate as a fraction of `base` (`lr_min_ratio`; 1 means constant after warm-up). */
  minRatio: number;
}

/**
 * Linear warm-up, then cosine decay to `minRatio · base` (spec §7):
 * `base · step / max(1, warmup)` while `step < warmup`; afterwards, with
 * `progress = (step - warmup) / max(1, total - warmup)`,
 * `base · (minRatio + max(0, (1 - minRatio) · ½ · (1 + cos(π · progress))))`.
 */
export function cosineWithWarmup(options: CosineScheduleOptions): LrSchedule {
  const { base, warmupSteps, totalSteps, minRatio } = options;
  for (const [key, value] of Object.entries(options)) {
    if (!Number.isFinite(value))
      throw new RangeError(`cosineWithWarmup: ${key} must be a finite number, got ${value}`);
  }
  if (warmupSteps < 0 || totalSteps < 0)
    throw new RangeError('cosineWithWarmup: step counts must be ≥ 0');
  return (step) => {
    if (step < warmupSteps) return (base * step) / Math.max(1, warmupSteps);
    const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    return (
      base * (minRatio + Math.max(0, (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress))))
    );
  };
}

/** A constant learning rate. */
export function constantLr(lr: number): LrSchedule {
  return () => lr;
}

type ScheduleFactory = (options: CosineScheduleOptions) => LrSchedule;
const schedules = new Map<string, ScheduleFactory>([
  ['cosine', cosineWithWarmup],
  ['constant', (o) => constantLr(o.base)],
]);

/** Adds a named schedule, so configs can select it. */
export function registerSchedule(name: string, factory: ScheduleFactory): void {
  schedules.set(name, factory);
}

/** Builds a registered schedule by name (`cosine` is the reference's). */
export function createSchedule(name: string, options: CosineScheduleOptions): LrSchedule {
  const factory = schedules.get(name);
  if (!factory) {
    throw new Error(
      `Unknown learning-rate schedule "${name}"; known: ${[...schedules.keys()].join(', ')}.`,
    );
  }
  return factory(options);
}
