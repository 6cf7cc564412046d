/**
 * The live demo (src/demo.md) in headless Chromium. With WebGPU (Chromium's SwiftShader
 * adapter) the reader's path is followed: pick a test puzzle, type a digit, step once, solve;
 * the answer on the page after every supervision step must be what the same checkpoint predicts
 * in Node on Dawn. Without WebGPU the page must say so and download nothing. Screenshots of the
 * demo mid-solve and finished go to test-output/; with TRM_UPDATE_SCREENSHOTS=1 also to
 * src/public/demo/, where the page shows them (rebuild the site afterwards).
 */
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSudoku } from '@trm/datasets';
import {
  type ActCarry,
  IGNORE_LABEL,
  loadWeightsInto,
  readModelCheckpoint,
  resolveTrmConfig,
  TinyRecursiveModel,
} from '@trm/model';
import { Device, Generator, setDefaultDevice } from '@trm/tensor';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  docsDir,
  launchChromium,
  outDir,
  type ServedSite,
  serveSite,
  skipBrowserTests,
} from './support/site.js';

/** Where the build puts the demo's checkpoint (the demo's CHECKPOINT_URL). */
const CHECKPOINT = 'generated/demo/sudoku-4x4.safetensors';
/** Test puzzle 2 of the demo with its first cell typed in (4, as in its solution). */
const PUZZLE = '4.....1.2...1..3';

interface StepShown {
  step: number;
  digits: string;
  haltProbability: number;
}

/** The model's answer per supervision step for `puzzle`, computed in Node on Dawn. */
async function predictInNode(checkpoint: string, puzzle: string): Promise<StepShown[]> {
  const device = await Device.open();
  try {
    setDefaultDevice(device);
    const ckpt = await readModelCheckpoint(checkpoint);
    const config = resolveTrmConfig({ ...ckpt.config!, batch_size: 1 });
    const model = new TinyRecursiveModel(config, new Generator(0));
    loadWeightsInto(model, ckpt.weights);
    model.eval();
    const batch = {
      inputs: Int32Array.from(encodeSudoku(puzzle)),
      labels: new Int32Array(16).fill(IGNORE_LABEL),
      puzzleIdentifiers: new Int32Array(1),
    };
    const steps: StepShown[] = [];
    let carry: ActCarry = model.initialCarry(1);
    for (;;) {
      const r = await model.step(carry, batch);
      carry = r.carry;
      steps.push({
        step: steps.length + 1,
        digits: Array.from(r.preds, (t) => (t >= 2 ? t - 1 : 0)).join(''),
        haltProbability: 1 / (1 + Math.exp(-r.qHalt[0]!)),
      });
      if (r.allHalted) break;
    }
    TinyRecursiveModel.disposeCarry(carry);
    model.dispose();
    return steps;
  } finally {
    device.destroy();
  }
}

const logit = (p: number) => Math.log(p / (1 - p));

describe.skipIf(skipBrowserTests)('the live demo in headless Chromium', () => {
  let site: ServedSite;
  const problems: string[] = [];

  beforeAll(async () => {
    site = await serveSite();
  });
  afterAll(async () => {
    await site?.close();
  });

  function watch(page: Page, label: string, requests?: string[]): void {
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`${label}: console error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`${label}: uncaught exception: ${err.message}`));
    page.on('request', (req) => requests?.push(req.url()));
  }

  const phaseOf = (page: Page) => page.getByTestId('demo-status').getAttribute('data-phase');

  async function screenshot(page: Page, name: string): Promise<void> {
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, name);
    await page.locator('.trm-demo').screenshot({ path: file });
    expect(statSync(file).size).toBeGreaterThan(5_000);
    if (process.env.TRM_UPDATE_SCREENSHOTS) {
      copyFileSync(file, join(docsDir, 'src', 'public', 'demo', name.replace(/^demo-/, '')));
    }
  }

  it('solves a test puzzle on WebGPU step by step, showing what the checkpoint predicts in Node', async () => {
    const browser = await launchChromium({ gpu: 'webgpu' });
    let shown: StepShown[];
    let grid: { value: string; placeholder: string }[];
    try {
      const page = await browser.context.newPage();
      watch(page, 'demo with WebGPU');
      await page.goto(`${site.base}/demo`, { waitUntil: 'networkidle' });
      await expect.poll(() => phaseOf(page), { timeout: 180_000 }).toBe('ready');
      await expect(page.getByTestId('demo-status').textContent()).resolves.toMatch(/swiftshader/i);

      // The reader's path: a test puzzle, a digit typed into its first cell.
      await page.getByTestId('demo-example').nth(1).click();
      const cells = page.getByTestId('demo-cell');
      await cells.nth(0).click();
      await page.keyboard.press('4');
      const typed = await cells.evaluateAll((els) =>
        els.map((e) => (e as HTMLInputElement).value || '.').join(''),
      );
      expect(typed).toBe(PUZZLE);

      // One single step, then the rest (the solver runs at most two supervision steps).
      const started = Date.now();
      for (let n = 1; n <= 1; n++) {
        await page.getByTestId('demo-step-once').click();
        await expect.poll(() => phaseOf(page), { timeout: 180_000 }).toBe('stepping');
        await expect.poll(() => page.getByTestId('demo-step').count()).toBe(n);
      }
      await screenshot(page, 'demo-sudoku-mid-solve.png');
      await page.getByTestId('demo-solve').click();
      await expect.poll(() => phaseOf(page), { timeout: 240_000 }).toBe('done');
      console.log(`[docs] the demo ran its supervision steps in ${Date.now() - started} ms`);
      await screenshot(page, 'demo-sudoku-solved.png');

      shown = await page.getByTestId('demo-step').evaluateAll((els) =>
        els.map((e) => {
          const d = (e as HTMLElement).dataset;
          return {
            step: Number(d.step),
            digits: d.digits ?? '',
            haltProbability: Number(d.haltProbability),
          };
        }),
      );
      grid = await cells.evaluateAll((els) =>
        els.map((e) => ({
          value: (e as HTMLInputElement).value,
          placeholder: (e as HTMLInputElement).placeholder,
        })),
      );
      await page.close();
    } finally {
      await browser.close();
    }

    const expected = await predictInNode(join(site.dir, CHECKPOINT), PUZZLE);
    expect(shown.map((s) => s.step)).toEqual(expected.map((s) => s.step));
    expect(shown.map((s) => s.digits)).toEqual(expected.map((s) => s.digits));
    for (const [i, s] of shown.entries()) {
      // Probabilities far from 1/2 are compared as logits, where float error is absolute.
      expect(logit(s.haltProbability)).toBeCloseTo(logit(expected[i]!.haltProbability), 2);
    }
    // The grid shows the givens, and the last step's digits in the blank cells.
    const last = expected.at(-1)!.digits;
    expect(grid.map((c) => c.value || `(${c.placeholder})`)).toEqual(
      [...PUZZLE].map((ch, k) => (ch !== '.' ? ch : `(${last[k] === '0' ? '' : last[k]})`)),
    );
    expect(problems).toEqual([]);
  });

  it('says the browser has no WebGPU, and downloads no model, when there is none', async () => {
    const browser = await launchChromium();
    try {
      // Chromium started with the GPU disabled: navigator.gpu exists but offers no adapter.
      const requests: string[] = [];
      const page = await browser.context.newPage();
      watch(page, 'demo with the GPU disabled', requests);
      await page.goto(`${site.base}/demo`, { waitUntil: 'networkidle' });
      await expect.poll(() => phaseOf(page), { timeout: 60_000 }).toBe('no-webgpu');
      const notice = page.getByTestId('demo-no-webgpu');
      await expect(notice.textContent()).resolves.toMatch(
        /gives the page no WebGPU.*No WebGPU adapter was found/s,
      );
      await expect(page.getByTestId('demo-solve').isDisabled()).resolves.toBe(true);
      expect(requests.filter((u) => u.endsWith('.safetensors'))).toEqual([]);

      // A browser without WebGPU at all: no navigator.gpu.
      const bare = await browser.context.newPage();
      watch(bare, 'demo without navigator.gpu');
      await bare.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined });
      });
      await bare.goto(`${site.base}/demo`, { waitUntil: 'networkidle' });
      await expect.poll(() => phaseOf(bare), { timeout: 60_000 }).toBe('no-webgpu');
      await expect(bare.getByTestId('demo-no-webgpu').textContent()).resolves.toMatch(
        /navigator\.gpu is missing/,
      );
    } finally {
      await browser.close();
    }
    expect(problems).toEqual([]);
  });
});
