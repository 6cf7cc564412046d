/**
 * The hub's standard cache layout, shared with huggingface_hub and the other hub clients:
 *
 * ```
 * <cache>/<datasets|models>--<owner>--<name>/
 *   blobs/<etag>                       file contents, named by the hub's etag
 *   blobs/<etag>.incomplete            a download in progress (resumable)
 *   snapshots/<commit>/<file>          relative symlink to ../../blobs/<etag> (a copy where
 *                                      symlinks are unavailable)
 *   refs/<revision>                    the commit a branch or tag resolved to
 * ```
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { HubError } from '../errors.js';
import type { HubRepoType } from './options.js';

/** A full commit hash, which names a snapshot. */
export const COMMIT_RE = /^[0-9a-f]{40}$/;

/** `<cache>/<datasets|models>--owner--name`, as huggingface_hub names a repo's folder. */
export function hubRepoFolder(cacheDir: string, repo: string, repoType: HubRepoType): string {
  return join(cacheDir, `${repoType}s--${repo.split('/').join('--')}`);
}

/**
 * Checks that a file name or revision stays inside its folder of the cache: relative, with
 * no empty, `.` or `..` segment and no backslash.
 *
 * @throws HubError saying which value is unusable.
 */
export function checkCachePath(value: string, what: 'file name' | 'revision'): void {
  const segments = value.split('/');
  if (
    value === '' ||
    value.includes('\\') ||
    value.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  ) {
    throw new HubError(
      `'${value}' is not a usable ${what} on the hub: it must be a relative path such as ${what === 'file name' ? "'train.csv' or 'ckpt/step_100.safetensors'" : "'main', 'v1.0' or a commit hash"}, without '.', '..' or empty parts.`,
    );
  }
}

/** The commit a revision stands for in the cache: itself when it is one, else `refs/<revision>`. */
function cachedCommit(repoDir: string, revision: string): string | undefined {
  if (COMMIT_RE.test(revision)) return revision;
  try {
    const commit = readFileSync(join(repoDir, 'refs', revision), 'utf8').trim();
    return commit === '' ? undefined : commit;
  } catch {
    return undefined;
  }
}

/**
 * The cached `snapshots/<commit>/<filename>` of a revision, or undefined. A snapshot entry
 * whose blob is gone (a dangling symlink) counts as missing, so it is fetched again.
 */
export function findCachedFile(
  repoDir: string,
  revision: string,
  filename: string,
): string | undefined {
  const commit = cachedCommit(repoDir, revision);
  if (commit === undefined || commit.includes('/') || commit.includes('..')) return undefined;
  const file = join(repoDir, 'snapshots', commit, filename);
  return existsSync(file) ? file : undefined;
}

/**
 * An ETag as huggingface_hub stores it: without a weak `W/` prefix and without quotes.
 * Undefined when there is none, or when it could not be a file name.
 */
export function normalizeEtag(value: string | null): string | undefined {
  if (!value) return undefined;
  const tag = value
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
  return /^[\w.+=-]+$/.test(tag) && tag !== '.' && tag !== '..' ? tag : undefined;
}

/** Points `snapshotFile` at `blob`: a relative symlink as huggingface_hub makes, or a copy. */
export function linkSnapshot(blob: string, snapshotFile: string): void {
  mkdirSync(dirname(snapshotFile), { recursive: true });
  rmSync(snapshotFile, { force: true });
  try {
    symlinkSync(relative(dirname(snapshotFile), blob), snapshotFile);
  } catch {
    // No symlinks on this file system (or Windows without the privilege): a copy works the same.
    copyFileSync(blob, snapshotFile);
  }
}

/**
 * Records that `revision` resolved to `commit` (nothing to record when it is a commit
 * itself). Written to a temporary name and renamed, so
 * a concurrent reader (either tool) never sees half a hash.
 */
export function writeRef(repoDir: string, revision: string, commit: string): void {
  if (COMMIT_RE.test(revision)) return;
  const ref = join(repoDir, 'refs', revision);
  try {
    if (readFileSync(ref, 'utf8') === commit) return;
  } catch {
    // No ref yet.
  }
  mkdirSync(dirname(ref), { recursive: true });
  const tmp = `${ref}.${process.pid}.tmp`;
  writeFileSync(tmp, commit);
  renameSync(tmp, ref);
}
