import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError } from '../src/errors.js';
import {
  defaultHubCacheDir,
  downloadHubFile,
  hfHome,
  hubOptionsFromEnv,
  hubToken,
} from '../src/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
const COMMIT = 'd4'.repeat(20);
const TOKEN = 'hf_env_token';
const auth: (string | undefined)[] = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    auth.push(req.headers.authorization);
    const body = Buffer.from(`file ${req.url}\n`);
    res.writeHead(200, {
      'x-repo-commit': COMMIT,
      etag: `"e${auth.length}"`,
      'content-length': body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('hub settings from the environment', () => {
  it('finds HF_HOME and the hub cache as huggingface_hub does', () => {
    expect(hfHome({})).toBe(join(homedir(), '.cache', 'huggingface'));
    expect(hfHome({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/huggingface');
    expect(hfHome({ HF_HOME: '/x/hf', XDG_CACHE_HOME: '/xdg' })).toBe('/x/hf');
    expect(hfHome({ HF_HOME: '~/hf' })).toBe(join(homedir(), 'hf'));
    expect(defaultHubCacheDir({ HF_HOME: '/x/hf' })).toBe('/x/hf/hub');
    expect(defaultHubCacheDir({ HF_HOME: '/x/hf', HF_HUB_CACHE: '/c' })).toBe('/c');
    expect(defaultHubCacheDir({ HUGGINGFACE_HUB_CACHE: '/old' })).toBe('/old');
  });

  it('takes the token from HF_TOKEN, else from the token file of `hf auth login`', () => {
    const home = join(dir, 'home-with-token');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'token'), `${TOKEN}\n`);
    expect(hubToken({ HF_HOME: home })).toBe(TOKEN);
    expect(hubToken({ HF_HOME: home, HF_TOKEN: 'hf_var' })).toBe('hf_var');
    expect(hubToken({ HF_HOME: home, HUGGING_FACE_HUB_TOKEN: 'hf_old' })).toBe('hf_old');
    const elsewhere = join(dir, 'elsewhere-token');
    writeFileSync(elsewhere, 'hf_path');
    expect(hubToken({ HF_HOME: home, HF_TOKEN_PATH: elsewhere })).toBe('hf_path');
    expect(hubToken({ HF_HOME: join(dir, 'no-such-home') })).toBeUndefined();
  });

  it('builds options from an env object, offline and timeouts included', () => {
    const home = join(dir, 'h');
    expect(
      hubOptionsFromEnv({
        HF_HOME: home,
        HF_ENDPOINT: 'https://mirror.example/',
        HF_HUB_OFFLINE: 'yes',
        HF_HUB_DOWNLOAD_TIMEOUT: '2.5',
        HF_TOKEN: 't',
      }),
    ).toEqual({
      env: expect.any(Object),
      endpoint: 'https://mirror.example',
      cacheDir: join(home, 'hub'),
      offline: true,
      token: 't',
      responseTimeoutMs: 2500,
      readTimeoutMs: 2500,
    });
    for (const v of ['1', 'ON', 'true', 'Yes'])
      expect(hubOptionsFromEnv({ HF_HUB_OFFLINE: v }).offline).toBe(true);
    for (const v of ['0', 'off', '', 'no'])
      expect(hubOptionsFromEnv({ HF_HUB_OFFLINE: v }).offline).toBe(false);
    expect(hubOptionsFromEnv({ TRANSFORMERS_OFFLINE: '1' }).offline).toBe(true);
  });

  it('names the variable and the fix when a value is unusable', () => {
    expect(() => hubOptionsFromEnv({ HF_HUB_DOWNLOAD_TIMEOUT: 'soon' })).toThrow(
      /HF_HUB_DOWNLOAD_TIMEOUT=soon is not a positive number of seconds\. Set it to, for example, 60/,
    );
    expect(() => hubOptionsFromEnv({ HF_ENDPOINT: 'huggingface.co' })).toThrow(HubError);
    expect(() => hubOptionsFromEnv({ HF_ENDPOINT: 'ftp://x' })).toThrow(
      /HF_ENDPOINT=ftp:\/\/x is not an http\(s\) URL/,
    );
  });
});

describe('downloadHubFile with an explicit environment', () => {
  it('uses HF_ENDPOINT, HF_HOME and the token file of the env it is given, not process.env', async () => {
    const home = join(dir, 'explicit');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'token'), TOKEN);
    const saved = process.env.HF_TOKEN;
    process.env.HF_TOKEN = 'hf_from_process_env';
    try {
      auth.length = 0;
      const path = await downloadHubFile('o/r', 'a.csv', {
        env: { HF_ENDPOINT: endpoint, HF_HOME: home },
      });
      expect(path).toBe(join(home, 'hub', 'datasets--o--r', 'snapshots', COMMIT, 'a.csv'));
      expect(auth).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
      // Spreading hubOptionsFromEnv keeps to that env too.
      auth.length = 0;
      await downloadHubFile('o/r', 'b.csv', {
        ...hubOptionsFromEnv({ HF_HOME: join(dir, 'x') }),
        endpoint,
      });
      expect(auth).toEqual([undefined, undefined]);
    } finally {
      if (saved === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = saved;
    }
  });

  it('HF_HUB_OFFLINE=1: a cached file is returned, anything else fails without a request', async () => {
    const home = join(dir, 'offline');
    const path = await downloadHubFile('o/r', 'c.csv', {
      env: { HF_ENDPOINT: endpoint, HF_HOME: home },
    });
    auth.length = 0;
    const env = { HF_ENDPOINT: endpoint, HF_HOME: home, HF_HUB_OFFLINE: '1' };
    expect(await downloadHubFile('o/r', 'c.csv', { env })).toBe(path);
    const err = await downloadHubFile('o/r', 'd.csv', { env }).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.message).toBe(
      `o/r/d.csv (revision main) is not in the hub cache at ${join(home, 'hub', 'datasets--o--r')}, and HF_HUB_OFFLINE is set, so it was not downloaded from ${endpoint}/datasets/o/r/resolve/main/d.csv. Unset HF_HUB_OFFLINE (or pass offline: false) to download it, or point HF_HUB_CACHE / HF_HOME at a cache that has it.`,
    );
    expect(auth).toEqual([]);
  });

  it('ignores a bad variable that an explicit option overrides', async () => {
    const path = await downloadHubFile('o/r', 'f.csv', {
      env: {
        HF_ENDPOINT: 'not a url',
        HF_HUB_DOWNLOAD_TIMEOUT: 'x',
        HF_HOME: join(dir, 'override'),
      },
      endpoint,
      responseTimeoutMs: 1000,
      readTimeoutMs: 1000,
    });
    expect(path).toContain(join('override', 'hub', 'datasets--o--r'));
    await expect(
      downloadHubFile('o/r', 'f.csv', {
        env: { HF_ENDPOINT: 'not a url' },
        cacheDir: join(dir, 'o2'),
      }),
    ).rejects.toThrow(/HF_ENDPOINT=not a url is not an http\(s\) URL/);
  });

  it('HF_HUB_DOWNLOAD_TIMEOUT sets the timeouts', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const t = Date.now();
      const err = await downloadHubFile('o/r', 'e.csv', {
        env: {
          HF_ENDPOINT: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
          HF_HOME: join(dir, 'timeout'),
          HF_HUB_DOWNLOAD_TIMEOUT: '0.2',
        },
        retries: 0,
      }).catch((e) => e);
      expect(err.message).toMatch(
        /: no response within 0\.2 s\. On a slow network raise HF_HUB_DOWNLOAD_TIMEOUT/,
      );
      expect(Date.now() - t).toBeLessThan(1500);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });
});
