/**
 * Tracing one call of a compiled function into a {@link Plan}, and replaying the plan.
 *
 * A trace runs the function once, for real, on copies of its tensor inputs in buffers the
 * plan keeps (its static inputs), while the backend records every command it encodes. What
 * the plan then holds: the recorded commands (pipelines, bind groups, dispatch sizes, copies);
 * the buffers of the step's intermediates, taken out of the pool so nothing else reuses them;
 * the storages of its outputs; the parameter slots to re-compute before each replay; and the
 * buffers of the tensors from before the step that it binds (weights, optimiser state), with
 * the hand-out of each, so that a replay over a tensor since freed is refused.
 */
import type { ParamChunk, ParamRefresh, RecordedCommand } from '../backend/recording.js';
import { Recording } from '../backend/recording.js';
import { backendOf, type Device } from '../device/device.js';
import type { DType } from '../dtype.js';
import { poolFor } from '../memory/pool.js';
import { keep } from '../memory/scope.js';
import { Storage } from '../memory/storage.js';
import { bufferOf, storageFor, Tensor } from '../tensor.js';
import { forEachLeaf, mapLeaves, substitute } from './arguments.js';

/** A traced call, ready to replay. */
export interface Plan {
  readonly device: Device;
  readonly commands: readonly RecordedCommand[];
  /** The static inputs: the traced function ran on these, and each call is copied into them. */
  readonly inputs: readonly Tensor[];
  /** Storages of the outputs, held by the plan: each replay writes them again. */
  readonly outputs: readonly { storage: Storage; shape: readonly number[]; dtype: DType }[];
  /** The result with its tensors replaced by output indices. */
  readonly template: unknown;
  /** The step's intermediates, out of the pool while the plan lives. */
  readonly owned: readonly GPUBuffer[];
  readonly chunks: readonly ParamChunk[];
  readonly refreshes: readonly ParamRefresh[];
  readonly effects: readonly (() => void)[];
  /** Buffers of tensors from before the step, with the hand-out each was traced with. */
  readonly externals: readonly (readonly [GPUBuffer, number])[];
  /** Bytes moved by the step's generated kernels, added to the counters at each replay. */
  readonly fusedBytes: number;
}

/** What tracing a call gave: its result and a plan, or the reason it cannot be replayed. */
export type Traced<R> = { result: R; plan: Plan } | { result: R; reason: string };

/** An output's place in the result template. */
class OutputSlot {
  constructor(readonly index: number) {}
}

/** Runs `fn` once on static copies of `tensors` (the tensors of `args`) and records it. */
export function trace<A extends unknown[], R>(
  device: Device,
  fn: (...args: A) => R,
  args: A,
  tensors: readonly Tensor[],
): Traced<R> {
  const backend = backendOf(device);
  const inputs = tensors.map((t) => {
    const copy = keep(new Tensor(Storage.alloc(device, t.size), t.shape, t.dtype));
    if (t.size > 0) backend.copy(bufferOf(t), bufferOf(copy), t.byteLength);
    return copy;
  });
  const recording = new Recording();
  backend.recording = recording;
  let result: R;
  let outputs: Tensor[];
  try {
    result = fn(...substitute(args, inputs));
    outputs = collectOutputs(result, recording, inputs);
  } catch (error) {
    backend.recording = undefined;
    backend.releaseParams(recording.chunks);
    for (const t of inputs) t.dispose();
    throw error;
  } finally {
    backend.recording = undefined;
  }
  const outputStorages = new Set(outputs.map(storageFor));
  for (const s of recording.storages as Set<Storage>) {
    if (s.isLive && !outputStorages.has(s)) {
      recording.fail(
        'a tensor made inside the step outlives it without being returned (a keep(), a .grad left set: call zeroGrad() inside the step, state created on first use: let a first call run eagerly)',
      );
    }
  }
  if (recording.reason) {
    backend.releaseParams(recording.chunks);
    for (const t of inputs) if (!outputStorages.has(storageFor(t))) t.dispose();
    return { result, reason: recording.reason };
  }
  return { result, plan: makePlan(device, recording, result, inputs, outputs) };
}

/**
 * The tensors of a traced call's result, computed inside the trace (a pending expression
 * is part of the step). Notes what a replay could not return.
 */
function collectOutputs(
  result: unknown,
  recording: Recording,
  inputs: readonly Tensor[],
): Tensor[] {
  const outputs: Tensor[] = [];
  const inputStorages = new Set(inputs.map(storageFor));
  forEachLeaf(result, (v) => {
    if (v instanceof Tensor) {
      if (v.gradFn) {
        recording.fail(
          `it returns ${v.describe()}, which is part of an autograd graph; call backward() inside the step or return a detached tensor`,
        );
      }
      const storage = storageFor(v);
      if (recording.storages.has(storage) || inputStorages.has(storage)) {
        bufferOf(v); // computed inside the step
        outputs.push(v);
      }
    } else if (v instanceof Promise) {
      recording.fail('it is asynchronous; compile the synchronous GPU part of the step');
    }
  });
  return outputs;
}

function makePlan(
  device: Device,
  recording: Recording,
  result: unknown,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
): Plan {
  const pool = poolFor(device);
  const owned = [...recording.acquired].filter((b) => pool.take(b));
  const slots = new Map<Tensor, number>();
  const outputInfo: Plan['outputs'][number][] = [];
  for (const t of outputs) {
    if (slots.has(t)) continue;
    slots.set(t, outputInfo.length);
    outputInfo.push({ storage: storageFor(t).retain(), shape: t.shape, dtype: t.dtype });
  }
  const template = templateOf(result, slots);
  const own = new Set<GPUBuffer>([
    ...owned,
    ...outputInfo.map((o) => o.storage.buffer),
    ...inputs.map((t) => storageFor(t).buffer),
  ]);
  const externals = new Map<GPUBuffer, number>();
  for (const c of recording.commands) {
    for (const b of 'pipeline' in c ? c.buffers : [c.src, c.dst]) {
      if (own.has(b) || externals.has(b)) continue;
      const generation = pool.generationOf(b);
      if (generation) externals.set(b, generation);
    }
  }
  return {
    device,
    commands: recording.commands,
    inputs,
    outputs: outputInfo,
    template,
    owned,
    chunks: recording.chunks,
    refreshes: recording.refreshes,
    effects: recording.effects,
    externals: [...externals],
    fusedBytes: recording.fusedBytes,
  };
}

function templateOf(value: unknown, slots: ReadonlyMap<Tensor, number>): unknown {
  return mapLeaves(value, (v) => {
    if (!(v instanceof Tensor)) return v;
    const slot = slots.get(v);
    // A tensor from before the step (a weight it returns) is returned as itself.
    return slot === undefined ? v : new OutputSlot(slot);
  });
}

/**
 * Replays a plan on new inputs: host effects, per-call parameters, input copies, then the
 * recorded commands. Returns undefined, doing nothing, when a tensor the step binds from
 * before it was freed since the trace (the caller traces again).
 */
export function replay<R>(plan: Plan, tensors: readonly Tensor[]): R | undefined {
  const pool = poolFor(plan.device);
  for (const [buffer, generation] of plan.externals) {
    if (pool.generationOf(buffer) !== generation) return undefined;
  }
  const backend = backendOf(plan.device);
  for (const effect of plan.effects) effect();
  if (plan.refreshes.length > 0) {
    const dirty = new Set<ParamChunk>();
    for (const r of plan.refreshes) {
      const words = r.words();
      r.chunk.bytes.set(new Uint8Array(words.buffer, words.byteOffset, words.byteLength), r.offset);
      dirty.add(r.chunk);
    }
    for (const chunk of dirty) backend.writeParams(chunk);
  }
  tensors.forEach((t, i) => {
    if (t.size > 0) backend.copy(bufferOf(t), bufferOf(plan.inputs[i]!), t.byteLength);
  });
  backend.replay(plan.commands);
  backend.noteFusedBytes(plan.fusedBytes);
  backend.submit();
  const made = plan.outputs.map((o) => new Tensor(o.storage.retain(), o.shape, o.dtype));
  return rebuild(plan.template, made) as R;
}

function rebuild(template: unknown, made: readonly Tensor[]): unknown {
  return mapLeaves(template, (v) => (v instanceof OutputSlot ? made[v.index] : v));
}

/** Frees what a plan holds: its intermediates go back to the pool. */
export function releasePlan(plan: Plan): void {
  const pool = poolFor(plan.device);
  for (const o of plan.outputs) o.storage.release();
  for (const t of plan.inputs) t.dispose();
  for (const b of plan.owned) pool.giveBack(b);
  backendOf(plan.device).releaseParams(plan.chunks);
}
