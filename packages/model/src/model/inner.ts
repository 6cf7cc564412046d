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

/** The latent state carried between supervision steps: `z_H`, `z_L`, each `[B, P + seq_len, D]`. */
export interface InnerCarry {
  zH: Tensor;
  zL: Tensor;
}

/** One batch on the device. `hostPuzzleIdentifiers` are needed by the sparse optimiser. */
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

/** The inner model: embeddings, the recursion, and the two heads (spec §4). */
export class TrmInner extends Module {
  readonly P: number;
  readonly totalLen: number;
  readonly embedTokens: Embedding;
  readonly lmHead: Linear;
  readonly qHead: Linear;
  readonly puzzleEmb: SparsePuzzleEmbedding | null = null;
  readonly embedPos: Embedding | null = null;
  readonly rotary: RotaryEmbedding | null = null;
  readonly lLevel: ReasoningModule;
  readonly hInit: Tensor;
  readonly lInit: Tensor;

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
    } else if (config.pos_encodings === 'rope') {
      this.rotary = this.registerModule(
        'rotary_emb',
        new RotaryEmbedding(D / config.num_heads, this.totalLen, config.rope_theta),
      );
    }
    this.lLevel = this.registerModule(
      'L_level',
      new ReasoningModule(config, this.totalLen, generator),
    );
    this.hInit = this.registerBuffer('H_init', truncNormalInit([D], 1, generator));
    this.lInit = this.registerBuffer('L_init', truncNormalInit([D], 1, generator));
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
   * One supervision step: `H_cycles - 1` cycles without gradient, one with, then the heads.
   * The returned carry is detached.
   */
  forward(carry: InnerCarry, batch: DeviceBatch): InnerOutput {
    const e = this.embed(batch);
    const { H_cycles, L_cycles } = this.config;
    let { zH, zL } = carry;
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
    const logits = this.lmHead.forward(zH).narrow(1, this.P, this.config.seq_len);
    const q = this.qHead.forward(zH.narrow(1, 0, 1).squeeze(1));
    return {
      carry: { zH: zH.detach(), zL: zL.detach() },
      logits,
      qHalt: q.narrow(1, 0, 1).squeeze(1),
      qContinue: q.narrow(1, 1, 1).squeeze(1),
    };
  }
}
