import type { TrainProgress } from './progress-line.js';
import type { RunLog } from './run-log.js';
import type { MetricSink } from './wandb.js';

/** Charts are also redrawn this often during training, not only at evaluations. */
const CHART_REDRAW_MS = 60_000;

/**
 * What a run shows and records as it goes: the progress line on stderr, `metrics.jsonl` and
 * its charts in the run directory (rank 0 only: `log` is null elsewhere), and W&B when on.
 */
export class RunOutput {
  private chartsDrawn = Date.now();
  /** Train accuracy for the display: the last step where some rows halted. */
  private shownAccuracy = 0;

  constructor(
    readonly progress: TrainProgress,
    private readonly log: RunLog | null,
    private readonly sink: MetricSink | null,
  ) {}

  /** Records one training step's metrics and moves the progress line on. */
  trainStep(step: number, metrics: Record<string, number>, lr: number): void {
    this.log?.append(step, metrics);
    this.sink?.log(step, metrics);
    if (this.log && Date.now() - this.chartsDrawn >= CHART_REDRAW_MS) this.drawCharts();
    // Accuracy counts halted rows only; keep the last step that had some, for the display.
    if (metrics['train/count']! > 0) this.shownAccuracy = metrics['train/accuracy']!;
    this.progress.update(step, {
      loss: metrics['train/lm_loss']!,
      accuracy: this.shownAccuracy,
      lr,
    });
  }

  /** Records an evaluation's metrics and prints them under the progress line. */
  evaluation(step: number, metrics: Record<string, number>): void {
    this.log?.append(step, metrics);
    this.sink?.log(step, metrics);
    const parts = Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`);
    this.progress.note(`eval @ step ${step}: ${parts.join(', ')}`);
  }

  /** Prints a line under the progress line. */
  note(text: string): void {
    this.progress.note(text);
  }

  /** Redraws the charts now (rank 0). */
  drawCharts(): void {
    if (!this.log) return;
    this.chartsDrawn = Date.now();
    this.redrawCharts(this.log);
  }

  /** Ends the progress line, draws the final charts and closes W&B. */
  async finish(): Promise<void> {
    this.progress.finish();
    if (this.log) this.redrawCharts(this.log);
    await this.sink?.finish();
  }

  /** A chart that cannot be drawn only warns: the log is for the user, it must never cost the run. */
  private redrawCharts(log: RunLog): void {
    try {
      log.writeCharts();
    } catch (error) {
      this.progress.note(`warning: could not draw the charts: ${(error as Error).message}`);
    }
  }
}
