/**
 * The CLI's side of the Hugging Face hub: options from the command's environment (`io.env`,
 * never the process's), a progress bar per downloaded file with bytes, total and rate, a line
 * for each retry, and hub failures the user can fix turned into input errors.
 */
import {
  type DownloadProgress,
  downloadHubFile,
  HubError,
  type HubOptions,
  type HubRetryEvent,
  hubOptionsFromEnv,
} from '@trm/datasets';
import type { CliIO, OutputStream } from '../cli/types.js';
import { InputError } from '../errors.js';
import { formatDuration } from './progress.js';

/** A progress display for one download. */
export interface DownloadBar {
  /** Reports bytes on disk (`total` may be unknown). */
  update(downloaded: number, total: number | undefined): void;
  /** Ends the line on a terminal so that another message can be printed; later updates redraw. */
  interrupt(): void;
  /** Ends the display with a summary line. */
  finish(): void;
  /** Ends the display without a summary (after a failure). */
  stop(): void;
}

/** Options of {@link createDownloadBar}. */
export interface DownloadBarOptions {
  /** Clock in ms (tests). Default `Date.now`. */
  now?: () => number;
  /** Redraw period on a terminal. Default 100 ms. */
  redrawMs?: number;
  /** Without a terminal: no intermediate lines during the first this many ms. Default 1000. */
  quietMs?: number;
}

/** `512 B`, `12.3 kB`, `4.56 MB`, `1.20 GB`. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}

/**
 * A download's progress on `stream`: on a terminal a bar redrawn in place
 * (`label [####------]  40% 4.00/10.0 MB 2.10 MB/s ETA 3s`); otherwise a line at every 10%
 * after the first second, so that logs stay short. The rate counts only this run's bytes, so
 * a resumed download does not look faster than it is.
 */
export function createDownloadBar(
  stream: OutputStream,
  label: string,
  options: DownloadBarOptions = {},
): DownloadBar {
  const now = options.now ?? Date.now;
  const tty = stream.isTTY === true;
  const start = now();
  let first: number | undefined;
  let lastDraw = -Infinity;
  let lastStep = 0;
  let done = 0;
  let total: number | undefined;
  let drawn = false;
  let ended = false;

  const rate = (): number | undefined => {
    const secs = (now() - start) / 1000;
    return first === undefined || secs < 0.5 ? undefined : (done - first) / secs;
  };
  const text = (withBar: boolean): string => {
    const r = rate();
    const speed = r === undefined ? '' : ` ${formatBytes(Math.round(r))}/s`;
    if (total === undefined || total <= 0) return `${label} ${formatBytes(done)}${speed}`;
    const frac = Math.min(1, done / total);
    const pct = `${Math.floor(frac * 100)}%`;
    const left =
      r && r > 0 && frac < 1 ? ` ETA ${formatDuration(((total - done) / r) * 1000)}` : '';
    const amount = `${formatBytes(done)}/${formatBytes(total)}`;
    if (!withBar) return `${label} ${pct} (${amount}${speed})${left}`;
    const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - label.length - 50));
    const full = Math.round(frac * width);
    return `${label} [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${pct.padStart(4)} ${amount}${speed}${left}`;
  };

  return {
    update(downloaded, size) {
      if (ended) return;
      first ??= downloaded;
      done = downloaded;
      total = size;
      const t = now();
      if (tty) {
        if (t - lastDraw < (options.redrawMs ?? 100)) return;
        lastDraw = t;
        stream.write(`\r\x1b[K${text(true)}`);
        drawn = true;
      } else if (total !== undefined && total > 0 && t - start >= (options.quietMs ?? 1000)) {
        const step = Math.floor((10 * done) / total);
        if (step > lastStep && done < total) stream.write(`${text(false)}\n`);
        lastStep = Math.max(lastStep, step);
      }
    },
    interrupt() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
      lastDraw = -Infinity;
    },
    finish() {
      if (ended) return;
      ended = true;
      const secs = (now() - start) / 1000;
      const fetched = done - (first ?? 0);
      // Over a few milliseconds a rate says nothing.
      const speed = secs >= 0.1 ? `, ${formatBytes(Math.round(fetched / secs))}/s` : '';
      const resumed = first ? `, resumed at ${formatBytes(first)}` : '';
      stream.write(
        `${tty && drawn ? '\r\x1b[K' : ''}${label} done: ${formatBytes(done)} in ${secs.toFixed(1)}s${speed}${resumed}\n`,
      );
    },
    stop() {
      if (ended) return;
      ended = true;
      if (tty && drawn) stream.write('\n');
    },
  };
}

/** Hub options for one command, and the bars they draw. */
export interface CliHub {
  /**
   * Options from `io.env` with the progress and retry display, computed when first read, so
   * that a command that never downloads never fails on a bad hub variable.
   *
   * @throws InputError naming the environment variable that is unusable.
   */
  readonly options: HubOptions;
  /** Ends any bar still drawn (after a failure). */
  stop(): void;
}

/**
 * `TRM_HUB_RETRIES`: how many times a transient failure is retried (huggingface_hub has no
 * such variable; CI and tests use it to fail fast).
 */
function retriesFrom(env: NodeJS.ProcessEnv): number | undefined {
  const value = env.TRM_HUB_RETRIES;
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw new InputError(
      `TRM_HUB_RETRIES=${value} is not a whole number. Set it to the retries wanted after a failed hub request (0 for none), or unset it for the default of 4.`,
    );
  }
  return Number(value.trim());
}

/**
 * Hub options for a command: its own environment (plus `TRM_HUB_RETRIES`), a
 * {@link createDownloadBar} per file on stderr and a line before each retry. `overrides`
 * replace what the environment says.
 */
export function cliHubOptions(io: CliIO, overrides: HubOptions = {}): CliHub {
  const bars = new Map<string, DownloadBar>();
  let current: DownloadBar | undefined;
  const onProgress = (p: DownloadProgress) => {
    const key = `${p.repo}/${p.filename}`;
    let bar = bars.get(key);
    if (!bar) {
      bar = createDownloadBar(io.stderr, `downloading ${key}`);
      bars.set(key, bar);
    }
    current = bar;
    bar.update(p.downloaded, p.total);
    if (p.total !== undefined && p.downloaded >= p.total) bar.finish();
  };
  const onRetry = (e: HubRetryEvent) => {
    current?.interrupt();
    io.stderr.write(
      `${e.reason} from ${e.url}; retrying in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt + 1} of ${e.attempts})\n`,
    );
  };
  let options: HubOptions | undefined;
  return {
    get options() {
      if (!options) {
        let fromEnv: HubOptions;
        try {
          fromEnv = hubOptionsFromEnv(io.env);
        } catch (error) {
          if (error instanceof HubError) throw new InputError(error.message, { cause: error });
          throw error;
        }
        const retries = retriesFrom(io.env);
        options = {
          ...fromEnv,
          ...(retries === undefined ? {} : { retries }),
          onProgress,
          onRetry,
          ...overrides,
        };
      }
      return options;
    },
    stop() {
      for (const b of bars.values()) b.stop();
    },
  };
}

/**
 * Downloads `owner/repo/file` from the hub's model repos into the hub cache, with a progress
 * bar, and returns its path. A file that is not there (HTTP 404) is an {@link InputError}.
 */
export async function fetchHubCheckpoint(
  id: string,
  io: CliIO,
  overrides: HubOptions = {},
): Promise<string> {
  const [owner, repo, ...rest] = id.split('/');
  const hub = cliHubOptions(io, overrides);
  try {
    return await downloadHubFile(`${owner}/${repo}`, rest.join('/'), {
      ...hub.options,
      repoType: 'model',
    });
  } catch (error) {
    if (error instanceof HubError && error.status === 404) {
      throw new InputError(
        `Checkpoint ${id} is not on the Hugging Face hub: ${error.message} A hub checkpoint is given as owner/repo/path-in-repo; a local file must exist.`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    hub.stop();
  }
}
