import type { OutputStream } from '../cli/types.js';
import { formatDuration } from '../util/progress.js';

/** What one training step shows besides its number. */
export interface StepFigures {
  loss: number;
  /** Accuracy of the rows that halted (the last step that had some). */
  accuracy: number;
  lr: number;
}

/**
 * The training progress display: `step 120/400 [#####-----] 3.1 steps/s 0m42s elapsed, ETA
 * 1m30s | lr 3.0e-3 loss 1.2300 acc 0.456`, redrawn in place on a terminal, a plain line every
 * 10% or 30 s otherwise.
 */
export class TrainProgress {
  private readonly start = Date.now();
  private lastDraw = 0;
  private lastLine = Date.now();
  private lastBucket = -1;
  private drawn = false;

  constructor(
    private readonly out: OutputStream,
    private readonly total: number,
    private readonly firstStep: number,
  ) {}

  update(step: number, figures: StepFigures): void {
    const now = Date.now();
    const done = step - this.firstStep;
    const elapsed = now - this.start;
    const rate = done / Math.max(elapsed / 1000, 1e-9);
    const left = (this.total - step) / Math.max(rate, 1e-9);
    const frac = this.total > 0 ? step / this.total : 1;
    const width = 20;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '-');
    const { loss, accuracy, lr } = figures;
    // The first steps also compile the kernels: an estimate from them would be far off.
    const eta = done < 5 ? '…' : formatDuration(left * 1000);
    const text = `step ${step}/${this.total} [${bar}] ${rate.toFixed(2)} steps/s ${formatDuration(elapsed)} elapsed, ETA ${eta} | lr ${lr.toExponential(1)} loss ${loss.toFixed(4)} acc ${accuracy.toFixed(3)}`;
    if (this.out.isTTY) {
      if (now - this.lastDraw < 100 && step < this.total) return;
      this.lastDraw = now;
      this.out.write(`\r\x1b[2K${text}`);
      this.drawn = true;
    } else {
      const bucket = Math.floor(frac * 10);
      if (bucket === this.lastBucket && now - this.lastLine < 30_000 && step < this.total) return;
      this.lastBucket = bucket;
      this.lastLine = now;
      this.out.write(`${text}\n`);
    }
  }

  /** Clears the bar so that another display (the evaluation's) can take the line. */
  pause(): void {
    if (this.drawn && this.out.isTTY) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }

  /** Prints a line without tearing the bar. */
  note(line: string): void {
    if (this.drawn && this.out.isTTY) this.out.write('\r\x1b[2K');
    this.out.write(`${line}\n`);
    this.drawn = false;
  }

  finish(): void {
    if (this.drawn && this.out.isTTY) this.out.write('\n');
    this.drawn = false;
  }
}
