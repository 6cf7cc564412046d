import { COMMIT_RE, normalizeEtag } from './cache.js';
import { AttemptFailure, statusFailure } from './failure.js';
import { type RetryPolicy, type Timeouts, timedFetch, withRetries } from './request.js';

/** What the hub says about a file before it is downloaded. */
export interface HubFileMetadata {
  /** The commit the revision resolved to (`X-Repo-Commit`). */
  commit: string | undefined;
  /** The blob's name in the cache (`X-Linked-Etag`, else `ETag`). */
  etag: string | undefined;
  /** File size (`X-Linked-Size`, else the Content-Length of a non-redirect). */
  size: number | undefined;
  /** Where the bytes are: the file URL itself, or the storage host it redirects to. */
  location: string;
}

/** Redirects within the hub (a renamed repo, the hub's own resolver) are followed this far. */
const MAX_REDIRECTS = 10;

/** The hub's own host names: redirects there are followed and may carry the token. */
const HUB_HOSTS = new Set(['huggingface.co', 'hf.co']);

/**
 * Whether `target` is served by the hub that `fileUrl` belongs to: the same host name (any
 * port), or the hub's own. huggingface_hub draws the line the same way, so both tools send
 * the token to the same hosts and to no storage host.
 */
export function onHub(fileUrl: string, target: string): boolean {
  const host = new URL(target).hostname.toLowerCase();
  return host === new URL(fileUrl).hostname.toLowerCase() || HUB_HOSTS.has(host);
}

function intHeader(value: string | null): number | undefined {
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

/**
 * Asks the hub (with HEAD, as huggingface_hub does) which commit, etag and size `url` has.
 * Redirects within the hub ({@link onHub}) are followed; one to another host (large files live on a CDN)
 * ends the lookup and becomes {@link HubFileMetadata.location}. A server that refuses HEAD
 * yields empty metadata, and the download learns what it can from its GET.
 *
 * @throws HubError (via {@link withRetries}) for a failure status or the network.
 */
export function fetchHubMetadata(
  url: string,
  headers: Record<string, string>,
  ctx: { fetch: typeof fetch; timeouts: Timeouts; retry: RetryPolicy; hasToken: boolean },
): Promise<HubFileMetadata> {
  return withRetries('look up', url, ctx.retry, async () => {
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const { res, discard } = await timedFetch(
        ctx.fetch,
        current,
        { method: 'HEAD', headers, redirect: 'manual' },
        ctx.timeouts,
        ctx.retry.signal,
      );
      discard();
      const h = res.headers;
      const target = res.status >= 300 && res.status < 400 ? h.get('location') : null;
      if (target !== null) {
        const next = new URL(target, current).toString();
        if (onHub(url, next)) {
          current = next;
          continue;
        }
      } else if (res.status === 405 || res.status === 501) {
        return { commit: undefined, etag: undefined, size: undefined, location: current };
      } else if (res.status >= 400) {
        throw statusFailure(res, ctx.hasToken);
      }
      const commit = h.get('x-repo-commit')?.trim();
      return {
        commit: commit && COMMIT_RE.test(commit) ? commit : undefined,
        etag: normalizeEtag(h.get('x-linked-etag') ?? h.get('etag')),
        // A redirect's own Content-Length is that of its empty body, not of the file.
        size:
          intHeader(h.get('x-linked-size')) ??
          (target ? undefined : intHeader(h.get('content-length'))),
        location: target ? new URL(target, current).toString() : current,
      };
    }
    throw new AttemptFailure(`more than ${MAX_REDIRECTS} redirects`, { transient: false });
  });
}
