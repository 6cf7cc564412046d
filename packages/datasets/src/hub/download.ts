import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { HubError } from '../errors.js';

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

/** Where and how to fetch Hugging Face hub files. Unset fields come from the environment. */
export interface HubOptions {
  /** Hub base URL; default `HF_ENDPOINT` or `https://huggingface.co`. */
  endpoint?: string;
  /** Access token sent as a Bearer header; default `HF_TOKEN`. */
  token?: string;
  /** Cache root; default `$HF_HOME/trm-datasets` (HF_HOME defaults to `~/.cache/huggingface`). */
  cacheDir?: string;
  /** Branch, tag or commit; default `main`. */
  revision?: string;
  /** Called as bytes arrive. */
  onProgress?: (p: DownloadProgress) => void;
  /** Replacement for the global `fetch` (tests, proxies). */
  fetch?: typeof fetch;
  /** Dataset repos (default) live under `/datasets/`; model repos (checkpoints) do not. */
  repoType?: 'dataset' | 'model';
}

/** The cache root used when {@link HubOptions.cacheDir} is not given. */
export function defaultHubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const home =
    env.HF_HOME && env.HF_HOME.length > 0 ? env.HF_HOME : join(homedir(), '.cache', 'huggingface');
  return join(home, 'trm-datasets');
}

/** The URL the hub serves a dataset file from. */
export function hubFileUrl(
  repo: string,
  filename: string,
  endpoint: string,
  revision = 'main',
  repoType: 'dataset' | 'model' = 'dataset',
): string {
  const base = endpoint.replace(/\/+$/, '');
  const file = filename.split('/').map(encodeURIComponent).join('/');
  const kind = repoType === 'dataset' ? '/datasets' : '';
  return `${base}${kind}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
}

/** Whether a string looks like a hub dataset id (`owner/name`). */
export function isHubRepoId(s: string): boolean {
  return /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(s);
}

/**
 * Downloads one file of a Hugging Face dataset repo into the cache and returns its path. A
 * cached file is returned without touching the network. An interrupted download leaves
 * `<file>.incomplete`, which the next call resumes with an HTTP Range request (falling back
 * to a full download when the server ignores the range).
 */
export async function downloadHubFile(
  repo: string,
  filename: string,
  options: HubOptions = {},
): Promise<string> {
  if (!isHubRepoId(repo))
    throw new HubError(`'${repo}' is not a hub dataset id (expected owner/name)`);
  const env = process.env;
  const endpoint = options.endpoint ?? (env.HF_ENDPOINT || 'https://huggingface.co');
  const token = options.token ?? (env.HF_TOKEN || undefined);
  const revision = options.revision ?? 'main';
  const cacheDir = options.cacheDir ?? defaultHubCacheDir(env);
  const repoType = options.repoType ?? 'dataset';
  const dest = join(cacheDir, `${repoType}s--${repo.replace('/', '--')}`, revision, filename);
  if (existsSync(dest)) return dest;
  mkdirSync(dirname(dest), { recursive: true });
  const partial = `${dest}.incomplete`;
  const url = hubFileUrl(repo, filename, endpoint, revision, repoType);
  const doFetch = options.fetch ?? fetch;

  for (let attempt = 0; attempt < 2; attempt++) {
    const have = existsSync(partial) ? statSync(partial).size : 0;
    const headers: Record<string, string> = { 'user-agent': '@trm/datasets' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (have > 0) headers.range = `bytes=${have}-`;
    let res: Response;
    try {
      res = await doFetch(url, { headers, redirect: 'follow' });
    } catch (e) {
      throw new HubError(`${url}: request failed: ${(e as Error).message}`, {
        file: filename,
        cause: e,
      });
    }
    if (res.status === 416 && have > 0) {
      // Our partial file does not match the server's; start over once.
      rmSync(partial, { force: true });
      continue;
    }
    if (res.status === 401 || res.status === 403) {
      throw new HubError(
        `${url}: HTTP ${res.status}: access denied${token ? ' (check HF_TOKEN)' : '; set HF_TOKEN for gated or private datasets'}`,
        { file: filename, status: res.status },
      );
    }
    if (res.status !== 200 && res.status !== 206) {
      throw new HubError(`${url}: HTTP ${res.status} ${res.statusText}`, {
        file: filename,
        status: res.status,
      });
    }
    const resumed = res.status === 206;
    const start = resumed ? have : 0;
    const total = totalSize(res, start);
    const fh = await open(partial, resumed ? 'a' : 'w');
    let downloaded = start;
    try {
      options.onProgress?.({ repo, filename, downloaded, total, resumed });
      if (res.body) {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          await fh.write(chunk);
          downloaded += chunk.length;
          options.onProgress?.({ repo, filename, downloaded, total, resumed });
        }
      }
    } catch (e) {
      throw new HubError(
        `${url}: download interrupted after ${downloaded} bytes (will resume): ${(e as Error).message}`,
        {
          file: filename,
          cause: e,
        },
      );
    } finally {
      await fh.close();
    }
    if (total !== undefined && downloaded !== total) {
      throw new HubError(
        `${url}: got ${downloaded} of ${total} bytes (will resume on the next call)`,
        { file: filename },
      );
    }
    renameSync(partial, dest);
    return dest;
  }
  throw new HubError(`${url}: server rejected the resume range twice`, { file: filename });
}

function totalSize(res: Response, start: number): number | undefined {
  const range = res.headers.get('content-range');
  const m = range ? /\/(\d+)\s*$/.exec(range) : null;
  if (m) return Number(m[1]);
  const len = res.headers.get('content-length');
  return len !== null && /^\d+$/.test(len) ? start + Number(len) : undefined;
}
