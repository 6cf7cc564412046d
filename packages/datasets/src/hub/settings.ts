import { HubError } from '../errors.js';
import { checkEndpoint, hubOptionsFromEnv } from './env.js';
import type { DownloadProgress, HubOptions, HubRepoType, HubRetryEvent } from './options.js';

/** {@link HubOptions} with every default filled in. */
export interface HubSettings {
  endpoint: string;
  token: string | undefined;
  cacheDir: string;
  revision: string;
  repoType: HubRepoType;
  offline: boolean;
  responseTimeoutMs: number;
  readTimeoutMs: number;
  retries: number;
  retryDelayMs: number;
  maxRetryAfterMs: number;
  onProgress: ((p: DownloadProgress) => void) | undefined;
  onRetry: ((e: HubRetryEvent) => void) | undefined;
  signal: AbortSignal | undefined;
  fetch: typeof fetch;
}

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) {
    throw new HubError(`Hub option ${name} is ${value}; it must be a number ≥ ${min}.`);
  }
  return value;
}

/**
 * Fills in what `options` leaves unset from its `env` (default `process.env`), then from the
 * defaults: 10 s for a response, 30 s between chunks, 4 retries from 1 s, Retry-After waited
 * up to 60 s.
 *
 * @throws HubError naming the option or environment variable that is invalid.
 */
export function resolveHubSettings(options: HubOptions): HubSettings {
  // A variable that an explicit option overrides cannot make the call fail.
  const vars = { ...(options.env ?? process.env) };
  if (options.endpoint !== undefined) delete vars.HF_ENDPOINT;
  if (options.responseTimeoutMs !== undefined && options.readTimeoutMs !== undefined)
    delete vars.HF_HUB_DOWNLOAD_TIMEOUT;
  const env = hubOptionsFromEnv(vars);
  const retries = positive('retries', options.retries, 4, 0);
  if (!Number.isInteger(retries)) {
    throw new HubError(`Hub option retries is ${retries}; it must be a whole number ≥ 0.`);
  }
  const revision = options.revision ?? 'main';
  return {
    endpoint:
      options.endpoint !== undefined
        ? checkEndpoint(options.endpoint, 'endpoint')
        : (env.endpoint as string),
    token: options.token ?? env.token,
    cacheDir: options.cacheDir ?? (env.cacheDir as string),
    revision,
    repoType: options.repoType ?? 'dataset',
    offline: options.offline ?? env.offline ?? false,
    responseTimeoutMs: positive(
      'responseTimeoutMs',
      options.responseTimeoutMs ?? env.responseTimeoutMs,
      10_000,
    ),
    readTimeoutMs: positive('readTimeoutMs', options.readTimeoutMs ?? env.readTimeoutMs, 30_000),
    retries,
    retryDelayMs: positive('retryDelayMs', options.retryDelayMs, 1000, 0),
    maxRetryAfterMs: positive('maxRetryAfterMs', options.maxRetryAfterMs, 60_000, 0),
    onProgress: options.onProgress,
    onRetry: options.onRetry,
    signal: options.signal,
    fetch: options.fetch ?? fetch,
  };
}
