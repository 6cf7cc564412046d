/**
 * `compile(fn)`: step capture. A compiled function traces its step once per input signature
 * and then replays the recorded kernel schedule, with no per-op JavaScript and no allocation.
 * How it traces, what it replays and when it falls back: apps/docs/src/execution-model.md.
 */

import { getDefaultDevice } from '../context.js';
import { backendOf, type Device } from '../device/device.js';
import { DeviceMismatchError } from '../errors.js';
import { signatureOf, tensorsIn } from './arguments.js';
import { type Plan, releasePlan, replay, trace } from './plan.js';

/** Options of {@link compile}. */
export interface CompileOptions<A extends unknown[]> {
  /**
   * A key for what the arguments do not show and the step depends on (a loss scale, a flag
   * read from a closure): calls with another key are traced apart. Tensors' shapes and dtypes,
   * the other plain values among the arguments and objects' identities are keyed already.
   */
  key?: (...args: A) => string | number;
  /** Eager calls of each new signature before it is traced (default 1), so that state a step
   * creates on first use (gradients, optimiser moments, compiled kernels) exists already. */
  warmup?: number;
  /** Signatures traced at most (default 8); beyond, the function runs eagerly. */
  maxSignatures?: number;
  /** False runs every call eagerly (the escape hatch; so does `TRM_COMPILE=0`). */
  enabled?: boolean;
  /** The device, when no argument is a tensor (default: the default device). */
  device?: Device;
}

/** Calls of a compiled function by how they ran. */
export interface CompileStats {
  eager: number;
  traces: number;
  replays: number;
}

/** What {@link compile} returns: the function, plus what it did and why it runs eagerly. */
export interface CompiledFunction<A extends unknown[], R> {
  (...args: A): R;
  /**
   * Why every call now runs eagerly: the first thing a trace did that a replay could not
   * repeat (a host read, host data uploaded, a tensor that escapes…), or null.
   */
  readonly fallbackReason: string | null;
  readonly stats: Readonly<CompileStats>;
  /** Frees the recorded plans (their buffers go back to the pool); later calls trace again. */
  dispose(): void;
}

interface Entry {
  calls: number;
  plan: Plan | null;
}

/**
 * Compiles a step: the first call of each input signature runs eagerly (see
 * {@link CompileOptions.warmup}), the next one is traced — run for real while every kernel
 * dispatch and copy it encodes is recorded — and later calls replay the recording: the tensor
 * inputs are copied into the plan's own input buffers, per-call kernel parameters (customOp
 * `params` given as a function) are computed again, and the same kernels run on the same
 * buffers. A signature is the shapes and dtypes of the tensor arguments (found in arrays and
 * plain objects), the other plain values among them, the identity of other objects and of
 * functions, and the {@link CompileOptions.key}.
 *
 * The outputs of a replay live in the plan's buffers: **the next call overwrites them**, as a
 * CUDA graph's do. `clone()` an output to keep it past the next call. Inputs are copies: a
 * step that writes into an input does not change the caller's tensor.
 *
 * The function must be synchronous and do on the host only what it does the same way every
 * call: a replay runs none of its JavaScript. What a trace cannot replay — a read back to the
 * host, host data uploaded, a tensor made inside that outlives the call without being
 * returned, a tensor from before the call disposed inside it, a returned tensor still in an
 * autograd graph, per-call kernel parameters given as values — is detected, and the function
 * then runs eagerly for good, with the reason in {@link CompiledFunction.fallbackReason}.
 * Per-call numbers reach kernels through customOp `params` functions that read live state
 * (an optimiser's learning rate), or through the key.
 *
 * @example
 * ```ts
 * const step = compile((x: Tensor, y: Tensor) => {
 *   const loss = model.forward(x).sub(y).square().mean();
 *   loss.backward();
 *   opt.apply(); // customOp with params: () => [...]
 *   model.zeroGrad();
 *   return loss.detach();
 * });
 * for (const [x, y] of batches) {
 *   opt.schedule(lrAt(step));
 *   const loss = await step(x, y).item();
 * }
 * ```
 */
export function compile<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: CompileOptions<A> = {},
): CompiledFunction<A, R> {
  const entries = new Map<string, Entry>();
  const stats: CompileStats = { eager: 0, traces: 0, replays: 0 };
  let fallbackReason: string | null = null;
  const enabled = options.enabled !== false && !compileDisabledByEnv();
  const warmup = options.warmup ?? 1;
  const maxSignatures = options.maxSignatures ?? 8;

  const eager = (args: A): R => {
    stats.eager++;
    return fn(...args);
  };

  const compiled = ((...args: A): R => {
    if (!enabled || fallbackReason) return eager(args);
    const tensors = tensorsIn(args);
    const device = tensors[0]?.device ?? options.device ?? getDefaultDevice();
    // Inside another trace, this step is part of that one.
    if (backendOf(device).recording) return fn(...args);
    for (const t of tensors) {
      t.assertLive();
      if (t.device !== device) {
        throw new DeviceMismatchError(
          `compile: ${t.describe()} is on another device than ${tensors[0]!.describe()}; a compiled step runs on one device.`,
        );
      }
    }
    const key = `${signatureOf(args)}|${options.key ? options.key(...args) : ''}`;
    let entry = entries.get(key);
    if (!entry) {
      if (entries.size >= maxSignatures) {
        fallbackReason = `it was called with more than ${maxSignatures} input signatures (shapes, dtypes, keys)`;
        release();
        return eager(args);
      }
      entry = { calls: 0, plan: null };
      entries.set(key, entry);
    }
    entry.calls++;
    if (entry.plan) {
      if (entry.plan.device === device) {
        const out = replay<R>(entry.plan, tensors);
        if (out !== undefined) {
          stats.replays++;
          return out;
        }
      }
      // A tensor the plan binds was freed (weights replaced) or the device changed: retrace.
      releasePlan(entry.plan);
      entry.plan = null;
    }
    if (entry.calls <= warmup) return eager(args);
    stats.traces++;
    const traced = trace(device, fn, args, tensors);
    if ('plan' in traced) entry.plan = traced.plan;
    else {
      fallbackReason = traced.reason;
      release(); // eager from now on: the other signatures' plans are of no more use
    }
    return traced.result;
  }) as CompiledFunction<A, R>;

  function release(): void {
    for (const entry of entries.values()) if (entry.plan) releasePlan(entry.plan);
    entries.clear();
  }

  Object.defineProperties(compiled, {
    fallbackReason: { get: () => fallbackReason },
    stats: { get: () => ({ ...stats }) },
    dispose: { value: release },
  });
  return compiled;
}

/** `TRM_COMPILE=0` in the environment turns capture off everywhere (for debugging). */
function compileDisabledByEnv(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  return env?.TRM_COMPILE === '0';
}
