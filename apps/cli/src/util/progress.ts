import type { OutputStream } from '../cli/types.js';

/** A progress display for one task. */
export interface Progress {
  /** Reports `done` of `total` (total may be unknown). */
  update(done: number, total?: number): void;
  /** Ends the display with a final line. */
  finish(message?: string): void;
  /** Ends the display without a final line (after a failure). */
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Clock in ms (tests). Default `Date.now`. */
  now?: () => number;
  /** Redraw period on a terminal. Default 100 ms. */
  redrawMs?: number;
  /** Without a terminal: a line at each such fraction of the total. Default 0.1. */
  lineStep?: number;
  /** Without a terminal and without a total: a line at most this often. Default 5000 ms. */
  lineMs?: number;
  /** Without a terminal: no intermediate lines during the first this many ms. Default 1000. */
  quietMs?: number;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

/** A duration for a progress line: `42s`, `3m07s`, `2h05m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * TTY-aware progress: on a terminal a bar redrawn in place (`label [####----] 40% 400/1,000
 * ETA 3s`); otherwise plain lines every 10% (or every few seconds when the total is
 * unknown), so logs of CI and `| tee` stay readable.
 */
export function createProgress(
  stream: OutputStream,
  label: string,
  options: ProgressOptions = {},
): Progress {
  const now = options.now ?? Date.now;
  const tty = stream.isTTY === true;
  const start = now();
  let lastDraw = -Infinity;
  let lastBucket = -1;
  let lastLine = start;
  let lastDone = 0;
  let lastTotal: number | undefined;
  let drawn = false;
  let finished = false;

  const text = (done: number, total: number | undefined, withBar: boolean) => {
    if (total === undefined || total <= 0) return `${label} ${fmt(done)}`;
    const frac = Math.min(1, done / total);
    const pct = `${Math.floor(frac * 100)}%`.padStart(4);
    const elapsed = now() - start;
    // An estimate needs some history: none in the first second.
    const rest =
      frac > 0 && frac < 1 && elapsed >= 1000
        ? ` ETA ${formatDuration((elapsed * (1 - frac)) / frac)}`
        : '';
    if (!withBar) return `${label} ${pct.trim()} (${fmt(done)}/${fmt(total)})${rest}`;
    const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - label.length - 40));
    const full = Math.round(frac * width);
    return `${label} [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${pct} ${fmt(done)}/${fmt(total)}${rest}`;
  };

  return {
    update(done, total) {
      if (finished) return;
      lastDone = done;
      lastTotal = total;
      const t = now();
      if (tty) {
        if (t - lastDraw < (options.redrawMs ?? 100) && !(total !== undefined && done >= total))
          return;
        lastDraw = t;
        stream.write(`\r\x1b[K${text(done, total, true)}`);
        drawn = true;
        return;
      }
      if (total !== undefined && total > 0) {
        const bucket = Math.floor(Math.min(1, done / total) / (options.lineStep ?? 0.1));
        // Quick tasks print only their final line.
        if (bucket > lastBucket && t - start >= (options.quietMs ?? 1000)) {
          lastBucket = bucket;
          // The start and the end are covered by the first update and by finish().
          if (bucket === 0 || done >= total) return;
          stream.write(`${text(done, total, false)}\n`);
        }
      } else if (t - lastLine >= (options.lineMs ?? 5000)) {
        lastLine = t;
        stream.write(`${text(done, total, false)}\n`);
      }
    },
    stop() {
      if (finished) return;
      finished = true;
      if (tty && drawn) stream.write('\n');
    },
    finish(message) {
      if (finished) return;
      finished = true;
      const secs = ((now() - start) / 1000).toFixed(1);
      const final = message ?? `${label} done: ${fmt(lastTotal ?? lastDone)} in ${secs}s`;
      if (tty) stream.write(`${drawn ? '\r\x1b[K' : ''}${final}\n`);
      else stream.write(`${final}\n`);
    },
  };
}
