/**
 * Why one attempt at a hub request failed, in plain words, and whether another attempt could
 * succeed. Node's `fetch` reports every network failure as "fetch failed" with the real
 * reason as an error code in its `cause`; this module turns those codes and HTTP statuses
 * into sentences a user can act on.
 */

/** One failed attempt. `transient` failures are retried; the others end the download. */
export class AttemptFailure extends Error {
  readonly transient: boolean;
  /** HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** How long the server asked us to wait (`Retry-After`). */
  readonly retryAfterMs: number | undefined;
  /** What the user can do about it, when this is the last attempt. */
  readonly hint: string | undefined;

  constructor(
    reason: string,
    options: {
      transient: boolean;
      status?: number;
      retryAfterMs?: number;
      hint?: string;
      cause?: unknown;
    },
  ) {
    super(reason, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'AttemptFailure';
    this.transient = options.transient;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.hint = options.hint;
  }
}

/** `10 s`, `0.3 s`: timeouts as users set them (in seconds). */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

const NETWORK_HINT =
  'Check the network connection (and HF_ENDPOINT, if set), or set HF_HUB_OFFLINE=1 to use only files already in the cache.';

/** The first error code along the `cause` chain, looking into an AggregateError's errors. */
function errorCode(err: unknown): { code: string | undefined; message: string } {
  let message = err instanceof Error ? err.message : String(err);
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    const { code, errors, cause } = e as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === 'string') return { code, message: (e as Error).message ?? message };
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = errorCode(errors[0]);
      if (inner.code) return inner;
    }
    if (e instanceof Error && e.message && e.message !== 'fetch failed') message = e.message;
    e = cause;
  }
  return { code: undefined, message };
}

/** A thrown network error (not an HTTP status) as plain words. */
export function networkFailure(err: unknown, url: string): AttemptFailure {
  const { host, hostname } = (() => {
    try {
      return new URL(url);
    } catch {
      return { host: url, hostname: url };
    }
  })();
  const { code, message } = errorCode(err);
  const fail = (reason: string, transient = true, hint = NETWORK_HINT) =>
    new AttemptFailure(`${reason}${code ? ` (${code})` : ''}`, { transient, hint, cause: err });
  switch (code) {
    case 'ECONNREFUSED':
      return fail(`connection refused by ${host}`);
    case 'ENOTFOUND':
      // A name that does not resolve will not resolve a second later either.
      return fail(`DNS lookup failed for ${hostname}`, false);
    case 'EAI_AGAIN':
      return fail(`DNS lookup failed for ${hostname} (temporary failure)`);
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return fail(`could not connect to ${host} (timed out)`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return fail(`the connection to ${host} was closed unexpectedly`);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return fail(`no response from ${host}`);
    case 'UND_ERR_BODY_TIMEOUT':
      return fail(`the download from ${host} stalled`);
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
      return fail(`${host} is unreachable (no network?)`);
    default:
      if (code && /CERT|SSL|TLS|UNABLE_TO_(GET|VERIFY)/.test(code)) {
        return fail(
          `the TLS certificate of ${host} was not accepted`,
          false,
          'Behind a proxy that inspects TLS, point NODE_EXTRA_CA_CERTS at its CA certificate.',
        );
      }
      if (message === 'bad port') {
        return fail(
          `port ${new URL(url).port} of ${hostname} is one that fetch refuses to use`,
          false,
          'Serve the hub (or mirror) at HF_ENDPOINT on another port, such as 443, 80 or 8080.',
        );
      }
      return fail(message === 'fetch failed' ? `the request to ${host} failed` : message);
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or bad. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * A final HTTP status as a failure. 408, 429 and 5xx are transient; 401/403/404 and the
 * other 4xx are not. The hub's own explanation (`X-Error-Message`) is quoted when it sends one.
 */
export function statusFailure(res: Response, hasToken: boolean): AttemptFailure {
  const s = res.status;
  const said = res.headers.get('x-error-message');
  const reason = `HTTP ${s}${res.statusText ? ` ${res.statusText}` : ''}${said ? `: ${said}` : ''}`;
  if (s === 401 || s === 403) {
    return new AttemptFailure(`${reason} (access denied)`, {
      transient: false,
      status: s,
      hint: hasToken
        ? 'The hub refused the token: check HF_TOKEN (or the token file), and for a gated repo accept its conditions on the repo page.'
        : 'Private and gated repos need a token: set HF_TOKEN, or log in with `hf auth login`. The hub also answers so for a repo that does not exist: check the id.',
    });
  }
  if (s === 404) {
    return new AttemptFailure(`not found (${reason})`, {
      transient: false,
      status: s,
      hint: 'Check the repo id, the file name and the revision.',
    });
  }
  if (s === 408 || s === 429 || s >= 500) {
    return new AttemptFailure(reason, {
      transient: true,
      status: s,
      retryAfterMs: retryAfterMs(res.headers.get('retry-after')),
      hint:
        s === 429
          ? 'The hub is rate-limiting this machine: wait a while, and set HF_TOKEN (signed-in users get higher limits).'
          : 'The hub (or the mirror at HF_ENDPOINT) is having trouble: try again later.',
    });
  }
  return new AttemptFailure(reason, { transient: false, status: s });
}
