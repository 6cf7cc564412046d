/**
 * Browser test of the built site (`.vitepress/dist`, written by `pnpm build`): serves it on
 * 127.0.0.1, opens every page in headless Chromium (Debian's `chromium`, driven by
 * playwright-core), and requires no console errors, no failed or non-2xx requests, no request
 * leaving localhost, no broken internal link or anchor, and a working offline search.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isAbortedPrefetch,
  launchChromium,
  outDir,
  type ServedSite,
  serveSite,
  skipBrowserTests,
} from './support/site.js';

const SITEMAP_HOST = 'https://trm.invalid';

/** Canonical page key of a same-origin URL: the path without `.html` or a trailing `index`. */
function pageKey(url: URL): string {
  let p = decodeURIComponent(url.pathname);
  p = p.replace(/\.html$/, '');
  p = p.replace(/\/index$/, '/');
  return p === '' ? '/' : p;
}

function htmlPages(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) out.push(...htmlPages(file));
    else if (name.endsWith('.html')) out.push(file);
  }
  return out;
}

interface Visit {
  ids: Set<string>;
  links: string[];
}

describe.skipIf(skipBrowserTests)('documentation site in headless Chromium', () => {
  let site: ServedSite;
  let base: string;
  let distDir: string;
  let fileFor: ServedSite['fileFor'];
  let context: BrowserContext;
  let closeBrowser: (() => Promise<void>) | undefined;
  const problems: string[] = [];
  const visits = new Map<string, Visit>();
  let current = '';

  beforeAll(async () => {
    site = await serveSite();
    ({ base, fileFor, dir: distDir } = site);
    const browser = await launchChromium();
    context = browser.context;
    closeBrowser = browser.close;
    // Every request must stay on this server: the site must not load anything from elsewhere.
    await context.route(
      (url) => !url.href.startsWith(`${base}/`),
      async (route) => {
        problems.push(`${current}: request leaves the site: ${route.request().url()}`);
        await route.abort();
      },
    );
  });

  afterAll(async () => {
    await closeBrowser?.();
    await site?.close();
  });

  function watch(page: Page): void {
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`${current}: console error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`${current}: uncaught exception: ${err.message}`));
    page.on('requestfailed', (req) => {
      if (isAbortedPrefetch(req)) return;
      problems.push(`${current}: request failed: ${req.url()} (${req.failure()?.errorText})`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`${current}: HTTP ${res.status()} for ${res.url()}`);
    });
  }

  it('opens every page without console errors or failed requests, and every internal link resolves', async () => {
    // The pages to open: the sitemap, plus anything linked from a page (nav, sidebar, content).
    const sitemap = readFileSync(join(distDir, 'sitemap.xml'), 'utf8');
    const queue = [...sitemap.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) =>
      m[1]!.replace(SITEMAP_HOST, base),
    );
    expect(queue.length).toBeGreaterThan(10);
    queue.unshift(`${base}/`);

    const page = await context.newPage();
    watch(page);
    const seen = new Set<string>();
    let imageCount = 0;
    while (queue.length) {
      const url = new URL(queue.shift()!);
      const key = pageKey(url);
      if (seen.has(key)) continue;
      seen.add(key);
      current = key;
      const res = await page.goto(`${base}${key}`, { waitUntil: 'networkidle' });
      expect(res?.status(), `status of ${key}`).toBe(200);
      await expect.poll(() => page.locator('#app .VPContent').count()).toBeGreaterThan(0);
      // Every picture on the page loaded and has a size (the ones trm renders at build time
      // included): a broken image is a failed page.
      const images = await page.$$eval('img', (els) =>
        els.map((img) => ({
          src: (img as HTMLImageElement).src,
          ok: (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0,
        })),
      );
      for (const img of images)
        if (!img.ok) problems.push(`${key}: image did not load: ${img.src}`);
      imageCount += images.length;
      const visit: Visit = {
        ids: new Set(await page.$$eval('[id]', (els) => els.map((e) => e.id))),
        links: await page.$$eval('a[href]', (els) => els.map((a) => (a as HTMLAnchorElement).href)),
      };
      visits.set(key, visit);
      for (const link of visit.links) {
        const u = new URL(link);
        if (u.origin !== base) continue;
        if (fileFor(u.pathname)?.endsWith('.html')) queue.push(`${base}${pageKey(u)}`);
      }
    }
    await page.close();

    // Every HTML page that was built was opened (404.html is the not-found page).
    const built = htmlPages(distDir)
      .filter((f) => !f.endsWith(`${sep}404.html`))
      .map((f) => pageKey(new URL(`${base}/${relative(distDir, f).split(sep).join('/')}`)));
    expect(built.filter((k) => !seen.has(k))).toEqual([]);
    expect(seen.size).toBeGreaterThanOrEqual(15);

    // Every same-origin link resolves with 200, and its #anchor exists on the target page.
    const broken: string[] = [];
    const checked = new Map<string, number>();
    for (const [from, visit] of visits) {
      for (const link of visit.links) {
        const u = new URL(link);
        if (u.origin !== base) continue;
        const target = `${u.pathname}`;
        if (!checked.has(target)) {
          const r = await fetch(`${base}${target}`, { method: 'HEAD' });
          checked.set(target, r.status);
        }
        if (checked.get(target) !== 200) {
          broken.push(`${from} → ${u.pathname} (HTTP ${checked.get(target)})`);
          continue;
        }
        if (u.hash.length > 1) {
          const targetVisit = visits.get(pageKey(u));
          const id = decodeURIComponent(u.hash.slice(1));
          if (targetVisit && !targetVisit.ids.has(id))
            broken.push(`${from} → ${u.pathname}${u.hash} (no such anchor)`);
        }
      }
    }
    expect(broken).toEqual([]);
    expect(problems).toEqual([]);
    // The guides show puzzles, predictions and curves rendered by trm at build time.
    expect(imageCount).toBeGreaterThanOrEqual(8);
  });

  it('saves screenshots of the pages a newcomer reads first', async () => {
    mkdirSync(outDir, { recursive: true });
    const page = await context.newPage();
    watch(page);
    const shots: [string, string, string][] = [
      ['/', '.VPHero', 'home.png'],
      ['/guide/getting-started', '.vp-doc h1', 'guide-getting-started.png'],
      ['/guide/datasets', '.vp-doc h1', 'guide-datasets.png'],
      ['/guide/training', '.vp-doc h1', 'guide-training.png'],
    ];
    for (const [path, ready, file] of shots) {
      current = path;
      await page.goto(`${base}${path}`, { waitUntil: 'networkidle' });
      await page.locator(ready).first().waitFor();
      await page.screenshot({ path: join(outDir, file), fullPage: true });
      expect(statSync(join(outDir, file)).size).toBeGreaterThan(10_000);
    }
    await page.close();
    expect(problems).toEqual([]);
  });

  it('finds "halt_max_steps" with the offline local search', async () => {
    const page = await context.newPage();
    watch(page);
    current = 'search';
    await page.goto(`${base}/`, { waitUntil: 'networkidle' });
    await page.locator('.VPNavBarSearchButton').click();
    const input = page.locator('#localsearch-input');
    await input.waitFor();
    await input.fill('halt_max_steps');
    const results = page.locator('#localsearch-list .result');
    await results.first().waitFor({ timeout: 30_000 });
    // The detailed view fills in each result's excerpt (with the match) once its page loads.
    await expect
      .poll(async () => (await results.allTextContents()).join('\n'), { timeout: 30_000 })
      .toContain('halt_max_steps');
    expect(await results.count()).toBeGreaterThan(0);
    // Following the first result lands on a page that mentions the key.
    await results.first().click();
    await page.waitForLoadState('networkidle');
    await expect.poll(() => page.locator('.vp-doc').textContent()).toContain('halt_max_steps');
    await page.close();
    expect(problems).toEqual([]);
  });
});
