import { Attention, Module, type RotaryEmbedding, rmsNorm, SwiGLU } from '@trm/nn';
import type { Generator, Tensor } from '@trm/tensor';
import type { TrmConfig } from '../config.js';

/**
 * One post-norm block, shared by every architecture. Attention variant: `x = rms(x + attn(x))`; MLP-T variant: a
 * SwiGLU across the sequence axis on the transposed activations, normalised over that axis.
 * Both then apply `x = rms(x + mlp(x))`.
 */
export class TrmBlock extends Module {
  readonly selfAttn: Attention | null = null;
  readonly mlpT: SwiGLU | null = null;
  readonly mlp: SwiGLU;

  constructor(
    private readonly config: TrmConfig,
    totalLen: number,
    generator: Generator,
  ) {
    super();
    if (config.mlp_t)
      this.mlpT = this.registerModule('mlp_t', new SwiGLU(totalLen, config.expansion, generator));
    else
      this.selfAttn = this.registerModule(
        'self_attn',
        new Attention(config.hidden_size, config.num_heads, generator),
      );
    this.mlp = this.registerModule(
      'mlp',
      new SwiGLU(config.hidden_size, config.expansion, generator),
    );
  }

  forward(x: Tensor, rotary: RotaryEmbedding | null): Tensor {
    const eps = this.config.rms_norm_eps;
    if (this.mlpT) {
      const xt = x.transpose(1, 2);
      x = rmsNorm(this.mlpT.forward(xt), eps, xt).transpose(1, 2);
    } else {
      x = rmsNorm(this.selfAttn!.forward(x, rotary), eps, x);
    }
    return rmsNorm(this.mlp.forward(x), eps, x);
  }
}

/** Holds sub-modules under the names `0`, `1`, … like PyTorch's `nn.ModuleList`. */
export class ModuleList<M extends Module> extends Module {
  readonly items: readonly M[];
  constructor(items: readonly M[]) {
    super();
    this.items = items;
    for (const [i, m] of items.entries()) this.registerModule(String(i), m);
  }
}

/**
 * A reasoning module (`L_level`, `H_level`): a stack of blocks applied in order to
 * `x + injection`, `f(x, injection) = blocks(x + injection)`; without an injection (the
 * single-state TRM's refine pass) to `x` alone.
 */
export class ReasoningModule extends Module {
  readonly layers: ModuleList<TrmBlock>;
  constructor(
    config: TrmConfig,
    totalLen: number,
    generator: Generator,
    numLayers = config.L_layers,
  ) {
    super();
    const blocks = Array.from(
      { length: numLayers },
      () => new TrmBlock(config, totalLen, generator),
    );
    this.layers = this.registerModule('layers', new ModuleList(blocks));
  }

  forward(x: Tensor, injection: Tensor | null, rotary: RotaryEmbedding | null): Tensor {
    let h = injection ? x.add(injection) : x;
    for (const layer of this.layers.items) h = layer.forward(h, rotary);
    return h;
  }
}
