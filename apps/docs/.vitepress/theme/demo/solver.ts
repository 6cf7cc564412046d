/**
 * The live demo's model (src/demo.md): a 4×4 Sudoku TRM loaded from a safetensors checkpoint
 * the page fetches, run on the reader's GPU through WebGPU, one supervision step at a time.
 * Loaded by the demo component only in the browser, where `@trm/*` resolve to their `browser`
 * entries; nothing here touches Node.
 */
import { encodeSudoku, generateSudoku, Rng, solveSudoku } from '@trm/datasets';
import {
  actSteps,
  haltsByQHead,
  IGNORE_LABEL,
  loadWeightsInto,
  readModelCheckpointBytes,
  resolveTrmConfig,
  TinyRecursiveModel,
  type TrmConfig,
} from '@trm/model';
import { Device, Generator, NoAdapterError, setDefaultDevice } from '@trm/tensor';

/**
 * Where the site serves the demo's checkpoint: `scripts/showcase.mjs` copies its
 * `DEMO_CHECKPOINT` there at every build.
 */
export const CHECKPOINT_URL = '/generated/demo/sudoku-4x4.safetensors';

/** The model's answer after one supervision step. */
export interface SolveStep {
  /** 1-based supervision step. */
  step: number;
  /** Predicted digit per cell, row by row (0 where the model predicts no digit). */
  digits: number[];
  /** sigmoid(q_halt): the model's confidence that its answer is right and it may stop. */
  haltProbability: number;
  /** Whether the Q head halts here (what `trm eval --act-inference` uses). */
  halts: boolean;
}

/** What the page says about the checkpoint it runs. */
export interface SolverInfo {
  adapter: string;
  config: TrmConfig;
  training: Record<string, unknown> | undefined;
}

/** Why the browser cannot run the demo, or undefined when it can: a device opened. */
export async function openWebGpu(): Promise<{ device?: Device; problem?: string }> {
  try {
    const device = await Device.open();
    setDefaultDevice(device);
    return { device };
  } catch (error) {
    if (error instanceof NoAdapterError) return { problem: error.message };
    throw error;
  }
}

/** A loaded 4×4 Sudoku model on an open device. */
export class SudokuSolver {
  private constructor(
    private readonly model: TinyRecursiveModel,
    readonly info: SolverInfo,
  ) {}

  /** Fetches the checkpoint at `url` and builds the model it holds on `device`. */
  static async load(device: Device, url: string): Promise<SudokuSolver> {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const ckpt = await readModelCheckpointBytes(bytes, { name: url });
    if (ckpt.config?.seq_len !== 16 || ckpt.config.vocab_size !== 6) {
      throw new Error(`${url}: not a checkpoint of a 4×4 Sudoku model (seq_len 16, vocabulary 6)`);
    }
    // One puzzle at a time; the rest of the architecture is the checkpoint's own.
    const config = resolveTrmConfig({ ...ckpt.config, batch_size: 1 });
    const model = new TinyRecursiveModel(config, new Generator(0));
    loadWeightsInto(model, ckpt.weights);
    model.eval();
    return new SudokuSolver(model, {
      adapter: describeAdapter(device),
      config,
      training: ckpt.training,
    });
  }

  /**
   * Runs the model on `puzzle` (16 characters, `1`–`4` or `.`), yielding its answer after each
   * supervision step up to `halt_max_steps`.
   */
  async *solve(puzzle: string): AsyncGenerator<SolveStep, void, undefined> {
    const { config } = this.info;
    const batch = {
      inputs: Int32Array.from(encodeSudoku(puzzle)),
      labels: new Int32Array(config.seq_len).fill(IGNORE_LABEL),
      puzzleIdentifiers: new Int32Array(1),
    };
    let step = 0;
    for await (const result of actSteps(this.model, batch)) {
      step++;
      const qHalt = result.qHalt[0]!;
      yield {
        step,
        // Tokens are digit + 1 (0 pad, 1 blank): see encodeSudoku.
        digits: Array.from(result.preds, (t) => (t >= 2 ? t - 1 : 0)),
        haltProbability: 1 / (1 + Math.exp(-qHalt)),
        halts: haltsByQHead(config, qHalt, result.qContinue[0]!),
      };
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}

function describeAdapter(device: Device): string {
  // Browsers may keep the adapter's name to themselves.
  const { vendor, architecture, description, isFallbackAdapter } = device.adapterInfo;
  const named = description || [vendor, architecture].filter(Boolean).join(' ');
  return named || (isFallbackAdapter ? 'a software adapter' : "the browser's adapter");
}

/** A fresh 4×4 puzzle with a unique solution, by the generator the dataset recipe uses. */
export function randomPuzzle(seed: number): string {
  return generateSudoku(new Rng(seed), { size: 4 }).question;
}

/**
 * The solution of a grid (digits, 0 for a blank) when it has exactly one; otherwise how many
 * it has (0, or 2 meaning "more than one").
 */
export function uniqueSolution(digits: readonly number[]): number[] | 0 | 2 {
  const { solutions, solution } = solveSudoku(digits, 4, 2);
  return solutions === 1 && solution ? [...solution] : solutions === 0 ? 0 : 2;
}
