import { Module } from '@trm/nn';
import {
  autocast,
  type CompiledFunction,
  type CompileStats,
  compile,
  type Generator,
  isGradEnabled,
  noGrad,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '@trm/tensor';
import { architectureOf, type TrmConfig } from '../config.js';
import type { ComputePrecision } from '../precision.js';
import { createInner } from './create-inner.js';
import type { InnerCarry, InnerModel } from './inner.js';
import {
  bceWithLogitsSum,
  IGNORE_LABEL,
  oneHot,
  type StepMetrics,
  softmaxCrossEntropy,
  stablemaxCrossEntropy,
  stepMetrics,
} from './loss.js';

/** One batch on the host, row-major `[B, seq_len]` (identifiers `[B]`). */
export interface HostBatch {
  inputs: Int32Array;
  labels: Int32Array;
  puzzleIdentifiers: Int32Array;
}

/**
 * The ACT carry (spec §5): latent state on the device; step counts, halting flags and each
 * row's current example on the host, where the halting logic runs.
 */
export interface ActCarry {
  inner: InnerCarry;
  steps: Int32Array;
  halted: Uint8Array;
  data: HostBatch;
}

/** Exploration draws for one step: per row, whether it explores and its minimum halt step. */
export interface ExplorationDraws {
  explore: Uint8Array;
  minHalt: Int32Array;
}

/**
 * The exploration draws of one training step for `rows` rows (spec §5): per row, in row
 * order, one uniform draw decides whether the row explores and, if it does, a second one
 * picks its minimum halt step in 2..halt_max_steps. Data-parallel ranks draw for the whole
 * global batch and keep their slice, so they halt exactly as a single device would.
 */
export function drawExploration(
  config: Pick<TrmConfig, 'halt_exploration_prob' | 'halt_max_steps'>,
  rows: number,
  random: () => number,
): ExplorationDraws {
  const explore = new Uint8Array(rows);
  const minHalt = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    if (random() < config.halt_exploration_prob) {
      explore[r] = 1;
      minHalt[r] = 2 + Math.floor(random() * (config.halt_max_steps - 1));
    }
  }
  return { explore, minHalt };
}

/**
 * Whether the Q head halts a row (spec §5), the rule training applies outside exploration:
 * `q_halt > q_continue`, or `q_halt > 0` when the model has no continue head
 * (`no_ACT_continue`). Reaching `halt_max_steps` halts a row whatever this says.
 */
export function haltsByQHead(
  config: Pick<TrmConfig, 'no_ACT_continue'>,
  qHalt: number,
  qContinue: number,
): boolean {
  return config.no_ACT_continue ? qHalt > 0 : qHalt > qContinue;
}

/**
 * Whether training fits the continue head to a bootstrapped target (a second, gradient-free
 * inner pass on the new carry): the TRM family without `no_ACT_continue`, and hrm always.
 * The transformer baseline never does: its loss head never asks for the target, so its
 * continue logit gets no gradient, as in the reference.
 */
export function trainsContinueHead(config: Pick<TrmConfig, 'name' | 'no_ACT_continue'>): boolean {
  return !config.no_ACT_continue && architectureOf(config).kind !== 'transformers_baseline';
}

export interface StepOptions {
  /** Back-propagate `loss · lossScale` (training; e.g. `1 / global_batch_size`). */
  backward?: boolean;
  lossScale?: number;
  /** Fixed exploration draws (tests); otherwise drawn from `random`. */
  exploration?: ExplorationDraws;
  /** Uniform [0, 1) source for exploration draws (a seeded generator in training). */
  random?: () => number;
  /** Keep the logits tensor in the result (the caller disposes it). */
  keepLogits?: boolean;
  /**
   * Run the device part of the step compiled (`compile()` of `@trm/tensor`): traced once per
   * batch shape and options, then replayed without per-op work. The results are the same to
   * the bit; `TRM_COMPILE=0` turns it off everywhere.
   */
  compile?: boolean;
  /**
   * Device work to run right after the backward, inside the (compiled) step: the optimiser
   * kernels and `zeroGrad()` of a training step. It must do the same every call; per-call
   * values reach its kernels through customOp `params` functions (AdamATan2's `schedule()`).
   */
  update?: () => void;
}

export interface StepResult {
  carry: ActCarry;
  /** `loss = lm_loss + 0.5·(q_halt_loss + q_continue_loss)`, summed over rows. */
  loss: number;
  metrics: StepMetrics;
  preds: Int32Array;
  qHalt: Float32Array;
  qContinue: Float32Array;
  targetQContinue: Float32Array | null;
  logits: Tensor | null;
  /** True when every row has halted (evaluation loops until then). */
  allHalted: boolean;
}

/** Options of a {@link TinyRecursiveModel} that are not part of its architecture. */
export interface ModelOptions {
  /**
   * What the forward and backward compute in (default `f32`): choose it from
   * `config.forward_dtype` and the device with `precisionFor`.
   */
  precision?: ComputePrecision;
}

/**
 * A recursive reasoning model with its ACT wrapper and loss head: TRM or any other
 * architecture of `ARCHITECTURES`, which `config.name` selects (the class keeps TRM's
 * name). The wrapper and the loss are shared; the inner model is the architecture's.
 * Parameter names follow the reference's state dict (`model.inner.…`), so
 * checkpoints move between the two.
 */
export class TinyRecursiveModel extends Module {
  readonly model: ActModel;
  /** What the forward and backward compute in (see {@link ModelOptions.precision}). */
  readonly precision: ComputePrecision;

  constructor(
    readonly config: TrmConfig,
    generator: Generator,
    options: ModelOptions = {},
  ) {
    super();
    this.precision = options.precision ?? 'f32';
    this.model = this.registerModule('model', new ActModel(config, generator));
  }

  get inner(): InnerModel {
    return this.model.inner;
  }

  /** A carry whose rows are all halted, so the first step loads the batch (spec §5). */
  initialCarry(batchSize: number): ActCarry {
    const shape = [batchSize, this.inner.totalLen, this.config.hidden_size];
    const n = batchSize * this.config.seq_len;
    const inner: Record<string, Tensor> = {};
    for (const name of this.inner.initStates.keys()) inner[name] = zeros(shape).keep();
    return {
      inner,
      steps: new Int32Array(batchSize),
      halted: new Uint8Array(batchSize).fill(1),
      data: {
        inputs: new Int32Array(n),
        labels: new Int32Array(n).fill(IGNORE_LABEL),
        puzzleIdentifiers: new Int32Array(batchSize),
      },
    };
  }

  /** Frees the device part of a carry. */
  static disposeCarry(carry: ActCarry): void {
    for (const t of Object.values(carry.inner)) t.dispose();
  }

  /**
   * One ACT step (spec §5–6): halted rows restart on the new batch, the inner model runs,
   * the loss is computed (and back-propagated when `backward`), then halting is decided on
   * the host. The old carry's device tensors are released; use the returned one.
   */
  async step(carry: ActCarry, batch: HostBatch, options: StepOptions = {}): Promise<StepResult> {
    const cfg = this.config;
    const B = carry.halted.length;
    const S = cfg.seq_len;
    if (
      batch.inputs.length !== B * S ||
      batch.labels.length !== B * S ||
      batch.puzzleIdentifiers.length !== B
    ) {
      throw new RangeError(`batch does not match the carry: expected ${B} rows of ${S} tokens`);
    }
    // 1. Halted rows take the new batch's row and restart.
    const data: HostBatch = {
      inputs: carry.data.inputs.slice(),
      labels: carry.data.labels.slice(),
      puzzleIdentifiers: carry.data.puzzleIdentifiers.slice(),
    };
    const steps = new Int32Array(B);
    for (let r = 0; r < B; r++) {
      if (carry.halted[r]) {
        data.inputs.set(batch.inputs.subarray(r * S, (r + 1) * S), r * S);
        data.labels.set(batch.labels.subarray(r * S, (r + 1) * S), r * S);
        data.puzzleIdentifiers[r] = batch.puzzleIdentifiers[r]!;
      } else {
        steps[r] = carry.steps[r]!;
      }
    }
    const counts = new Float32Array(B);
    const valid = new Float32Array(B * S);
    const safeLabels = new Int32Array(B * S);
    for (let i = 0; i < B * S; i++) {
      const ignored = data.labels[i] === IGNORE_LABEL;
      valid[i] = ignored ? 0 : 1;
      safeLabels[i] = ignored ? -1 : data.labels[i]!;
      if (!ignored) counts[Math.floor(i / S)]! += 1;
    }
    const isLast = Uint8Array.from(steps, (s) => (s + 1 >= cfg.halt_max_steps ? 1 : 0));
    const withContinue = this.training && trainsContinueHead(cfg) && cfg.halt_max_steps > 1;

    const device = Object.values(carry.inner)[0]!.device;
    // Host data goes up before the device part, which then only computes (and can be replayed).
    const inputs: StepTensors = {
      inputs: tensor(data.inputs, { shape: [B, S], dtype: 'i32', device }),
      puzzleIdentifiers: tensor(data.puzzleIdentifiers, { shape: [B], dtype: 'i32', device }),
      restart: tensor(carry.halted, { shape: [B, 1, 1], dtype: 'bool', device }),
      labels: tensor(safeLabels, { shape: [B, S], dtype: 'i32', device }),
      div: tensor(
        Float32Array.from(counts, (n) => Math.max(n, 1)),
        { shape: [B], device },
      ),
      valid: tensor(valid, { shape: [B, S], device }),
      counts: tensor(counts, { shape: [B], device }),
      isLast: withContinue ? tensor(isLast, { shape: [B], dtype: 'bool', device }) : null,
    };
    // The last step's sparse gradient goes before this step's forward makes a new one.
    this.inner.puzzleEmb?.releaseBatch();
    const flags: StepFlags = {
      backward: options.backward ?? false,
      lossScale: options.lossScale ?? 1,
      keepLogits: options.keepLogits ?? false,
      withContinue,
      training: this.training,
      gradEnabled: isGradEnabled(),
      precision: this.precision,
      update: options.update ?? null,
    };
    const run = options.compile ? this.compiledStep() : this.deviceStep;
    const out = run(inputs, carry.inner, flags);
    for (const t of Object.values(inputs)) t?.dispose();
    TinyRecursiveModel.disposeCarry(carry);
    for (const t of Object.values(out.state)) t.keep();
    if (out.sparseRows)
      this.inner.puzzleEmb?.holdGradient(data.puzzleIdentifiers, out.sparseRows.keep());
    // A compiled step's outputs are overwritten by its next call: the caller keeps a copy.
    const logits = out.logits && options.compile ? out.logits.clone() : out.logits;
    if (logits !== out.logits) out.logits?.dispose();
    logits?.keep();

    const [preds, qHalt, qContinue, target, scalars] = await Promise.all([
      out.preds.data() as Promise<Int32Array>,
      out.qHalt.data() as Promise<Float32Array>,
      out.qContinue.data() as Promise<Float32Array>,
      out.target ? (out.target.data() as Promise<Float32Array>) : Promise.resolve(null),
      Promise.all(out.scalars.map((t) => t.item())),
    ]);
    for (const t of [out.preds, out.qHalt, out.qContinue, out.target, ...out.scalars]) t?.dispose();

    // 3–4. Halting, on the host (spec §5).
    const halted = new Uint8Array(B);
    // The baseline with act_enabled: false runs every row for halt_max_steps steps.
    const explores = this.training && cfg.halt_max_steps > 1 && cfg.act_enabled;
    const draws = explores
      ? (options.exploration ?? drawExploration(cfg, B, options.random ?? Math.random))
      : null;
    for (let r = 0; r < B; r++) {
      steps[r]! += 1;
      let h = steps[r]! >= cfg.halt_max_steps;
      if (draws) {
        h ||= haltsByQHead(cfg, qHalt[r]!, qContinue[r]!);
        const minHalt = draws.explore[r] === 1 ? draws.minHalt[r]! : 0;
        h &&= steps[r]! >= minHalt;
      }
      halted[r] = h ? 1 : 0;
    }
    const [loss, lmLoss, qHaltLoss, qContinueLoss] = scalars as [
      number,
      number,
      number,
      number | undefined,
    ];
    const metrics: StepMetrics = {
      ...stepMetrics({ preds, labels: data.labels, halted, steps, qHalt, seqLen: S }),
      lm_loss: lmLoss,
      q_halt_loss: qHaltLoss,
      ...(qContinueLoss !== undefined ? { q_continue_loss: qContinueLoss } : {}),
    };
    return {
      carry: { inner: out.state, steps, halted, data },
      loss,
      metrics,
      preds,
      qHalt,
      qContinue,
      targetQContinue: target,
      logits,
      allHalted: halted.every((h) => h === 1),
    };
  }
  /**
   * The device part of {@link step}: carry reset, inner model, loss head, backward and the
   * caller's `update`, as one synchronous function of tensors, so that it can be compiled.
   */
  private readonly deviceStep = (
    t: StepTensors,
    state: InnerCarry,
    flags: StepFlags,
  ): DeviceStepResult =>
    tidy(() => {
      const cfg = this.config;
      const deviceBatch = { inputs: t.inputs, puzzleIdentifiers: t.puzzleIdentifiers };
      const start: Record<string, Tensor> = {};
      for (const [name, init] of this.inner.initStates)
        start[name] = t.restart.where(init, state[name]!);
      // The forward in the model's precision; its recorded backward keeps it.
      const forward = (c: InnerCarry) =>
        autocast(flags.precision, () => this.inner.forward(c, deviceBatch));
      const inner = forward(start);
      // Loss head (spec §6). Ignored labels become -1: their one-hot rows are all zero.
      const targets = oneHot(t.labels, cfg.vocab_size);
      const ce =
        cfg.loss_type === 'stablemax_cross_entropy'
          ? stablemaxCrossEntropy(inner.logits, targets)
          : softmaxCrossEntropy(inner.logits, targets);
      const lmLoss = ce.sum(-1).div(t.div).sum();
      const preds = inner.logits.argmax(-1);
      const nCorrect = preds.eq(t.labels).cast('f32').mul(t.valid).sum(-1);
      const seqCorrect = nCorrect.eq(t.counts).cast('f32');
      const qHaltLoss = bceWithLogitsSum(inner.qHalt, seqCorrect);
      let total = lmLoss.add(qHaltLoss.mul(0.5));
      let target: Tensor | null = null;
      let qContinueLoss: Tensor | null = null;
      if (flags.withContinue && t.isLast) {
        const isLast = t.isLast;
        target = noGrad(() => {
          const next = forward(inner.carry);
          return isLast.where(next.qHalt, next.qHalt.maximum(next.qContinue)).sigmoid();
        });
        qContinueLoss = bceWithLogitsSum(inner.qContinue, target);
        total = total.add(qContinueLoss.mul(0.5));
      }
      if (flags.backward) {
        total.mul(flags.lossScale).backward();
        flags.update?.();
      }
      return {
        state: inner.carry,
        preds,
        qHalt: inner.qHalt.detach(),
        qContinue: inner.qContinue.detach(),
        target,
        scalars: [total, lmLoss, qHaltLoss, ...(qContinueLoss ? [qContinueLoss] : [])].map((x) =>
          x.detach(),
        ),
        logits: flags.keepLogits ? inner.logits.detach() : null,
        sparseRows: this.inner.puzzleEmb?.takeGradient() ?? null,
      };
    });

  private compiled: CompiledFunction<
    [StepTensors, InnerCarry, StepFlags],
    DeviceStepResult
  > | null = null;

  /** {@link deviceStep}, compiled: traced once per batch shape and set of flags, then replayed. */
  private compiledStep() {
    this.compiled ??= compile(this.deviceStep);
    return this.compiled;
  }

  /** Frees the compiled step's recorded plans (their buffers); `dispose()` does it too. */
  releaseCompiled(): void {
    this.compiled?.dispose();
  }

  /** Frees the weights and the compiled step's recorded plans. */
  override dispose(): void {
    this.releaseCompiled();
    super.dispose();
  }

  /**
   * How the compiled step's calls ran (eager, traced, replayed), and why it runs eagerly if it
   * does; null before a step asked for `compile`.
   */
  compileReport(): (CompileStats & { fallbackReason: string | null }) | null {
    const c = this.compiled;
    return c ? { ...c.stats, fallbackReason: c.fallbackReason } : null;
  }
}

/** The tensors of one step's host data, made before its device part. */
interface StepTensors {
  inputs: Tensor;
  puzzleIdentifiers: Tensor;
  restart: Tensor;
  labels: Tensor;
  div: Tensor;
  valid: Tensor;
  counts: Tensor;
  isLast: Tensor | null;
}

/** What shapes a step's device part besides its tensors (part of a compiled step's key). */
interface StepFlags {
  backward: boolean;
  lossScale: number;
  keepLogits: boolean;
  withContinue: boolean;
  training: boolean;
  /** Whether the caller runs the step under `noGrad` (the trace records either way). */
  gradEnabled: boolean;
  precision: ComputePrecision;
  update: (() => void) | null;
}

/** What a step's device part returns. */
interface DeviceStepResult {
  state: InnerCarry;
  preds: Tensor;
  qHalt: Tensor;
  qContinue: Tensor;
  target: Tensor | null;
  scalars: Tensor[];
  logits: Tensor | null;
  sparseRows: Tensor | null;
}

/** The ACT wrapper module; it only holds the inner model (the logic lives in the loss head). */
export class ActModel extends Module {
  readonly inner: InnerModel;
  constructor(config: TrmConfig, generator: Generator) {
    super();
    this.inner = this.registerModule('inner', createInner(config, generator));
  }
}
