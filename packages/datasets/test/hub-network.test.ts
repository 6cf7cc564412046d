import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HubError } from '../src/errors.js';
import { downloadHubFile, type HubOptions, type HubRetryEvent } from '../src/index.js';
import { listen as listenLocal, refusedUrl, tempDir } from './helpers.js';

// Servers that fail the way networks do. Every test sets short timeouts and delays, and
// checks that the failure ends within a few seconds with a message a user can act on.

const dir = tempDir();
const COMMIT = 'c3'.repeat(20);
const BODY = Buffer.from('inputs,labels\n1,2\n');
let silent: string;
let stalling: string;
let flaky: string;
let limited: string;
let refused: string;
let flakyLeft = 0;
let limitedLeft = 0;
let retryAfter = '1';
const seen: { method: string; at: number }[] = [];

const META = { 'x-repo-commit': COMMIT, etag: '"not-a-content-hash"' };

function ok(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { ...META, 'content-length': BODY.length });
  res.end(req.method === 'HEAD' ? undefined : BODY);
}

/** A local server that also records each request's method and arrival time. */
function listen(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  return listenLocal((req, res) => {
    seen.push({ method: req.method ?? '', at: Date.now() });
    handler(req, res);
  });
}

beforeAll(async () => {
  // (a) accepts the connection and never answers
  silent = await listen(() => undefined);
  // (b) answers the headers, sends a little, then stalls
  stalling = await listen((req, res) => {
    res.writeHead(200, { ...META, 'content-length': 1000 });
    if (req.method === 'HEAD') res.end();
    else res.write(Buffer.alloc(10, 1));
  });
  // (c) 503 a few times, then the file
  flaky = await listen((req, res) => {
    if (flakyLeft-- > 0) res.writeHead(503).end('busy');
    else ok(req, res);
  });
  // (d) 429 with Retry-After, then the file
  limited = await listen((req, res) => {
    if (limitedLeft-- > 0) res.writeHead(429, { 'retry-after': retryAfter }).end();
    else ok(req, res);
  });
  refused = await refusedUrl();
});

let n = 0;
function opts(endpoint: string, extra: HubOptions = {}): HubOptions {
  return {
    env: {},
    endpoint,
    cacheDir: join(dir, `cache${n++}`),
    responseTimeoutMs: 300,
    readTimeoutMs: 300,
    retries: 2,
    retryDelayMs: 20,
    ...extra,
  };
}

async function failure(p: Promise<unknown>): Promise<{ err: HubError; ms: number }> {
  const t = Date.now();
  const err = await p.then(
    () => {
      throw new Error('expected the download to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HubError);
  return { err: err as HubError, ms: Date.now() - t };
}

const url = (endpoint: string, file = 'train.csv') =>
  `${endpoint}/datasets/o/r/resolve/main/${file}`;

describe('downloadHubFile on a bad network', () => {
  it('(a) gives up on a server that never answers, saying so', async () => {
    const retries: HubRetryEvent[] = [];
    const { err, ms } = await failure(
      downloadHubFile('o/r', 'train.csv', opts(silent, { onRetry: (e) => retries.push(e) })),
    );
    expect(err.message).toBe(
      `Could not look up ${url(silent)}: no response within 0.3 s (gave up after 3 attempts). On a slow network raise HF_HUB_DOWNLOAD_TIMEOUT (seconds); set HF_HUB_OFFLINE=1 to use only files already in the cache.`,
    );
    expect(err.status).toBeUndefined();
    expect(retries.map((r) => [r.attempt, r.attempts, r.reason])).toEqual([
      [1, 3, 'no response within 0.3 s'],
      [2, 3, 'no response within 0.3 s'],
    ]);
    expect(ms).toBeLessThan(3000);
  });

  it('(b) gives up on a download that stalls mid-body, keeping the bytes for a resume', async () => {
    const o = opts(stalling);
    const { err, ms } = await failure(downloadHubFile('o/r', 'train.csv', o));
    expect(err.message).toMatch(
      /^Could not download .*\/resolve\/c3c3.*\/train\.csv: the download stalled: no data for 0\.3 s \(gave up after 3 attempts\)\./,
    );
    const partial = join(o.cacheDir!, 'datasets--o--r', 'blobs', 'not-a-content-hash.incomplete');
    expect(statSync(partial).size).toBe(10);
    expect(ms).toBeLessThan(4000);
  });

  it('(c) retries 503 with backoff and then succeeds', async () => {
    flakyLeft = 2;
    const retries: HubRetryEvent[] = [];
    seen.length = 0;
    const path = await downloadHubFile(
      'o/r',
      'train.csv',
      opts(flaky, { retryDelayMs: 100, onRetry: (e) => retries.push(e) }),
    );
    expect(readFileSync(path)).toEqual(BODY);
    expect(retries.map((r) => r.reason)).toEqual([
      'HTTP 503 Service Unavailable',
      'HTTP 503 Service Unavailable',
    ]);
    // Exponential: about 100 ms, then about 200 ms (±25% jitter).
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(75);
    expect(retries[0]!.delayMs).toBeLessThanOrEqual(125);
    expect(retries[1]!.delayMs).toBeGreaterThanOrEqual(150);
    expect(retries[1]!.delayMs).toBeLessThanOrEqual(250);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(70);
  });

  it('(c) reports the status once 5xx outlasts the retries', async () => {
    flakyLeft = 10;
    const { err, ms } = await failure(downloadHubFile('o/r', 'train.csv', opts(flaky)));
    expect(err.status).toBe(503);
    expect(err.message).toMatch(
      /HTTP 503 Service Unavailable \(gave up after 3 attempts\)\. The hub \(or the mirror at HF_ENDPOINT\) is having trouble/,
    );
    expect(ms).toBeLessThan(2000);
    flakyLeft = 0;
  });

  it('(d) waits as long as a 429 Retry-After asks, then succeeds', async () => {
    limitedLeft = 1;
    retryAfter = '1';
    const retries: HubRetryEvent[] = [];
    const t = Date.now();
    const path = await downloadHubFile(
      'o/r',
      'train.csv',
      opts(limited, { onRetry: (e) => retries.push(e) }),
    );
    expect(readFileSync(path)).toEqual(BODY);
    expect(retries).toEqual([
      expect.objectContaining({ delayMs: 1000, reason: 'HTTP 429 Too Many Requests' }),
    ]);
    expect(Date.now() - t).toBeGreaterThanOrEqual(950);
  });

  it('(d) fails at once when Retry-After is beyond the cap', async () => {
    limitedLeft = 1;
    retryAfter = '3600';
    const { err, ms } = await failure(
      downloadHubFile('o/r', 'train.csv', opts(limited, { maxRetryAfterMs: 5000 })),
    );
    expect(err.status).toBe(429);
    expect(err.message).toMatch(
      /HTTP 429 Too Many Requests; the server asks to wait 3600 s, longer than the 5 s this client waits\. .*set HF_TOKEN/,
    );
    expect(ms).toBeLessThan(1000);
    limitedLeft = 0;
  });

  it('(e) does not retry a 404', async () => {
    const notFound = await listen((_req, res) => res.writeHead(404).end());
    seen.length = 0;
    const { err } = await failure(downloadHubFile('o/r', 'train.csv', opts(notFound)));
    expect(err.status).toBe(404);
    expect(err.message).toBe(
      `Could not look up ${url(notFound)}: not found (HTTP 404 Not Found). Check the repo id, the file name and the revision.`,
    );
    expect(seen).toHaveLength(1);
  });

  it('says "connection refused" and how many attempts were made', async () => {
    const { err, ms } = await failure(downloadHubFile('o/r', 'train.csv', opts(refused)));
    const host = new URL(refused).host;
    expect(err.message).toMatch(
      new RegExp(
        `^Could not look up ${url(refused)}: connection refused by ${host} \\(ECONNREFUSED\\) \\(gave up after 3 attempts\\)\\. Check the network connection`,
      ),
    );
    expect(ms).toBeLessThan(2000);
  });

  it('unwraps "fetch failed" into the DNS failure and does not retry it', async () => {
    let calls = 0;
    const dnsFailure: typeof fetch = async () => {
      calls++;
      const cause = Object.assign(new Error('getaddrinfo ENOTFOUND huggingface.co'), {
        code: 'ENOTFOUND',
        hostname: 'huggingface.co',
      });
      throw new TypeError('fetch failed', { cause });
    };
    const { err } = await failure(
      downloadHubFile('o/r', 'train.csv', {
        ...opts('https://huggingface.co'),
        fetch: dnsFailure,
      }),
    );
    expect(err.message).toMatch(
      /^Could not look up https:\/\/huggingface\.co\/datasets\/o\/r\/resolve\/main\/train\.csv: DNS lookup failed for huggingface\.co \(ENOTFOUND\)\. /,
    );
    expect(calls).toBe(1);
  });

  it('explains a port that fetch refuses to use', async () => {
    const { err } = await failure(
      downloadHubFile('o/r', 'train.csv', opts('http://127.0.0.1:6000')),
    );
    expect(err.message).toMatch(
      /: port 6000 of 127\.0\.0\.1 is one that fetch refuses to use\. Serve the hub .* on another port/,
    );
  });

  it('unwraps connect timeouts and resets, even inside an AggregateError, and retries them', async () => {
    for (const [code, words] of [
      ['UND_ERR_CONNECT_TIMEOUT', 'could not connect to huggingface.co \\(timed out\\)'],
      ['ECONNRESET', 'the connection to huggingface.co was closed unexpectedly'],
    ] as const) {
      let calls = 0;
      const failing: typeof fetch = async () => {
        calls++;
        const inner = Object.assign(new Error(code), { code });
        throw new TypeError('fetch failed', { cause: new AggregateError([inner], 'all failed') });
      };
      const { err } = await failure(
        downloadHubFile('o/r', 'train.csv', { ...opts('https://huggingface.co'), fetch: failing }),
      );
      expect(err.message).toMatch(
        new RegExp(`${words} \\(${code}\\) \\(gave up after 3 attempts\\)`),
      );
      expect(calls).toBe(3);
    }
  });

  it('can be cancelled, keeping the partial file', async () => {
    const o = opts(stalling, { readTimeoutMs: 10_000 });
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 300);
    const { err, ms } = await failure(
      downloadHubFile('o/r', 'train.csv', { ...o, signal: ctrl.signal }),
    );
    expect(err.message).toMatch(/the download was cancelled/);
    expect(ms).toBeLessThan(2000);
    const partial = join(o.cacheDir!, 'datasets--o--r', 'blobs', 'not-a-content-hash.incomplete');
    expect(existsSync(partial)).toBe(true);
  });
});
