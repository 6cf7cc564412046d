import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readMetadata } from '@trm/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../src/cli/exit-code.js';
import type { CliIO } from '../src/cli/types.js';
import { InputError } from '../src/errors.js';
import {
  cliHubOptions,
  createDownloadBar,
  fetchHubCheckpoint,
  formatBytes,
} from '../src/util/hub.js';
import { buildSudoku4, Capture, checkpointTensors, TINY_ARCH, tempDir, trm } from './helpers.js';

// A stand-in hub for model and dataset repos (commit and etag headers as huggingface.co sends).
const COMMIT = 'e5'.repeat(20);
const CKPT = Buffer.alloc(300_000, 3);
const gitSha1 = (b: Buffer) =>
  createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const files = new Map<string, Buffer>([['/me/model/resolve/main/step_10.safetensors', CKPT]]);
let busy = 0;
const auth: (string | undefined)[] = [];
let server: Server;
let endpoint: string;
let refused: string;

function serve(req: IncomingMessage, res: ServerResponse): void {
  auth.push(req.headers.authorization);
  if (busy > 0) {
    busy--;
    res.writeHead(503).end();
    return;
  }
  const url = (req.url ?? '').replace(`/resolve/${COMMIT}/`, '/resolve/main/');
  if (url.startsWith('/stall/')) {
    res.writeHead(200, { 'x-repo-commit': COMMIT, etag: '"stall"', 'content-length': 100 });
    if (req.method === 'HEAD') res.end();
    else res.write('x');
    return;
  }
  const body = files.get(url);
  if (!body) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, {
    'x-repo-commit': COMMIT,
    etag: `"${gitSha1(body)}"`,
    'content-length': body.length,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

beforeAll(async () => {
  server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  refused = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
  await new Promise((r) => gone.close(r));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function io(env: NodeJS.ProcessEnv, tty = false): CliIO & { stderr: Capture } {
  return { stdout: new Capture(tty), stderr: new Capture(tty), cwd: tempDir(), env };
}

describe('the download bar', () => {
  it('shows bytes, total, rate and ETA on a terminal, and a summary at the end', () => {
    const out = new Capture(true, 120);
    let t = 0;
    const bar = createDownloadBar(out, 'downloading me/x/a.csv', { now: () => t });
    bar.update(0, 10_000_000);
    t = 2000;
    bar.update(4_000_000, 10_000_000);
    t = 4000;
    bar.update(10_000_000, 10_000_000);
    bar.finish();
    const frames = out.text.split('\r\x1b[K').filter((s) => s !== '');
    expect(frames[1]).toMatch(
      /^downloading me\/x\/a\.csv \[#+-+\] {2}40% 4\.00 MB\/10\.0 MB 2\.00 MB\/s ETA 3s$/,
    );
    expect(frames.at(-1)).toBe('downloading me/x/a.csv done: 10.0 MB in 4.0s, 2.50 MB/s\n');
  });

  it('counts only this run in the rate of a resumed download, and logs every 10% without a terminal', () => {
    const out = new Capture(false);
    let t = 0;
    const bar = createDownloadBar(out, 'dl', { now: () => t });
    bar.update(6_000_000, 10_000_000);
    t = 1000;
    bar.update(7_000_000, 10_000_000);
    t = 2000;
    bar.update(8_000_000, 10_000_000);
    bar.update(8_100_000, 10_000_000);
    t = 4000;
    bar.update(10_000_000, 10_000_000);
    bar.finish();
    expect(out.text).toBe(
      [
        'dl 70% (7.00 MB/10.0 MB 1.00 MB/s) ETA 3s',
        'dl 80% (8.00 MB/10.0 MB 1.00 MB/s) ETA 2s',
        'dl done: 10.0 MB in 4.0s, 1.00 MB/s, resumed at 6.00 MB',
        '',
      ].join('\n'),
    );
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_234_567_890)).toBe('1.23 GB');
  });
});

describe('hub options of a command', () => {
  it('come from io.env, not from process.env, and are checked only when a download needs them', () => {
    const saved = process.env.HF_TOKEN;
    process.env.HF_TOKEN = 'hf_process';
    try {
      const fine = cliHubOptions(io({ HF_HOME: '/h', HF_ENDPOINT: endpoint }));
      expect(fine.options.token).toBeUndefined();
      expect(fine.options.cacheDir).toBe('/h/hub');
      expect(fine.options.endpoint).toBe(endpoint);
      const bad = cliHubOptions(io({ HF_HUB_DOWNLOAD_TIMEOUT: 'soon' }));
      bad.stop(); // constructing and stopping never reads the options
      let err: unknown;
      try {
        void bad.options;
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(
        /^HF_HUB_DOWNLOAD_TIMEOUT=soon is not a positive number/,
      );
      expect(exitCodeFor(err)).toBe(2);
      expect(cliHubOptions(io({ TRM_HUB_RETRIES: '1' })).options.retries).toBe(1);
      expect(() => cliHubOptions(io({ TRM_HUB_RETRIES: 'many' })).options).toThrow(
        /^TRM_HUB_RETRIES=many is not a whole number/,
      );
    } finally {
      if (saved === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = saved;
    }
  });
});

describe('fetchHubCheckpoint', () => {
  it('downloads into the hub cache of io.env with a progress bar, saying why it retries', async () => {
    const home = tempDir();
    const cli = io({ HF_ENDPOINT: endpoint, HF_HOME: home, HF_TOKEN: 'hf_cli' });
    busy = 1;
    auth.length = 0;
    const path = await fetchHubCheckpoint('me/model/step_10.safetensors', cli, {
      retryDelayMs: 10,
    });
    expect(path).toBe(
      join(home, 'hub', 'models--me--model', 'snapshots', COMMIT, 'step_10.safetensors'),
    );
    expect(readFileSync(path).equals(CKPT)).toBe(true);
    expect(auth.every((a) => a === 'Bearer hf_cli')).toBe(true);
    const lines = cli.stderr.text.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^HTTP 503 Service Unavailable from ${endpoint}/me/model/resolve/main/step_10\\.safetensors; retrying in 0\\.0 s \\(attempt 2 of 5\\)$`,
      ),
    );
    expect(lines[1]).toMatch(
      /^downloading me\/model\/step_10\.safetensors done: 300 kB in \d+\.\ds/,
    );
    // Cached: no request, no bar.
    auth.length = 0;
    const again = io({ HF_ENDPOINT: refused, HF_HOME: home });
    expect(await fetchHubCheckpoint('me/model/step_10.safetensors', again)).toBe(path);
    expect(auth).toEqual([]);
    expect(again.stderr.text).toBe('');
  });

  it('turns a 404 into an input error (exit 2)', async () => {
    const err = await fetchHubCheckpoint(
      'me/model/nope.safetensors',
      io({ HF_ENDPOINT: endpoint, HF_HOME: tempDir() }),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(
      /^Checkpoint me\/model\/nope\.safetensors is not on the Hugging Face hub: Could not look up .*\/me\/model\/resolve\/main\/nope\.safetensors: not found \(HTTP 404/,
    );
    expect(exitCodeFor(err)).toBe(2);
  });

  it('fails within seconds on a stalled download, naming the URL, the cause and the attempts (exit 1)', async () => {
    const cli = io({ HF_ENDPOINT: endpoint, HF_HOME: tempDir(), HF_HUB_DOWNLOAD_TIMEOUT: '0.2' });
    const t = Date.now();
    const err = await fetchHubCheckpoint('stall/model/x.safetensors', cli, {
      retries: 1,
      retryDelayMs: 10,
    }).catch((e) => e);
    expect(err.name).toBe('HubError');
    expect(err.message).toMatch(
      /^Could not download http:.*\/stall\/model\/resolve\/e5e5.*\/x\.safetensors: the download stalled: no data for 0\.2 s \(gave up after 2 attempts\)\. On a slow network raise HF_HUB_DOWNLOAD_TIMEOUT/,
    );
    expect(exitCodeFor(err)).toBe(1);
    expect(Date.now() - t).toBeLessThan(3000);
    expect(cli.stderr.text).toContain('the download stalled: no data for 0.2 s from');
  });
});

describe('trm with the hub', () => {
  it('trm build-dataset gives up on a hub that never answers within seconds, saying why', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const at = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const cwd = tempDir();
      const env = {
        HF_ENDPOINT: at,
        HF_HOME: join(cwd, 'hf'),
        HF_HUB_DOWNLOAD_TIMEOUT: '0.2',
        TRM_HUB_RETRIES: '1',
      };
      const t = Date.now();
      const r = await trm(
        ['build-dataset', 'sudoku', '--source', 'me/sudoku', '--output-dir', 'out'],
        { cwd, env },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `Could not look up ${at}/datasets/me/sudoku/resolve/main/train.csv: no response within 0.2 s (gave up after 2 attempts).`,
      );
      expect(r.stderr).not.toContain('fetch failed');
      expect(Date.now() - t).toBeLessThan(5000);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it('trm eval --checkpoint owner/repo/file shows the download bar', async () => {
    const work = tempDir();
    const env = { HF_ENDPOINT: endpoint, HF_HOME: join(work, 'hf'), XDG_RUNTIME_DIR: '/tmp/xdg' };
    const data = await buildSudoku4(work, { count: 4, testCount: 2, seed: 1, env });
    const r = await trm(
      [
        'eval',
        '--checkpoint',
        'me/model/step_10.safetensors',
        '--dataset',
        data,
        '--outdir',
        'out',
      ],
      { cwd: work, env },
    );
    // The served bytes are no checkpoint: what matters here is the download before that.
    expect(r.stderr).toMatch(/downloading me\/model\/step_10\.safetensors done: 300 kB in /);
    expect(r.code).toBe(2);
  });

  it('trm train load_checkpoint=owner/repo/file starts from the hub file, as the reference', async () => {
    const work = tempDir();
    const env = { HF_ENDPOINT: endpoint, HF_HOME: join(work, 'hf'), XDG_RUNTIME_DIR: '/tmp/xdg' };
    const data = await buildSudoku4(work, { count: 8, testCount: 2, seed: 1, env });
    // lr = 0 keeps every weight where it started: at its seed's initialisation, or the loaded one.
    const run = (name: string, ...extra: string[]) =>
      trm(
        [
          'train',
          '--preset',
          'none',
          `data_paths=[${data}]`,
          ...TINY_ARCH,
          'arch.halt_max_steps=2',
          'global_batch_size=4',
          'epochs=1',
          'eval_interval=1',
          'evaluators=[]',
          'lr=0',
          'puzzle_emb_lr=0',
          `checkpoint_path=${join(work, name)}`,
          ...extra,
        ],
        { cwd: work, env },
      );
    const published = await run('published', 'seed=0');
    expect(published.code, published.stderr).toBe(0);
    const servedFile = join(work, 'published', 'step_2.safetensors');
    files.set('/me/trained/resolve/main/step_2.safetensors', readFileSync(servedFile));
    // On two devices: both ranks read the file, which is downloaded once.
    const loaded = await run(
      'loaded',
      'seed=1',
      'load_checkpoint=me/trained/step_2.safetensors',
      '--devices',
      '0,0',
    );
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(
      loaded.stderr.match(/downloading me\/trained\/step_2\.safetensors done: /g),
    ).toHaveLength(1);
    expect(loaded.stderr).toContain('initialised from me/trained/step_2.safetensors');
    const served = await checkpointTensors(servedFile);
    const trained = await checkpointTensors(join(work, 'loaded', 'step_2.safetensors'));
    for (const [name, t] of served) expect(trained.get(name), name).toEqual(t);
    // Without the hub file, seed 1 starts elsewhere.
    const own = await run('own', 'seed=1');
    const ownTensors = await checkpointTensors(join(work, 'own', 'step_2.safetensors'));
    const qkv = [...served.keys()].find((k) => k.includes('qkv_proj'))!;
    expect(own.code, own.stderr).toBe(0);
    expect(ownTensors.get(qkv)).not.toEqual(served.get(qkv));
  }, 120_000);

  it('builds from a hub cache laid out by huggingface_hub with HF_HUB_OFFLINE=1, and says what is missing otherwise', async () => {
    const cwd = tempDir();
    const gen = await trm(
      ['generate', 'sudoku', '--size', '4', '--count', '6', '--test-count', '2', '--output', 'csv'],
      { cwd },
    );
    expect(gen.code).toBe(0);
    const repoDir = join(cwd, 'hf', 'hub', 'datasets--me--sudoku-offline');
    for (const dir of ['blobs', 'refs', `snapshots/${COMMIT}`])
      mkdirSync(join(repoDir, dir), { recursive: true });
    writeFileSync(join(repoDir, 'refs', 'main'), COMMIT);
    for (const split of ['train', 'test']) {
      const body = readFileSync(join(cwd, 'csv', `${split}.csv`));
      writeFileSync(join(repoDir, 'blobs', gitSha1(body)), body);
      symlinkSync(
        `../../blobs/${gitSha1(body)}`,
        join(repoDir, 'snapshots', COMMIT, `${split}.csv`),
      );
    }
    const env = { HF_ENDPOINT: refused, HF_HOME: join(cwd, 'hf'), HF_HUB_OFFLINE: '1' };
    const ok = await trm(
      ['build-dataset', 'sudoku', '--source', 'me/sudoku-offline', '--output-dir', 'out'],
      { cwd, env },
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(readMetadata(join(cwd, 'out', 'train', 'dataset.json')).total_groups).toBe(6);

    const missing = await trm(
      ['build-dataset', 'maze', '--source', 'me/not-cached', '--output-dir', 'out2'],
      { cwd, env },
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /me\/not-cached\/train\.csv \(revision main\) is not in the hub cache at .*datasets--me--not-cached, and HF_HUB_OFFLINE is set/,
    );
  });
});
