import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HubError } from '../errors.js';
import {
  COMMIT_RE,
  checkCachePath,
  findCachedFile,
  hubRepoFolder,
  linkSnapshot,
  writeRef,
} from './cache.js';
import { matchesEtag, sha256File } from './checksum.js';
import { fetchHubMetadata, onHub } from './metadata.js';
import type { HubOptions, HubRepoType } from './options.js';

// The builders take their hub options from here.
export type { DownloadProgress, HubOptions } from './options.js';

import { resolveHubSettings } from './settings.js';
import { transferToFile } from './transfer.js';

/** The URL the hub serves a file from. */
export function hubFileUrl(
  repo: string,
  filename: string,
  endpoint: string,
  revision = 'main',
  repoType: HubRepoType = 'dataset',
): string {
  const base = endpoint.replace(/\/+$/, '');
  const file = filename.split('/').map(encodeURIComponent).join('/');
  const kind = repoType === 'dataset' ? '/datasets' : '';
  return `${base}${kind}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
}

/** Whether a string looks like a hub repo id (`owner/name`). */
export function isHubRepoId(s: string): boolean {
  return /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(s);
}

/**
 * Downloads one file of a Hugging Face repo into the hub's standard cache and returns its
 * path there (`snapshots/<commit>/<filename>`).
 *
 * The cache is the one huggingface_hub uses (`$HF_HUB_CACHE`, default `$HF_HOME/hub`), so a
 * file either tool fetched is found by the other. A file cached for the revision (a commit,
 * or a branch or tag through `refs/<revision>`) is returned without touching the network;
 * with `offline` (`HF_HUB_OFFLINE=1`) nothing else is tried. Otherwise the hub is asked for
 * the commit and etag (HEAD), a blob already cached under that etag is reused, and the rest
 * is downloaded to `blobs/<etag>.incomplete`: resumed across attempts and calls, checked
 * against the etag when it is a content hash, then moved into place.
 *
 * Every request has a response timeout and a read timeout; connection failures, timeouts,
 * 5xx and 429 (honouring `Retry-After`) are retried with exponential backoff.
 *
 * @throws HubError naming the URL, the cause in plain words and the attempts made. `status`
 *   is the HTTP status when the hub answered (404: no such repo, file or revision; 401/403:
 *   a token is needed or was refused), undefined for network trouble and for offline misses.
 */
export async function downloadHubFile(
  repo: string,
  filename: string,
  options: HubOptions = {},
): Promise<string> {
  if (!isHubRepoId(repo)) {
    throw new HubError(
      `'${repo}' is not a hub repo id: expected owner/name, such as sapientinc/sudoku-extreme.`,
    );
  }
  checkCachePath(filename, 'file name');
  const s = resolveHubSettings(options);
  checkCachePath(s.revision, 'revision');
  const repoDir = hubRepoFolder(s.cacheDir, repo, s.repoType);
  const cached = findCachedFile(repoDir, s.revision, filename);
  if (cached) return cached;
  const url = hubFileUrl(repo, filename, s.endpoint, s.revision, s.repoType);
  if (s.offline) {
    throw new HubError(
      `${repo}/${filename} (revision ${s.revision}) is not in the hub cache at ${repoDir}, and HF_HUB_OFFLINE is set, so it was not downloaded from ${url}. Unset HF_HUB_OFFLINE (or pass offline: false) to download it, or point HF_HUB_CACHE / HF_HOME at a cache that has it.`,
      { file: filename },
    );
  }

  const headers: Record<string, string> = {
    'user-agent': '@trm/datasets',
    // The real size, and bytes that resume exactly where they stopped.
    'accept-encoding': 'identity',
  };
  if (s.token) headers.authorization = `Bearer ${s.token}`;
  const ctx = {
    fetch: s.fetch,
    timeouts: { responseMs: s.responseTimeoutMs, readMs: s.readTimeoutMs },
    retry: {
      attempts: s.retries + 1,
      delayMs: s.retryDelayMs,
      maxRetryAfterMs: s.maxRetryAfterMs,
      signal: s.signal,
      onRetry: s.onRetry,
    },
    hasToken: s.token !== undefined,
  };

  const meta = await fetchHubMetadata(url, headers, ctx);
  const commit = meta.commit ?? (COMMIT_RE.test(s.revision) ? s.revision : undefined);
  // A server that names no commit (a plain file server behind HF_ENDPOINT) gets a snapshot
  // named after the revision, with a ref to match, so the next call finds it all the same.
  const snapshot = commit ?? s.revision;
  const snapshotFile = join(repoDir, 'snapshots', snapshot, filename);
  const finish = () => {
    writeRef(repoDir, s.revision, snapshot);
    return snapshotFile;
  };
  if (existsSync(snapshotFile)) return finish();
  const blobs = join(repoDir, 'blobs');
  if (meta.etag && existsSync(join(blobs, meta.etag))) {
    linkSnapshot(join(blobs, meta.etag), snapshotFile);
    return finish();
  }

  // Storage hosts the hub redirects to get no credentials; the hub itself is asked for the
  // commit it just named, so the bytes match the etag even if the branch moves meanwhile.
  const offHub = !onHub(url, meta.location);
  const source = offHub
    ? meta.location
    : commit && meta.location === url
      ? hubFileUrl(repo, filename, s.endpoint, commit, s.repoType)
      : meta.location;
  const get = { ...headers };
  if (offHub) delete get.authorization;
  mkdirSync(blobs, { recursive: true });
  const untagged = () => createHash('sha1').update(`${snapshot}/${filename}`).digest('hex');
  const partial = join(blobs, `${meta.etag ?? `untagged-${untagged()}`}.incomplete`);
  await transferToFile(
    {
      url: source,
      headers: get,
      partial,
      resume: meta.etag !== undefined,
      expectedSize: meta.size,
      onProgress: s.onProgress
        ? (downloaded, total, resumed) =>
            s.onProgress?.({ repo, filename, downloaded, total, resumed })
        : undefined,
    },
    ctx,
  );
  if (meta.etag && (await matchesEtag(partial, meta.etag)) === false) {
    rmSync(partial, { force: true });
    throw new HubError(
      `The download of ${url} does not match its checksum (etag ${meta.etag}): the data was corrupted on the way. The damaged file was deleted; run again to download it afresh.`,
      { file: filename },
    );
  }
  // Without an etag the blob is named by its SHA-256, as the hub names large files.
  const blob = join(blobs, meta.etag ?? (await sha256File(partial)));
  renameSync(partial, blob);
  linkSnapshot(blob, snapshotFile);
  return finish();
}
