import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSudokuDataset } from '../src/builders/sudoku.js';
import { HubError } from '../src/errors.js';
import { writePuzzleCsvSplits } from '../src/generators/csv.js';
import { generateSudokus } from '../src/generators/sudoku.js';
import {
  type DownloadProgress,
  defaultHubCacheDir,
  downloadHubFile,
  hubFileUrl,
} from '../src/hub/download.js';
import { tempDir } from './helpers.js';

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
  'big.bin': Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251)),
};

let server: Server;
let endpoint: string;
const requests: { url: string; range: string | undefined; auth: string | undefined }[] = [];
/** When set, the next response for this file is cut off after this many bytes. */
let cutAfter: number | undefined;
let ignoreRange = false;
const TOKEN = 'hf_test_token';

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    requests.push({
      url: req.url ?? '',
      range: req.headers.range,
      auth: req.headers.authorization,
    });
    const m = /^\/datasets\/test-org\/([\w.-]+)\/resolve\/main\/([\w.]+)$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end('not found');
      return;
    }
    if (m[1] === 'private' && req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end('unauthorized');
      return;
    }
    const body = files[m[2]!];
    if (!body) {
      res.writeHead(404).end('no such file');
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let start = 0;
    if (range && !ignoreRange) {
      start = Number(range[1]);
      res.writeHead(206, {
        'content-length': body.length - start,
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      });
    } else {
      res.writeHead(200, { 'content-length': body.length });
    }
    if (cutAfter !== undefined) {
      const n = cutAfter;
      cutAfter = undefined;
      res.write(body.subarray(start, start + n), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('downloadHubFile', () => {
  it('builds hub file URLs and default cache dirs from HF_HOME', () => {
    expect(hubFileUrl('sapientinc/sudoku-extreme', 'train.csv', 'https://huggingface.co/')).toBe(
      'https://huggingface.co/datasets/sapientinc/sudoku-extreme/resolve/main/train.csv',
    );
    expect(defaultHubCacheDir({ HF_HOME: '/x/hf' })).toBe('/x/hf/trm-datasets');
  });

  it('resumes an interrupted download with a Range request and reports progress', async () => {
    const cacheDir = join(dir, 'cache1');
    requests.length = 0;
    cutAfter = 70_000;
    const err = await downloadHubFile('test-org/public', 'big.bin', { endpoint, cacheDir }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(HubError);
    expect(err.message).toMatch(/interrupted|got \d+ of 200000 bytes/);
    const partial = join(cacheDir, 'datasets--test-org--public', 'main', 'big.bin.incomplete');
    expect(existsSync(partial)).toBe(true);
    const have = statSync(partial).size;
    expect(have).toBeGreaterThan(0);
    expect(have).toBeLessThan(200_000);

    const progress: DownloadProgress[] = [];
    const path = await downloadHubFile('test-org/public', 'big.bin', {
      endpoint,
      cacheDir,
      onProgress: (p) => progress.push(p),
    });
    expect(readFileSync(path)).toEqual(files['big.bin']);
    expect(requests[1]!.range).toBe(`bytes=${have}-`);
    expect(progress[0]).toMatchObject({ downloaded: have, total: 200_000, resumed: true });
    expect(progress[progress.length - 1]).toMatchObject({ downloaded: 200_000, total: 200_000 });
    expect(existsSync(partial)).toBe(false);

    // Cached: no further request.
    await downloadHubFile('test-org/public', 'big.bin', { endpoint, cacheDir });
    expect(requests.length).toBe(2);
  });

  it('restarts from scratch when the server ignores the range', async () => {
    const cacheDir = join(dir, 'cache2');
    cutAfter = 1000;
    await downloadHubFile('test-org/public', 'big.bin', { endpoint, cacheDir }).catch(
      () => undefined,
    );
    ignoreRange = true;
    try {
      const path = await downloadHubFile('test-org/public', 'big.bin', { endpoint, cacheDir });
      expect(readFileSync(path)).toEqual(files['big.bin']);
    } finally {
      ignoreRange = false;
    }
  });

  it('sends HF_TOKEN as a Bearer header and uses HF_ENDPOINT / HF_HOME from the environment', async () => {
    const saved = { ...process.env };
    process.env.HF_ENDPOINT = endpoint;
    process.env.HF_HOME = join(dir, 'hf-home');
    try {
      delete process.env.HF_TOKEN;
      const denied = await downloadHubFile('test-org/private', 'test.csv').catch((e) => e);
      expect(denied).toBeInstanceOf(HubError);
      expect(denied.status).toBe(401);
      expect(denied.message).toMatch(/set HF_TOKEN/);
      process.env.HF_TOKEN = TOKEN;
      requests.length = 0;
      const path = await downloadHubFile('test-org/private', 'test.csv');
      expect(requests[0]!.auth).toBe(`Bearer ${TOKEN}`);
      expect(path.startsWith(join(dir, 'hf-home', 'trm-datasets'))).toBe(true);
      expect(readFileSync(path)).toEqual(files['test.csv']);
    } finally {
      process.env = saved;
    }
  });

  it('reports missing files and bad ids', async () => {
    const err = await downloadHubFile('test-org/public', 'nope.csv', {
      endpoint,
      cacheDir: join(dir, 'c3'),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.status).toBe(404);
    await expect(downloadHubFile('not-an-id', 'x', { endpoint })).rejects.toThrow(
      /not a hub dataset id/,
    );
  });

  it('lets a builder take a hub dataset id', async () => {
    const res = await buildSudokuDataset({
      source: 'test-org/public',
      outputDir: join(dir, 'from-hub'),
      hub: { endpoint, cacheDir: join(dir, 'cache4') },
    });
    expect(res.train.examples).toBe(5);
    expect(res.test.examples).toBe(2);
  });
});
