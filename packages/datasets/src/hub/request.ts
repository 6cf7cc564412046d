/**
 * HTTP with the guarantees a download needs: headers within a time limit, no stall between
 * body chunks longer than another, and a bounded retry with exponential backoff for what is
 * transient, ending in one {@link HubError} that names the URL, the cause and the attempts.
 */
import { HubError } from '../errors.js';
import { AttemptFailure, networkFailure, seconds } from './failure.js';
import type { HubRetryEvent } from './options.js';

/** Time limits of one request. */
export interface Timeouts {
  /** For the response headers, connecting included. */
  responseMs: number;
  /** Between two chunks of the body. */
  readMs: number;
}

/** A response whose body is read chunk by chunk under the read timeout. */
export interface TimedResponse {
  res: Response;
  /** The body; a stall longer than the read timeout throws an {@link AttemptFailure}. */
  chunks(): AsyncGenerator<Uint8Array>;
  /** Abandons the body (and with it the connection) when it is not read to the end. */
  discard(): void;
}

function cancelled(signal: AbortSignal, url: string): HubError {
  return new HubError(`${url}: the download was cancelled`, { cause: signal.reason });
}

/**
 * Sends one request under `timeouts`. Throws an {@link AttemptFailure} for a timeout or a
 * network error, and a {@link HubError} when `signal` cancels it.
 */
export async function timedFetch(
  doFetch: typeof fetch,
  url: string,
  init: RequestInit,
  timeouts: Timeouts,
  signal?: AbortSignal,
): Promise<TimedResponse> {
  if (signal?.aborted) throw cancelled(signal, url);
  const ctrl = new AbortController();
  // Set by our own timers, so that an abort they caused is told apart from the caller's.
  let timedOut: string | undefined;
  const forward = () => ctrl.abort();
  signal?.addEventListener('abort', forward, { once: true });
  const release = () => signal?.removeEventListener('abort', forward);
  const failure = (err: unknown): Error => {
    if (signal?.aborted) return cancelled(signal, url);
    if (timedOut)
      return new AttemptFailure(timedOut, { transient: true, cause: err, hint: TIMEOUT_HINT });
    if (err instanceof AttemptFailure) return err;
    return networkFailure(err, url);
  };

  const timer = setTimeout(() => {
    timedOut = `no response within ${seconds(timeouts.responseMs)}`;
    ctrl.abort();
  }, timeouts.responseMs);
  let res: Response;
  try {
    res = await doFetch(url, { ...init, signal: ctrl.signal });
  } catch (err) {
    release();
    throw failure(err);
  } finally {
    clearTimeout(timer);
  }

  let finished = false;
  const discard = () => {
    if (!finished) {
      finished = true;
      // Aborting ends the connection: only worth it when a body is still on its way.
      if (res.body) ctrl.abort();
      release();
    }
  };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (!res.body) {
      finished = true;
      release();
      return;
    }
    const reader = res.body.getReader();
    try {
      for (;;) {
        const idle = setTimeout(() => {
          timedOut = `the download stalled: no data for ${seconds(timeouts.readMs)}`;
          ctrl.abort();
        }, timeouts.readMs);
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (err) {
          throw failure(err);
        } finally {
          clearTimeout(idle);
        }
        if (next.done) {
          finished = true;
          release();
          return;
        }
        yield next.value;
      }
    } finally {
      discard();
    }
  }
  return { res, chunks, discard };
}

const TIMEOUT_HINT =
  'On a slow network raise HF_HUB_DOWNLOAD_TIMEOUT (seconds); set HF_HUB_OFFLINE=1 to use only files already in the cache.';

/** Retry policy of {@link withRetries}. */
export interface RetryPolicy {
  /** Attempts in all, at least 1. */
  attempts: number;
  /** Wait before the first retry; doubles for each further one. */
  delayMs: number;
  /** Longest `Retry-After` waited for. */
  maxRetryAfterMs: number;
  signal?: AbortSignal;
  onRetry?: (e: HubRetryEvent) => void;
}

/** Exponential backoff stops growing here: waiting longer only delays the final error. */
const MAX_BACKOFF_MS = 30_000;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, it fails for good, or the attempts run out. Transient
 * {@link AttemptFailure}s are retried after `delayMs · 2^k` (with jitter, so that many
 * clients do not return at once) or after the server's `Retry-After`. Anything else that is
 * thrown passes through untouched.
 *
 * @param what what is being done, for the final message (`download`, `look up`)
 * @throws HubError naming `url`, the last cause, the number of attempts and a hint; `status`
 *   is the HTTP status when the server answered.
 */
export async function withRetries<T>(
  what: string,
  url: string,
  policy: RetryPolicy,
  attempt: (n: number) => Promise<T>,
): Promise<T> {
  const attempts = Math.max(1, policy.attempts);
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof AttemptFailure)) throw err;
      let stop = !err.transient || n >= attempts;
      let reason = err.message;
      if (!stop && err.retryAfterMs !== undefined && err.retryAfterMs > policy.maxRetryAfterMs) {
        reason += `; the server asks to wait ${seconds(err.retryAfterMs)}, longer than the ${seconds(policy.maxRetryAfterMs)} this client waits`;
        stop = true;
      }
      if (stop) {
        const tries = n === 1 ? '' : ` (gave up after ${n} attempts)`;
        throw new HubError(
          `Could not ${what} ${url}: ${reason}${tries}.${err.hint ? ` ${err.hint}` : ''}`,
          { status: err.status, cause: err.cause ?? err },
        );
      }
      const backoff = Math.min(MAX_BACKOFF_MS, policy.delayMs * 2 ** (n - 1));
      const delayMs = err.retryAfterMs ?? Math.round(backoff * (0.75 + Math.random() * 0.5));
      policy.onRetry?.({ url, attempt: n, attempts, delayMs, reason });
      await sleep(delayMs, policy.signal);
      if (policy.signal?.aborted) throw cancelled(policy.signal, url);
    }
  }
}
