/**
 * The live demo (src/demo.md) in headless Chromium. With WebGPU (Chromium's SwiftShader
 * adapter) the reader's path is followed for each puzzle kind: a 4×4 test puzzle with a digit
 * typed in, a 6×6 test puzzle, and a maze drawn cell by cell with its start and goal placed;
 * each is stepped once, then solved. The answer on the page after every supervision step must
 * be what the same checkpoint predicts in Node on Dawn, and the solved puzzles' answers must be
 * their known solutions. Without WebGPU the page must say so and download nothing. Screenshots
 * of each kind mid-solve and solved go to test-output/; `node scripts/demo-screenshots.mjs`
 * (TRM_UPDATE_SCREENSHOTS=1) also writes them to src/public/demo/, where the page shows them.
 */
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
import { decode, encode } from '../.vitepress/theme/demo/codecs.js';
import { checkpointUrl, type KindId, kindOf } from '../.vitepress/theme/demo/puzzles.js';
import {
  docsDir,
  launchChromium,
  outDir,
  type ServedSite,
  serveSite,
  skipBrowserTests,
} from './support/site.js';

/** Where the build puts a kind's checkpoint, relative to the site's root. */
const checkpointOf = (kind: KindId) => checkpointUrl(kind).slice(1);
/** 4×4 test puzzle 2 of the demo with its first cell typed in (4, as in its solution). */
const PUZZLE_4 = '4.....1.2...1..3';
/** 6×6 test puzzle 4 of the demo (its second example) and its solution (the generator's CSV). */
const PUZZLE_6 = '........3.54.6..4..32...6..3.5......';
const SOLUTION_6 = '546132213654165243432561624315351426';
/** 5×5 test maze 2 of the demo, which the test draws, and its solution (the generator's CSV). */
const MAZE = ' #  S # ##   #  ###G     ';
const MAZE_SOLUTION = ' #ooS #o##ooo# o###Gooooo';

interface StepShown {
  step: number;
  answer: string;
  haltProbability: number;
}

/** The model's answer per supervision step for `question`, computed in Node on Dawn. */
async function predictInNode(
  checkpoint: string,
  kind: KindId,
  question: string,
): Promise<StepShown[]> {
  const device = await Device.open();
  try {
    setDefaultDevice(device);
    const ckpt = await readModelCheckpoint(checkpoint);
    const config = resolveTrmConfig({ ...ckpt.config!, batch_size: 1 });
    const model = new TinyRecursiveModel(config, new Generator(0));
    loadWeightsInto(model, ckpt.weights);
    model.eval();
    const batch = {
      inputs: Int32Array.from(encode(kindOf(kind), question)),
      labels: new Int32Array(question.length).fill(IGNORE_LABEL),
      puzzleIdentifiers: new Int32Array(1),
    };
    const steps: StepShown[] = [];
    let carry: ActCarry = model.initialCarry(1);
    for (;;) {
      const r = await model.step(carry, batch);
      carry = r.carry;
      steps.push({
        step: steps.length + 1,
        answer: decode(kindOf(kind), r.preds),
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

  /**
   * Opens the demo on WebGPU, selects `kind`, lets `enter` put the puzzle on the page, steps
   * once and solves, taking the two screenshots; returns what the page showed, and checks it
   * against Node.
   */
  async function solveOnPage(
    kind: KindId,
    enter: (page: Page) => Promise<string>,
  ): Promise<{ shown: StepShown[]; summary: string; question: string }> {
    const browser = await launchChromium({ gpu: 'webgpu' });
    let shown: StepShown[];
    let summary: string;
    let question: string;
    try {
      const page = await browser.context.newPage();
      // Tall enough for the whole demo: a screenshot of it then needs no scrolling, which would
      // slide it under the site's sticky header.
      await page.setViewportSize({ width: 1280, height: 1600 });
      watch(page, `demo ${kind} with WebGPU`);
      await page.goto(`${site.base}/demo`, { waitUntil: 'networkidle' });
      await expect.poll(() => phaseOf(page), { timeout: 180_000 }).toBe('ready');
      await expect(page.getByTestId('demo-status').textContent()).resolves.toMatch(/swiftshader/i);
      if (kind !== 'sudoku-4x4') {
        await page.locator(`[data-testid="demo-kind"][data-kind="${kind}"]`).click();
        await expect.poll(() => phaseOf(page), { timeout: 180_000 }).toBe('ready');
      }
      question = await enter(page);
      await expect(page.getByTestId('demo-problem').count()).resolves.toBe(0);

      const started = Date.now();
      await page.getByTestId('demo-step-once').click();
      await expect.poll(() => phaseOf(page), { timeout: 180_000 }).toBe('stepping');
      await expect.poll(() => page.getByTestId('demo-step').count()).toBe(1);
      await screenshot(page, `demo-${kind}-mid-solve.png`);
      await page.getByTestId('demo-solve').click();
      await expect.poll(() => phaseOf(page), { timeout: 240_000 }).toBe('done');
      console.log(
        `[docs] the ${kind} demo ran its supervision steps in ${Date.now() - started} ms`,
      );
      await screenshot(page, `demo-${kind}-solved.png`);

      shown = await page.getByTestId('demo-step').evaluateAll((els) =>
        els.map((e) => {
          const d = (e as HTMLElement).dataset;
          return {
            step: Number(d.step),
            answer: d.answer ?? '',
            haltProbability: Number(d.haltProbability),
          };
        }),
      );
      summary = (await page.getByTestId('demo-summary').textContent()) ?? '';
      // The big grid shows the last step: a Sudoku's digits as placeholders of its blank cells,
      // a maze's path as marked cells.
      const last = shown.at(-1)!.answer;
      if (kind === 'maze-5x5') {
        const path = await page
          .getByTestId('demo-maze-cell')
          .evaluateAll((els) =>
            els.map((e) => (e.classList.contains('path') ? 'o' : '-')).join(''),
          );
        expect(path).toBe(last.replace(/[^o]/g, '-'));
      } else {
        const grid = await page.getByTestId('demo-cell').evaluateAll((els) =>
          els.map((e) => {
            const input = e as HTMLInputElement;
            return input.value || `(${input.placeholder})`;
          }),
        );
        expect(grid).toEqual(
          [...question].map((ch, k) => (ch !== '.' ? ch : `(${last[k] === '.' ? '' : last[k]})`)),
        );
      }
      await page.close();
    } finally {
      await browser.close();
    }

    const expected = await predictInNode(join(site.dir, checkpointOf(kind)), kind, question);
    expect(shown.map((s) => s.step)).toEqual(expected.map((s) => s.step));
    expect(shown.map((s) => s.answer)).toEqual(expected.map((s) => s.answer));
    for (const [i, s] of shown.entries()) {
      // Probabilities far from 1/2 are compared as logits, where float error is absolute.
      expect(logit(s.haltProbability)).toBeCloseTo(logit(expected[i]!.haltProbability), 2);
    }
    expect(problems).toEqual([]);
    return { shown, summary, question };
  }

  it('solves a 4×4 test puzzle with a typed digit step by step, as the checkpoint does in Node', async () => {
    const { shown } = await solveOnPage('sudoku-4x4', async (page) => {
      await page.getByTestId('demo-example').nth(1).click();
      const cells = page.getByTestId('demo-cell');
      await cells.nth(0).click();
      await page.keyboard.press('4');
      // A repeated digit is refused with a message until it is cleared.
      await cells.nth(1).click();
      await page.keyboard.press('4');
      await expect(page.getByTestId('demo-problem').textContent()).resolves.toMatch(
        /A digit repeats in a row, column or box/,
      );
      await expect(page.getByTestId('demo-solve').isDisabled()).resolves.toBe(true);
      await page.keyboard.press('Backspace');
      const typed = await cells.evaluateAll((els) =>
        els.map((e) => (e as HTMLInputElement).value || '.').join(''),
      );
      expect(typed).toBe(PUZZLE_4);
      return PUZZLE_4;
    });
    expect(shown.length).toBeGreaterThan(0);
  });

  it('solves a 6×6 test puzzle, as the checkpoint does in Node', async () => {
    const { shown, summary } = await solveOnPage('sudoku-6x6', async (page) => {
      await expect.poll(() => page.getByTestId('demo-cell').count()).toBe(36);
      await page.getByTestId('demo-example').nth(1).click();
      return PUZZLE_6;
    });
    expect(shown.at(-1)!.answer).toBe(SOLUTION_6);
    expect(summary).toMatch(/Solved: every blank cell is right/);
  });

  it('solves a maze the reader draws, as the checkpoint does in Node', async () => {
    const { shown, summary } = await solveOnPage('maze-5x5', async (page) => {
      const cells = page.getByTestId('demo-maze-cell');
      await page.getByRole('button', { name: 'Clear' }).click();
      await expect(page.getByTestId('demo-problem').textContent()).resolves.toMatch(
        /The maze has no start: pick Start and click an open cell/,
      );
      await expect(page.getByTestId('demo-solve').isDisabled()).resolves.toBe(true);
      // Walls one click each, then the start and the goal with their tools.
      for (let k = 0; k < MAZE.length; k++) if (MAZE[k] === '#') await cells.nth(k).click();
      await page.locator('[data-testid="demo-maze-tool"][data-tool="start"]').click();
      await cells.nth(MAZE.indexOf('S')).click();
      await expect(page.getByTestId('demo-problem').textContent()).resolves.toMatch(
        /The maze has no goal/,
      );
      await page.locator('[data-testid="demo-maze-tool"][data-tool="goal"]').click();
      await cells.nth(MAZE.indexOf('G')).click();
      const drawn = await cells.evaluateAll((els) =>
        els.map((e) => (e as HTMLElement).dataset.cell).join(''),
      );
      expect(drawn).toBe(MAZE);
      return MAZE;
    });
    expect(shown.at(-1)!.answer).toBe(MAZE_SOLUTION);
    expect(summary).toMatch(/Solved: the marked path is the shortest path/);
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
