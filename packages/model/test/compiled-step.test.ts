import {
  customOp,
  Device,
  Generator,
  LINEAR_INDEX_WGSL,
  memoryStats,
  setDefaultDevice,
  WORKGROUP_SIZE,
} from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActCarry, resolveTrmConfig, TinyRecursiveModel } from '../src/index.js';
import { SMALL_TRM } from './small-config.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
  setDefaultDevice(device);
});
afterAll(() => device?.destroy());

const config = resolveTrmConfig({ ...SMALL_TRM, halt_max_steps: 3 });

/** w -= lr · g: an update whose rate changes every step, as a scheduled optimiser's does. */
const SGD = `const WG: u32 = ${WORKGROUP_SIZE}u;
struct P { lr: f32, n: u32 }
@group(0) @binding(0) var<storage, read> p: P;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= p.n) { return; }
  w[i] = w[i] - p.lr * g[i];
}`;

function batchAt(step: number) {
  return {
    inputs: Int32Array.from({ length: 18 }, (_, i) => 1 + ((i + step) % 5)),
    labels: Int32Array.from({ length: 18 }, (_, i) => (i % 4 === 0 ? -100 : 1 + ((i * step) % 5))),
    puzzleIdentifiers: Int32Array.of(step % 3, (step + 1) % 3),
  };
}

/** `steps` training steps, then a full evaluation; everything they produce, for comparison. */
async function train(compile: boolean, steps: number) {
  const model = new TinyRecursiveModel(config, new Generator(5));
  const params = model.parameters();
  const sgd = { lr: 0 };
  const update = () => {
    for (const p of params) {
      const size = p.size;
      customOp({
        name: 'sgd',
        code: SGD,
        params: () => [sgd.lr, { u32: size }],
        inputs: [p.grad!],
        updates: [p],
        threads: size,
      });
    }
    model.zeroGrad();
  };
  const seen: unknown[] = [];
  let carry: ActCarry = model.initialCarry(2);
  for (let s = 0; s < steps; s++) {
    sgd.lr = 0.05 / (1 + s);
    const exploration = { explore: Uint8Array.of(s % 2, 0), minHalt: Int32Array.of(2, 0) };
    const r = await model.step(carry, batchAt(s), {
      backward: true,
      lossScale: 0.5,
      exploration,
      update,
      compile,
    });
    carry = r.carry;
    const sparse = model.inner.puzzleEmb!.sparseGrad()!;
    seen.push([r.loss, r.metrics, r.preds, r.qHalt, r.qContinue, r.targetQContinue]);
    seen.push([sparse.ids, await sparse.rows.data()]);
  }
  TinyRecursiveModel.disposeCarry(carry);
  model.eval();
  carry = model.initialCarry(2);
  for (;;) {
    const r = await model.step(carry, batchAt(9), { compile, keepLogits: true });
    carry = r.carry;
    seen.push([r.preds, r.qHalt, await r.logits!.data()]);
    r.logits!.dispose();
    if (r.allHalted) break;
  }
  TinyRecursiveModel.disposeCarry(carry);
  for (const [, t] of model.stateDict()) seen.push(await t.data());
  const report = model.compileReport();
  model.inner.puzzleEmb?.releaseBatch();
  model.releaseCompiled();
  model.dispose();
  return { seen, report };
}

describe('a compiled ACT step', () => {
  it('trains and evaluates bit for bit as the eager step does', async () => {
    const before = memoryStats(device);
    const eager = await train(false, 6);
    const compiled = await train(true, 6);
    expect(eager.report).toBeNull();
    // Training: one eager warm-up, one trace, four replays; evaluation likewise (3 steps).
    expect(compiled.report).toEqual({ eager: 2, traces: 2, replays: 5, fallbackReason: null });
    expect(compiled.seen).toEqual(eager.seen);
    expect(memoryStats(device).liveBuffers).toBe(before.liveBuffers);
  });
});
