import {
  Embedding,
  Linear,
  Module,
  RotaryEmbedding,
  SparsePuzzleEmbedding,
  truncNormalInit,
} from '@trm/nn';
import { concat, type Generator, noGrad, type Tensor } from '@trm/tensor';
import { puzzlePositions, type TrmConfig } from '../config.js';
import { ReasoningModule } from './block.js';

/**
 * The latent states carried between supervision steps, by the reference's names (`z_H`,
 * `z_L`, `z_L1`, …; see `states` in {@link ARCHITECTURES}), each `[B, P + seq_len, D]`.
 */
export type InnerCarry = Readonly<Record<string, Tensor>>;

/**
 * One batch on the device. `hostPuzzleIdentifiers` (the ids on the host) let
 * `puzzleEmb.sparseGrad()` name its rows after a direct forward; the ACT step hands them over
 * with `holdGradient` instead.
 */
export interface DeviceBatch {
  inputs: Tensor;
  puzzleIdentifiers: Tensor;
  hostPuzzleIdentifiers?: Int32Array;
}

export interface InnerOutput {
  carry: InnerCarry;
  /** `[B, seq_len, vocab]` */
  logits: Tensor;
  /** `[B]` */
  qHalt: Tensor;
  qContinue: Tensor;
}

/**
 * What every architecture's inner model shares: the token and puzzle embeddings, the
 * positions, the two heads, and one reset vector per latent state. Subclasses add their
 * reasoning stacks and the recursion (`forward`).
 */
export abstract class InnerModel extends Module {
  readonly P: number;
  readonly totalLen: number;
  readonly embedTokens: Embedding;
  readonly lmHead: Linear;
  readonly qHead: Linear;
  readonly puzzleEmb: SparsePuzzleEmbedding | null = null;
  readonly embedPos: Embedding | null = null;
  readonly rotary: RotaryEmbedding | null = null;
  /** Each latent state's reset vector `[D]` (a saved buffer, never trained), in carry order. */
  readonly initStates = new Map<string, Tensor>();

  constructor(
    readonly config: TrmConfig,
    generator: Generator,
  ) {
    super();
    const D = config.hidden_size;
    this.P = puzzlePositions(config);
    this.totalLen = config.seq_len + this.P;
    this.embedTokens = this.registerModule(
      'embed_tokens',
      new Embedding(config.vocab_size, D, generator),
    );
    this.lmHead = this.registerModule('lm_head', new Linear(D, config.vocab_size, generator));
    this.qHead = this.registerModule('q_head', new Linear(D, 2, generator, { bias: true, std: 0 }));
    // The reference starts q_halt and q_continue far below zero, so nothing halts early on.
    this.qHead.bias!.assign([-5, -5]);
    if (config.puzzle_emb_ndim > 0) {
      this.puzzleEmb = this.registerModule(
        'puzzle_emb',
        new SparsePuzzleEmbedding(config.num_puzzle_identifiers, config.puzzle_emb_ndim),
      );
    }
    if (config.pos_encodings === 'learned') {
      this.embedPos = this.registerModule('embed_pos', new Embedding(this.totalLen, D, generator));
    } else if (config.pos_encodings === 'rope' && !config.mlp_t) {
      // MLP-T blocks never read the rotary tables (the reference builds them all the same).
      this.rotary = this.registerModule(
        'rotary_emb',
        new RotaryEmbedding(Math.floor(D / config.num_heads), this.totalLen, config.rope_theta),
      );
    }
  }

  /** Registers a stack of `numLayers` blocks (default `L_layers`) as `name` (`L_level`, `H_level`). */
  protected registerStack(
    name: 'L_level' | 'H_level',
    generator: Generator,
    numLayers = this.config.L_layers,
  ): ReasoningModule {
    return this.registerModule(
      name,
      new ReasoningModule(this.config, this.totalLen, generator, numLayers),
    );
  }

  /** Registers `buffer` (e.g. `H_init`), trunc_normal(1), as the reset vector of `state`. */
  protected registerInit(state: string, buffer: string, generator: Generator): Tensor {
    const t = this.registerBuffer(buffer, truncNormalInit([this.config.hidden_size], 1, generator));
    this.initStates.set(state, t);
    return t;
  }

  /** Token and puzzle embeddings, positions, and the √D scale: `[B, P + seq_len, D]`. */
  embed(batch: DeviceBatch): Tensor {
    const D = this.config.hidden_size;
    let e = this.embedTokens.forward(batch.inputs);
    if (this.puzzleEmb) {
      const B = batch.inputs.shape[0]!;
      let pe = this.puzzleEmb.forward(batch.puzzleIdentifiers, batch.hostPuzzleIdentifiers);
      const padCount = this.P * D - this.config.puzzle_emb_ndim;
      if (padCount > 0)
        pe = pe.pad([
          [0, 0],
          [0, padCount],
        ]);
      e = concat([pe.reshape([B, this.P, D]), e], 1);
    }
    // The reference scales by this literal (not Math.SQRT1_2); keep it for bit-compatibility.
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: the reference's constant
    if (this.embedPos) e = e.add(this.embedPos.embeddingWeight).mul(0.707106781);
    return e.mul(Math.sqrt(D));
  }

  /**
   * The heads on the final state `z` and the detached new carry: logits of the grid
   * positions, and `(q_halt, q_continue)` from the first position.
   */
  protected output(z: Tensor, carry: InnerCarry): InnerOutput {
    const logits = this.lmHead.forward(z).narrow(1, this.P, this.config.seq_len);
    const q = this.qHead.forward(z.narrow(1, 0, 1).squeeze(1));
    return {
      carry: Object.fromEntries(Object.entries(carry).map(([k, t]) => [k, t.detach()])),
      logits,
      qHalt: q.narrow(1, 0, 1).squeeze(1),
      qContinue: q.narrow(1, 1, 1).squeeze(1),
    };
  }

  /** One supervision step from `carry` (already reset where rows restart). */
  abstract forward(carry: InnerCarry, batch: DeviceBatch): InnerOutput;
}

/** TRM's inner model (see the How TRM works guide): one stack `L_level` for both latent updates. */
export class TrmInner extends InnerModel {
  readonly lLevel: ReasoningModule;
  readonly hInit: Tensor;
  readonly lInit: Tensor;

  constructor(config: TrmConfig, generator: Generator) {
    super(config, generator);
    this.lLevel = this.registerStack('L_level', generator);
    this.hInit = this.registerInit('z_H', 'H_init', generator);
    this.lInit = this.registerInit('z_L', 'L_init', generator);
  }

  /**
   * One supervision step: `H_cycles - 1` cycles without gradient, one with, then the heads.
   * The returned carry is detached.
   */
  forward(carry: InnerCarry, batch: DeviceBatch): InnerOutput {
    const e = this.embed(batch);
    const { H_cycles, L_cycles } = this.config;
    let zH = carry.z_H!;
    let zL = carry.z_L!;
    if (H_cycles > 1) {
      [zH, zL] = noGrad(() => {
        let h = zH;
        let l = zL;
        for (let c = 0; c < H_cycles - 1; c++) {
          for (let i = 0; i < L_cycles; i++) l = this.lLevel.forward(l, h.add(e), this.rotary);
          h = this.lLevel.forward(h, l, this.rotary);
        }
        return [h, l] as const;
      });
    }
    for (let i = 0; i < L_cycles; i++) zL = this.lLevel.forward(zL, zH.add(e), this.rotary);
    zH = this.lLevel.forward(zH, zL, this.rotary);
    return this.output(zH, { z_H: zH, z_L: zL });
  }
}
