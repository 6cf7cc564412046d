import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readMetadata } from '@trm/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, trm } from './helpers.js';

describe('build-dataset from a hub id (local stand-in server)', () => {
  let server: Server;
  let endpoint: string;
  const files = new Map<string, string>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = files.get(req.url ?? '');
      if (body === undefined) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('downloads train.csv/test.csv into the HF cache and builds', async () => {
    const cwd = tempDir();
    const gen = await trm(
      ['generate', 'sudoku', '--size', '4', '--count', '6', '--test-count', '2', '--output', 'csv'],
      { cwd },
    );
    expect(gen.code).toBe(0);
    for (const split of ['train', 'test']) {
      files.set(
        `/datasets/me/sudoku-small/resolve/main/${split}.csv`,
        readFileSync(join(cwd, 'csv', `${split}.csv`), 'utf8'),
      );
    }
    const env = { HF_ENDPOINT: endpoint, HF_HOME: join(cwd, 'hf') };
    const r = await trm(
      ['build-dataset', 'sudoku', '--source', 'me/sudoku-small', '--output-dir', 'out'],
      { cwd, env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('downloading me/sudoku-small/train.csv');
    expect(readMetadata(join(cwd, 'out', 'train', 'dataset.json')).total_groups).toBe(6);
  });

  it('an unknown hub id is an input error (exit 2) and writes nothing', async () => {
    const cwd = tempDir();
    const env = { HF_ENDPOINT: endpoint, HF_HOME: join(cwd, 'hf') };
    const r = await trm(
      ['build-dataset', 'maze', '--source', 'me/missing', '--output-dir', 'out'],
      { cwd, env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--source me/missing: not found on the hub (HTTP 404)');
  });
});
