/**
 * The live demo's model runner (src/demo.md): a TRM loaded from a safetensors checkpoint the
 * page fetches, run on the reader's GPU through WebGPU, one supervision step at a time. One
 * runner for every puzzle kind: the checkpoint's header carries the architecture, and the
 * kind's codec (codecs.ts) turns puzzles into tokens and tokens into answers. Loaded by the
 * demo component only in the browser, where `@trm/*` resolve to their `browser` entries.
 */
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
import type { PuzzleKind } from './puzzles.js';

/** The model's answer after one supervision step. */
export interface SolveStep {
  /** 1-based supervision step. */
  step: number;
  /** Predicted token per cell, row by row (decode with codecs.ts). */
  preds: number[];
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

/** A loaded puzzle model on an open device. */
export class PuzzleSolver {
  private constructor(
    private readonly model: TinyRecursiveModel,
    readonly info: SolverInfo,
  ) {}

  /**
   * Fetches the checkpoint at `url` and builds the model it holds on `device`, after checking
   * that it was trained on puzzles of `kind` (sequence length and vocabulary).
   */
  static async load(device: Device, url: string, kind: PuzzleKind): Promise<PuzzleSolver> {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const ckpt = await readModelCheckpointBytes(bytes, { name: url });
    const cells = kind.size * kind.size;
    if (ckpt.config?.seq_len !== cells || ckpt.config.vocab_size !== kind.vocabSize) {
      throw new Error(
        `${url}: not a checkpoint of a ${kind.label} model (sequence length ${cells}, vocabulary ${kind.vocabSize})`,
      );
    }
    // One puzzle at a time; the rest of the architecture is the checkpoint's own.
    const config = resolveTrmConfig({ ...ckpt.config, batch_size: 1 });
    const model = new TinyRecursiveModel(config, new Generator(0));
    loadWeightsInto(model, ckpt.weights);
    model.eval();
    return new PuzzleSolver(model, {
      adapter: describeAdapter(device),
      config,
      training: ckpt.training,
    });
  }

  /** Runs the model on a puzzle's tokens, yielding its answer after each supervision step. */
  async *solve(tokens: Uint8Array): AsyncGenerator<SolveStep, void, undefined> {
    const { config } = this.info;
    const batch = {
      inputs: Int32Array.from(tokens),
      labels: new Int32Array(config.seq_len).fill(IGNORE_LABEL),
      puzzleIdentifiers: new Int32Array(1),
    };
    let step = 0;
    for await (const result of actSteps(this.model, batch)) {
      step++;
      const qHalt = result.qHalt[0]!;
      yield {
        step,
        preds: Array.from(result.preds),
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
