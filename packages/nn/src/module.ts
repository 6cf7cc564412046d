import type { Tensor } from '@trm/tensor';

/** Host copy of one state-dict entry, as read from or written to a checkpoint. */
export interface StateEntry {
  shape: readonly number[];
  /** Row-major values; f32 data for float tensors, i32 for integer ones. */
  data: Float32Array | Int32Array;
}

/**
 * Error listing every problem found while loading a state dict.
 *
 * @group Errors
 */
export class StateDictError extends Error {
  override name = 'StateDictError';
  constructor(
    message: string,
    readonly missing: readonly string[],
    readonly unexpected: readonly string[],
    readonly wrongShape: readonly string[],
  ) {
    super(message);
  }
}

/**
 * Base class of layers and models, after PyTorch's `nn.Module`: named parameters (trained),
 * buffers (state that is saved but not trained, e.g. `H_init`), sub-modules, dotted names
 * (`L_level.layers.0.mlp.down_proj.weight`) and a train/eval mode.
 *
 * Parameters and buffers are `keep()`-ed tensors: they outlive every `tidy()` scope and are
 * released by {@link Module.dispose}.
 */
export class Module {
  /** True in training mode (the default); see {@link train} and {@link eval}. */
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, { tensor: Tensor; persistent: boolean }>();
  private readonly children = new Map<string, Module>();

  /** Registers a trainable parameter (marks it `requiresGrad` and `keep()`s it). */
  protected registerParameter(name: string, tensor: Tensor): Tensor {
    this.assertFreeName(name);
    tensor.keep().requireGrad(true);
    this.params.set(name, tensor);
    return tensor;
  }

  /**
   * Registers a buffer. Persistent buffers are part of the state dict; non-persistent ones
   * (derived tables such as rotary cos/sin) are not.
   */
  protected registerBuffer(name: string, tensor: Tensor, persistent = true): Tensor {
    this.assertFreeName(name);
    tensor.keep();
    this.buffers.set(name, { tensor, persistent });
    return tensor;
  }

  /** Registers a sub-module under `name`. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    this.assertFreeName(name);
    this.children.set(name, module);
    return module;
  }

  private assertFreeName(name: string): void {
    if (!name || name.includes('.')) throw new Error(`invalid member name "${name}"`);
    if (this.params.has(name) || this.buffers.has(name) || this.children.has(name)) {
      throw new Error(`${this.constructor.name} already has a member named "${name}"`);
    }
  }

  /** `[dottedName, tensor]` for every parameter of this module and its descendants. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, t] of this.params) out.push([prefix + name, t]);
    for (const [name, child] of this.children)
      out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  /** `[dottedName, tensor]` for every buffer (persistent only, unless `all`). */
  namedBuffers(prefix = '', all = false): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, { tensor, persistent }] of this.buffers) {
      if (persistent || all) out.push([prefix + name, tensor]);
    }
    for (const [name, child] of this.children)
      out.push(...child.namedBuffers(`${prefix}${name}.`, all));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Total number of trainable parameter elements. */
  parameterCount(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    this.training = mode;
    for (const child of this.children.values()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears the gradients of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Parameters and persistent buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /** The state dict read back to the host. */
  async stateDictData(): Promise<Map<string, StateEntry>> {
    const out = new Map<string, StateEntry>();
    for (const [name, t] of this.stateDict()) {
      const data = await t.data();
      out.set(name, {
        shape: [...t.shape],
        data: data instanceof Uint8Array ? Int32Array.from(data) : data,
      });
    }
    return out;
  }

  /**
   * Copies values into the parameters and buffers, in place (tensor identities stay, so
   * optimisers keep pointing at them). Strict by default: every missing, unexpected and
   * wrong-shaped key is listed in one {@link StateDictError}, and nothing is written.
   */
  loadStateDict(
    entries: ReadonlyMap<string, StateEntry>,
    options: { strict?: boolean } = {},
  ): void {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !entries.has(k));
    const unexpected = [...entries.keys()].filter((k) => !own.has(k));
    const wrongShape: string[] = [];
    for (const [name, t] of own) {
      const e = entries.get(name);
      if (!e) continue;
      const size = e.shape.reduce((a, b) => a * b, 1);
      if (e.shape.join(',') !== t.shape.join(',') || e.data.length !== size) {
        wrongShape.push(
          `${name}: checkpoint [${e.shape.join(', ')}], model [${t.shape.join(', ')}]`,
        );
      }
    }
    if (wrongShape.length || (strict && (missing.length || unexpected.length))) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
      if (wrongShape.length) parts.push(`wrong shapes: ${wrongShape.join('; ')}`);
      throw new StateDictError(
        `Cannot load the state dict into ${this.constructor.name}: ${parts.join('. ')}.`,
        missing,
        unexpected,
        wrongShape,
      );
    }
    for (const [name, t] of own) {
      const e = entries.get(name);
      if (!e) continue;
      const data = t.dtype === 'f32' ? Float32Array.from(e.data) : Int32Array.from(e.data);
      t.assign(data);
    }
  }

  /** Releases every parameter and buffer. */
  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    for (const { tensor } of this.buffers.values()) tensor.dispose();
    for (const child of this.children.values()) child.dispose();
  }
}
