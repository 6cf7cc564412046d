/**
 * What the browser tests share: the built site (`.vitepress/dist`, written by `pnpm build`),
 * served from a copy on 127.0.0.1 (so a concurrent rebuild cannot change it under a test), and
 * Debian's Chromium driven by playwright-core.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Request } from 'playwright-core';

export const docsDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const builtDir = join(docsDir, '.vitepress', 'dist');
/** Screenshots and other artefacts of the browser tests (git-ignored). */
export const outDir = join(docsDir, 'test-output');
export const CHROMIUM = process.env.TRM_CHROMIUM ?? '/usr/bin/chromium';

// Skipped only on a developer machine without Chromium; in CI (CI set) a missing browser fails.
export const haveChromium = existsSync(CHROMIUM);
export const skipBrowserTests = !haveChromium && !process.env.CI;
if (skipBrowserTests) {
  console.warn(
    `[docs] skipping the browser tests: ${CHROMIUM} is missing (install Debian's chromium, ` +
      'e.g. `bash scripts/setup-system.sh`). In CI they run.',
  );
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/** The built site, served from a private copy. */
export interface ServedSite {
  /** The copy's directory. */
  dir: string;
  /** `http://127.0.0.1:PORT` */
  base: string;
  /** The file a request path maps to, with VitePress's clean URLs (`/a/b` → `a/b.html`). */
  fileFor(pathname: string): string | undefined;
  close(): Promise<void>;
}

/** Copies the built site and serves the copy; throws when the site was not built. */
export async function serveSite(): Promise<ServedSite> {
  if (!existsSync(join(builtDir, 'index.html'))) {
    throw new Error(
      `${relative(process.cwd(), builtDir)} is missing: build the site first (pnpm --filter @trm/docs build; turbo does it before test)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'trm-docs-site-'));
  cpSync(builtDir, dir, { recursive: true });
  const fileFor = (pathname: string): string | undefined => {
    const rel = decodeURIComponent(pathname).replace(/^\/+/, '');
    const candidates = pathname.endsWith('/')
      ? [join(rel, 'index.html')]
      : [rel, `${rel}.html`, join(rel, 'index.html')];
    for (const c of candidates) {
      const file = resolve(dir, c);
      if (file !== dir && !file.startsWith(dir + sep)) return undefined;
      if (existsSync(file) && statSync(file).isFile()) return file;
    }
    return undefined;
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const file = fileFor(url.pathname);
    if (!file) {
      res.writeHead(404, { 'content-type': TYPES['.html']! });
      res.end(req.method === 'HEAD' ? undefined : readFileSync(join(dir, '404.html')));
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  });
  const base = await new Promise<string>((ok) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      ok(`http://127.0.0.1:${port}`);
    });
  });
  return {
    dir,
    base,
    fileFor,
    async close() {
      await new Promise((ok) => server.close(() => ok(undefined)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts headless Chromium with a throw-away profile. `gpu: 'webgpu'` enables WebGPU, which
 * Debian's Chromium then runs on SwiftShader, its software adapter; by default the GPU is off.
 */
export async function launchChromium(
  options: { gpu?: 'off' | 'webgpu' } = {},
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!haveChromium) throw new Error(`${CHROMIUM} is missing; CI must install Debian's chromium`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'trm-docs-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      options.gpu === 'webgpu' ? '--enable-unsafe-webgpu' : '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      // Without these Chromium keeps trying to reach Google services, which fail offline.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A request VitePress made ahead of time for a page the reader might open next (the chunk of a
 * linked page, `/assets/<page>.md.<hash>.js`), cancelled because the test moved on to another
 * page first. On a loaded machine that happens whenever a page takes long to render; it says
 * nothing about the site (a missing chunk is an HTTP 404, which the tests report).
 */
export function isAbortedPrefetch(req: Request): boolean {
  return (
    req.failure()?.errorText === 'net::ERR_ABORTED' &&
    /\/assets\/[^/]+\.md\.[\w-]+\.js$/.test(new URL(req.url()).pathname)
  );
}
