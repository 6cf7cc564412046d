import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildSudokuDataset } from '../src/builders/sudoku.js';
import { HubError } from '../src/errors.js';
import { writePuzzleCsvSplits } from '../src/generators/csv.js';
import { generateSudokus } from '../src/generators/sudoku.js';
import { type DownloadProgress, downloadHubFile, hubFileUrl, hubRepoFolder } from '../src/index.js';
import { listen as listenLocal, refusedUrl, tempDir } from './helpers.js';

// A stand-in for huggingface.co and its CDN, answering as they do: HEAD with X-Repo-Commit and
// the etag (the git blob id of small files; a redirect to the CDN with X-Linked-Etag, the
// SHA-256, for large ones), Range requests honoured.

const dir = tempDir();
const csvDir = join(dir, 'csv');
writePuzzleCsvSplits(
  csvDir,
  generateSudokus(5, 1, { size: 4 }),
  generateSudokus(2, 2, { size: 4 }),
);
const files: Record<string, Buffer> = {
  'train.csv': readFileSync(join(csvDir, 'train.csv')),
  'test.csv': readFileSync(join(csvDir, 'test.csv')),
  'sub/dir/notes.txt': Buffer.from('nested\n'),
  'big.bin': Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251)),
};
/** Files the hub keeps in LFS: served from the CDN. */
const LFS = new Set(['big.bin']);
const COMMIT = 'a1'.repeat(20);
/** The commit of branch `v2`: same files, another snapshot. */
const COMMIT2 = 'b2'.repeat(20);
const TOKEN = 'hf_test_token';

const gitSha1 = (b: Buffer) =>
  createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const etagOf = (name: string) => (LFS.has(name) ? sha256(files[name]!) : gitSha1(files[name]!));

interface Seen {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  range?: string;
  auth?: string;
}
const requests: Seen[] = [];
/** The next GET is cut off after this many bytes. */
let cutAfter: number | undefined;
let ignoreRange = false;
/** Serve these bytes instead of the file's (a corrupting proxy). */
let corrupt = false;
let hub: string;
let cdn: string;
let refused: string;

function sendBody(req: IncomingMessage, res: ServerResponse, body: Buffer, extra: object): void {
  const data = corrupt ? Buffer.from(body).fill(7, 0, 10) : body;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  let start = 0;
  if (range && !ignoreRange) {
    start = Number(range[1]);
    res.writeHead(206, {
      ...extra,
      'content-length': data.length - start,
      'content-range': `bytes ${start}-${data.length - 1}/${data.length}`,
    });
  } else res.writeHead(200, { ...extra, 'content-length': data.length });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (cutAfter !== undefined) {
    const n = cutAfter;
    cutAfter = undefined;
    res.write(data.subarray(start, start + n), () => setTimeout(() => res.destroy(), 20));
    return;
  }
  res.end(data.subarray(start));
}

function serveHub(req: IncomingMessage, res: ServerResponse): void {
  const url = decodeURIComponent(req.url ?? '');
  const m = /^\/(datasets\/)?test-org\/([\w.-]+)\/resolve\/([\w.-]+)\/(.+)$/.exec(url);
  const commit = m && { main: COMMIT, [COMMIT]: COMMIT, v2: COMMIT2, [COMMIT2]: COMMIT2 }[m[3]!];
  const name = m?.[4];
  if (!m || !commit || !name || !files[name] || (m[2] === 'model' && m[1])) {
    res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end('not found');
    return;
  }
  if (m[2] === 'private' && req.headers.authorization !== `Bearer ${TOKEN}`) {
    res.writeHead(401, { 'x-error-message': 'Invalid credentials in Authorization header' }).end();
    return;
  }
  const body = files[name]!;
  if (LFS.has(name)) {
    res
      .writeHead(302, {
        location: `${cdn}/lfs/${etagOf(name)}`,
        'x-repo-commit': commit,
        'x-linked-etag': `"${etagOf(name)}"`,
        'x-linked-size': body.length,
        'content-length': 0,
      })
      .end();
    return;
  }
  sendBody(req, res, body, { 'x-repo-commit': commit, etag: `"${etagOf(name)}"` });
}

function serveCdn(req: IncomingMessage, res: ServerResponse): void {
  const name = Object.keys(files).find((f) => req.url === `/lfs/${etagOf(f)}`);
  if (!name) {
    res.writeHead(404).end();
    return;
  }
  sendBody(req, res, files[name]!, { etag: `"cdn-${etagOf(name).slice(0, 8)}"` });
}

/** A local server that also records who was asked for what (and with which token). */
function listen(
  name: Seen['server'],
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  return listenLocal((req, res) => {
    requests.push({
      server: name,
      method: req.method ?? '',
      url: req.url ?? '',
      range: req.headers.range,
      auth: req.headers.authorization,
    });
    handler(req, res);
  });
}

beforeAll(async () => {
  hub = await listen('hub', serveHub);
  // Another host name, as the real CDN has: the hub's token must not go there.
  cdn = (await listen('cdn', serveCdn)).replace('127.0.0.1', 'localhost');
  refused = await refusedUrl();
});

beforeEach(() => {
  requests.length = 0;
  cutAfter = undefined;
  ignoreRange = false;
  corrupt = false;
});

let n = 0;
/** A fresh cache, and options that read nothing from the process environment. */
function fresh(extra: Parameters<typeof downloadHubFile>[2] = {}) {
  const cacheDir = join(dir, `cache${n++}`);
  return { cacheDir, options: { env: {}, endpoint: hub, cacheDir, retryDelayMs: 10, ...extra } };
}

describe('downloadHubFile: the hub cache layout', () => {
  it('builds hub file URLs', () => {
    expect(hubFileUrl('sapientinc/sudoku-extreme', 'train.csv', 'https://huggingface.co/')).toBe(
      'https://huggingface.co/datasets/sapientinc/sudoku-extreme/resolve/main/train.csv',
    );
    expect(hubFileUrl('o/m', 'a b/c.pt', 'https://h', 'refs/pr/1', 'model')).toBe(
      'https://h/o/m/resolve/refs%2Fpr%2F1/a%20b/c.pt',
    );
  });

  it('stores blobs/<etag>, a relative symlink in snapshots/<commit> and refs/<revision>', async () => {
    const { cacheDir, options } = fresh();
    const path = await downloadHubFile('test-org/public', 'train.csv', options);
    const repoDir = join(cacheDir, 'datasets--test-org--public');
    expect(hubRepoFolder(cacheDir, 'test-org/public', 'dataset')).toBe(repoDir);
    expect(path).toBe(join(repoDir, 'snapshots', COMMIT, 'train.csv'));
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path)).toBe(`../../blobs/${etagOf('train.csv')}`);
    expect(readFileSync(path)).toEqual(files['train.csv']);
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(COMMIT);
    expect(existsSync(join(repoDir, 'blobs', `${etagOf('train.csv')}.incomplete`))).toBe(false);
    expect(requests.map((r) => r.method)).toEqual(['HEAD', 'GET']);
    // The bytes are asked for at the commit the HEAD named, not at the moving branch.
    expect(requests[1]!.url).toBe(`/datasets/test-org/public/resolve/${COMMIT}/train.csv`);

    const nested = await downloadHubFile('test-org/public', 'sub/dir/notes.txt', options);
    expect(readlinkSync(nested)).toBe(`../../../../blobs/${etagOf('sub/dir/notes.txt')}`);
    expect(readFileSync(nested, 'utf8')).toBe('nested\n');
  });

  it('uses models--owner--name for model repos', async () => {
    const { cacheDir, options } = fresh();
    const path = await downloadHubFile('test-org/model', 'test.csv', {
      ...options,
      repoType: 'model',
    });
    expect(path).toBe(join(cacheDir, 'models--test-org--model', 'snapshots', COMMIT, 'test.csv'));
    expect(requests[0]!.url).toBe('/test-org/model/resolve/main/test.csv');
  });

  it('fetches large files from the CDN the hub redirects to, without sending the token there', async () => {
    const { cacheDir, options } = fresh({ token: TOKEN });
    const progress: DownloadProgress[] = [];
    const path = await downloadHubFile('test-org/public', 'big.bin', {
      ...options,
      onProgress: (p) => progress.push(p),
    });
    expect(readlinkSync(path)).toBe(`../../blobs/${sha256(files['big.bin']!)}`);
    expect(readFileSync(path).equals(files['big.bin']!)).toBe(true);
    const repoDir = join(cacheDir, 'datasets--test-org--public');
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(COMMIT);
    expect(requests.map((r) => [r.server, r.method, r.auth])).toEqual([
      ['hub', 'HEAD', `Bearer ${TOKEN}`],
      ['cdn', 'GET', undefined],
    ]);
    expect(progress.at(-1)).toMatchObject({ downloaded: 200_000, total: 200_000, resumed: false });
  });

  it('answers from the cache without the network, for a branch (through refs/) or a commit', async () => {
    const { options } = fresh();
    const first = await downloadHubFile('test-org/public', 'test.csv', options);
    requests.length = 0;
    // Nothing listens at `refused`: any request would fail.
    const offline = { ...options, endpoint: refused, retries: 0 };
    expect(await downloadHubFile('test-org/public', 'test.csv', offline)).toBe(first);
    expect(
      await downloadHubFile('test-org/public', 'test.csv', { ...offline, revision: COMMIT }),
    ).toBe(first);
    expect(requests).toEqual([]);
    // A file not cached yet does need the network, and says it could not reach it.
    await expect(downloadHubFile('test-org/public', 'train.csv', offline)).rejects.toThrow(
      /connection refused/,
    );
  });

  it('links a blob it already has into a new snapshot instead of downloading it again', async () => {
    const { cacheDir, options } = fresh();
    await downloadHubFile('test-org/public', 'train.csv', options);
    requests.length = 0;
    const path = await downloadHubFile('test-org/public', 'train.csv', {
      ...options,
      revision: 'v2',
    });
    const repoDir = join(cacheDir, 'datasets--test-org--public');
    expect(path).toBe(join(repoDir, 'snapshots', COMMIT2, 'train.csv'));
    expect(readFileSync(join(repoDir, 'refs', 'v2'), 'utf8')).toBe(COMMIT2);
    expect(readFileSync(path)).toEqual(files['train.csv']);
    expect(requests.map((r) => r.method)).toEqual(['HEAD']);
  });

  it('fetches again when a snapshot link points at a blob that was deleted', async () => {
    const { cacheDir, options } = fresh();
    const path = await downloadHubFile('test-org/public', 'test.csv', options);
    const blob = join(cacheDir, 'datasets--test-org--public', 'blobs', etagOf('test.csv'));
    rmSync(blob);
    expect(await downloadHubFile('test-org/public', 'test.csv', options)).toBe(path);
    expect(readFileSync(path)).toEqual(files['test.csv']);
  });
});

describe('downloadHubFile: sharing the cache with huggingface_hub', () => {
  /** Lays out a cache exactly as huggingface_hub's hf_hub_download leaves it. */
  function pythonStyleCache(root: string, link: 'symlink' | 'copy'): string {
    const repoDir = join(root, 'datasets--sapientinc--sudoku-extreme');
    const blob = join(repoDir, 'blobs', etagOf('train.csv'));
    mkdirSync(join(repoDir, 'blobs'), { recursive: true });
    mkdirSync(join(repoDir, 'refs'), { recursive: true });
    mkdirSync(join(repoDir, 'snapshots', COMMIT), { recursive: true });
    writeFileSync(blob, files['train.csv']!);
    writeFileSync(join(repoDir, 'refs', 'main'), COMMIT); // no trailing newline, as Python writes it
    const pointer = join(repoDir, 'snapshots', COMMIT, 'train.csv');
    if (link === 'symlink') symlinkSync(`../../blobs/${etagOf('train.csv')}`, pointer);
    else copyFileSync(blob, pointer); // Windows without symlink rights
    mkdirSync(join(root, '.locks', 'datasets--sapientinc--sudoku-extreme'), { recursive: true });
    return pointer;
  }

  for (const link of ['symlink', 'copy'] as const) {
    it(`finds a file huggingface_hub cached (${link}) without the network`, async () => {
      const hfHome = join(dir, `hf-home-${link}`);
      const pointer = pythonStyleCache(join(hfHome, 'hub'), link);
      // Located through HF_HOME alone, as huggingface_hub would locate it.
      const options = { env: { HF_HOME: hfHome }, endpoint: refused, retries: 0 };
      const path = await downloadHubFile('sapientinc/sudoku-extreme', 'train.csv', options);
      expect(path).toBe(pointer);
      expect(readFileSync(path)).toEqual(files['train.csv']);
      expect(
        await downloadHubFile('sapientinc/sudoku-extreme', 'train.csv', {
          ...options,
          revision: COMMIT,
        }),
      ).toBe(pointer);
    });
  }

  it('reuses a blob huggingface_hub downloaded for another file name or revision', async () => {
    const { cacheDir, options } = fresh();
    const repoDir = join(cacheDir, 'datasets--test-org--public');
    mkdirSync(join(repoDir, 'blobs'), { recursive: true });
    writeFileSync(join(repoDir, 'blobs', etagOf('big.bin')), files['big.bin']!);
    const path = await downloadHubFile('test-org/public', 'big.bin', options);
    expect(readFileSync(path).equals(files['big.bin']!)).toBe(true);
    expect(requests.filter((r) => r.method === 'GET')).toEqual([]);
  });

  it('resumes a partial blobs/<etag>.incomplete left by either tool', async () => {
    const { cacheDir, options } = fresh();
    const blobs = join(cacheDir, 'datasets--test-org--public', 'blobs');
    mkdirSync(blobs, { recursive: true });
    const partial = join(blobs, `${etagOf('big.bin')}.incomplete`);
    writeFileSync(partial, files['big.bin']!.subarray(0, 12_345));
    const progress: DownloadProgress[] = [];
    const path = await downloadHubFile('test-org/public', 'big.bin', {
      ...options,
      onProgress: (p) => progress.push(p),
    });
    expect(readFileSync(path).equals(files['big.bin']!)).toBe(true);
    expect(requests.find((r) => r.method === 'GET')!.range).toBe('bytes=12345-');
    expect(progress[0]).toMatchObject({ downloaded: 12_345, total: 200_000, resumed: true });
    expect(existsSync(partial)).toBe(false);
  });

  // A check against the real huggingface_hub, where it is installed: TRM_HF_PYTHON names a
  // Python that can `import huggingface_hub`.
  const python = process.env.TRM_HF_PYTHON;
  it.skipIf(!python)('agrees with the real huggingface_hub in both directions', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    // Asynchronously: the stand-in hub answers from this very event loop.
    const hfDownload = async (file: string, env: Record<string, string>) =>
      (
        await promisify(execFile)(
          python!,
          [
            '-c',
            `from huggingface_hub import hf_hub_download as d; print(d('test-org/public', '${file}', repo_type='dataset'))`,
          ],
          { encoding: 'utf8', env: { ...process.env, HF_HUB_DISABLE_TELEMETRY: '1', ...env } },
        )
      ).stdout.trim();
    // Python downloads (through the CDN redirect), we find it offline.
    const pyCache = join(dir, 'py-cache');
    const pyPath = await hfDownload('big.bin', { HF_ENDPOINT: hub, HF_HUB_CACHE: pyCache });
    expect(
      await downloadHubFile('test-org/public', 'big.bin', {
        env: {},
        cacheDir: pyCache,
        offline: true,
      }),
    ).toBe(pyPath);
    // We download, Python finds it offline.
    const ours = fresh();
    const path = await downloadHubFile('test-org/public', 'train.csv', ours.options);
    expect(
      await hfDownload('train.csv', { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: ours.cacheDir }),
    ).toBe(path);
  });
});

describe('downloadHubFile: partial and damaged downloads', () => {
  it('resumes within the same call when the connection drops mid-file', async () => {
    const { options } = fresh();
    cutAfter = 70_000;
    const retries: string[] = [];
    const progress: DownloadProgress[] = [];
    const path = await downloadHubFile('test-org/public', 'big.bin', {
      ...options,
      onRetry: (e) => retries.push(e.reason),
      onProgress: (p) => progress.push(p),
    });
    expect(readFileSync(path).equals(files['big.bin']!)).toBe(true);
    const gets = requests.filter((r) => r.method === 'GET');
    expect(gets).toHaveLength(2);
    expect(gets[0]!.range).toBeUndefined();
    const resumedFrom = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? '')?.[1]);
    expect(resumedFrom).toBeGreaterThan(0);
    expect(resumedFrom).toBeLessThanOrEqual(70_000);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatch(/closed/);
    expect(progress.find((p) => p.resumed)).toMatchObject({ downloaded: resumedFrom });
  });

  it('starts over when the server ignores the range', async () => {
    const { cacheDir, options } = fresh();
    const blobs = join(cacheDir, 'datasets--test-org--public', 'blobs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${etagOf('big.bin')}.incomplete`), Buffer.alloc(5000, 9));
    ignoreRange = true;
    const path = await downloadHubFile('test-org/public', 'big.bin', options);
    expect(readFileSync(path).equals(files['big.bin']!)).toBe(true);
  });

  it('refuses bytes that do not match the etag, and deletes them', async () => {
    const { cacheDir, options } = fresh();
    corrupt = true;
    const err = await downloadHubFile('test-org/public', 'train.csv', options).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.message).toMatch(/does not match its checksum.*run again/);
    const repoDir = join(cacheDir, 'datasets--test-org--public');
    expect(existsSync(join(repoDir, 'blobs', `${etagOf('train.csv')}.incomplete`))).toBe(false);
    expect(existsSync(join(repoDir, 'snapshots', COMMIT, 'train.csv'))).toBe(false);
  });
});

describe('downloadHubFile: a plain file server behind HF_ENDPOINT', () => {
  it('caches files from a server that sends no commit or etag, and finds them again', async () => {
    const body = Buffer.from('a,b\n1,2\n');
    const plain = await listen('hub', (req, res) => {
      if (req.url !== '/datasets/me/plain/resolve/main/x.csv') res.writeHead(404).end();
      else res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    const { cacheDir } = fresh();
    const options = { env: {}, endpoint: plain, cacheDir };
    const path = await downloadHubFile('me/plain', 'x.csv', options);
    const repoDir = join(cacheDir, 'datasets--me--plain');
    expect(path).toBe(join(repoDir, 'snapshots', 'main', 'x.csv'));
    expect(readlinkSync(path)).toBe(`../../blobs/${sha256(body)}`);
    expect(readFileSync(path)).toEqual(body);
    expect(
      await downloadHubFile('me/plain', 'x.csv', { ...options, endpoint: refused, retries: 0 }),
    ).toBe(path);
  });
});

describe('downloadHubFile: input checks', () => {
  it('rejects bad ids, file names and revisions before any request', async () => {
    const { options } = fresh();
    await expect(downloadHubFile('not-an-id', 'x', options)).rejects.toThrow(
      /'not-an-id' is not a hub repo id: expected owner\/name/,
    );
    for (const bad of ['../escape.csv', '/abs.csv', 'a//b', 'a\\b']) {
      await expect(downloadHubFile('test-org/public', bad, options)).rejects.toThrow(
        /not a usable file name/,
      );
    }
    await expect(
      downloadHubFile('test-org/public', 'x.csv', { ...options, revision: '../../x' }),
    ).rejects.toThrow(/not a usable revision/);
    await expect(
      downloadHubFile('test-org/public', 'x.csv', { ...options, responseTimeoutMs: -1 }),
    ).rejects.toThrow(/responseTimeoutMs is -1/);
    expect(requests).toEqual([]);
  });

  it('reports a missing file as status 404 after a single request', async () => {
    const { options } = fresh();
    const err = await downloadHubFile('test-org/public', 'nope.csv', options).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.status).toBe(404);
    expect(err.message).toContain(`${hub}/datasets/test-org/public/resolve/main/nope.csv`);
    expect(err.message).toMatch(/not found \(HTTP 404/);
    expect(requests).toHaveLength(1);
  });

  it('lets a builder take a hub dataset id', async () => {
    const { options } = fresh();
    const res = await buildSudokuDataset({
      source: 'test-org/public',
      outputDir: join(dir, 'from-hub'),
      hub: options,
    });
    expect(res.train.examples).toBe(5);
    expect(res.test.examples).toBe(2);
    expect(statSync(join(dir, 'from-hub', 'train', 'dataset.json')).isFile()).toBe(true);
  });
});
