import type { OutputStream } from '../cli/types.js';

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * The training progress display: `step 120/400 [#####-----] 3.1 steps/s ETA 1m30s loss 1.23
 * acc 0.456`, redrawn in place on a terminal, a plain line every 10% or 30 s otherwise.
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

  update(step: number, loss: number, accuracy: number): void {
    const now = Date.now();
    const done = step - this.firstStep;
    const rate = done / Math.max((now - this.start) / 1000, 1e-9);
    const left = (this.total - step) / Math.max(rate, 1e-9);
    const frac = this.total > 0 ? step / this.total : 1;
    const width = 20;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '-');
    const text = `step ${step}/${this.total} [${bar}] ${rate.toFixed(2)} steps/s ETA ${clock(left * 1000)} loss ${loss.toFixed(4)} acc ${accuracy.toFixed(3)}`;
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
