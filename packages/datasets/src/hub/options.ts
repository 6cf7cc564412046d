/** Environment variables as a plain object: `process.env`, or a CLI's own copy of it. */
export type HubEnv = Readonly<Record<string, string | undefined>>;

/** Dataset repos live under `/datasets/` on the hub and in `datasets--…` cache folders. */
export type HubRepoType = 'dataset' | 'model';

/** Progress of one file download. `total` is undefined when the server does not say. */
export interface DownloadProgress {
  repo: string;
  filename: string;
  /** Bytes on disk so far, including any resumed part. */
  downloaded: number;
  total: number | undefined;
  /** True when the download continued a previous partial file. */
  resumed: boolean;
}

/** A transient failure that is about to be retried. */
export interface HubRetryEvent {
  url: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  /** Attempts allowed in all. */
  attempts: number;
  /** Wait before the next attempt. */
  delayMs: number;
  /** What went wrong, in plain words (`HTTP 503 Service Unavailable`, `no response within 10 s`). */
  reason: string;
}

/**
 * Where and how to fetch Hugging Face hub files. Fields left unset come from {@link env}
 * (see `hubOptionsFromEnv`), then from the defaults below.
 */
export interface HubOptions {
  /** Environment the unset fields are read from; default `process.env`. */
  env?: HubEnv;
  /** Hub base URL; default `HF_ENDPOINT` or `https://huggingface.co`. */
  endpoint?: string;
  /** Access token sent as a Bearer header to the hub (never to a storage host it redirects to); default `HF_TOKEN`, else the token file. */
  token?: string;
  /** Cache root in huggingface_hub's layout; default `HF_HUB_CACHE`, else `$HF_HOME/hub`. */
  cacheDir?: string;
  /** Branch, tag or commit; default `main`. */
  revision?: string;
  /** Default `dataset`; checkpoints live in `model` repos. */
  repoType?: HubRepoType;
  /** Use only the cache and never the network; default `HF_HUB_OFFLINE`. */
  offline?: boolean;
  /** Longest wait for a response's headers, connecting included; default 10 000 (or `HF_HUB_DOWNLOAD_TIMEOUT`). */
  responseTimeoutMs?: number;
  /** Longest wait between two chunks of a body; default 30 000 (or `HF_HUB_DOWNLOAD_TIMEOUT`). */
  readTimeoutMs?: number;
  /** Further attempts after a transient failure (connection, timeout, 5xx, 429); default 4. */
  retries?: number;
  /** Wait before the first retry, doubling for each further one (up to 30 s); default 1000. */
  retryDelayMs?: number;
  /** Longest `Retry-After` of a 429 or 503 that is waited for; a longer one fails at once. Default 60 000. */
  maxRetryAfterMs?: number;
  /** Called as bytes arrive. */
  onProgress?: (p: DownloadProgress) => void;
  /** Called before each retry, e.g. to tell the user why there is a pause. */
  onRetry?: (e: HubRetryEvent) => void;
  /** Cancels the download; the partial file is kept for the next call to resume. */
  signal?: AbortSignal;
  /** Replacement for the global `fetch` (proxies, tests). */
  fetch?: typeof fetch;
}
