// One measurement of trm's ACT training step, in a process of its own (so an out-of-memory
// batch, a lost device or a memory peak never leaks into the next measurement):
//   node step-worker.mjs '<json: { config, batch, precision, steps, maxSeconds, warmup, skip,
//                                   compiled, root, tuning }>'
// `steps` timed steps, fewer when they would run past `maxSeconds` (one at least).
// Prints one JSON line. `skip` runs the same steps with every dispatch dropped: the host's
// share of a step (JavaScript and WebGPU encoding). `compiled` runs the step as `trm train`
// does by default: its device part, optimiser included, captured once and replayed
// (`compile()` of @trm/tensor; f32 only, a checkout that has it). `root` loads the packages of another
// built checkout (packages/*/dist) instead of this one's.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiledStepOptions, syntheticBatch } from './synthetic-step.mjs';

const args = JSON.parse(process.argv[2]);
const load = (pkg) =>
  args.root
    ? import(pathToFileURL(join(args.root, `packages/${pkg}/dist/index.js`)).href)
    : import(`@trm/${pkg}`);
const T = await load('tensor');
const M = await load('model');
const O = await load('optim');

// Dispatches and copies are counted (or dropped) on the WebGPU encoders, where every checkout
// issues them, so an older checkout is counted the same way.
const tensorPkg = args.root
  ? join(args.root, 'packages/tensor/package.json')
  : createRequire(import.meta.url).resolve('@trm/tensor/package.json');
const { globals } = createRequire(tensorPkg)('webgpu');
let dispatches = 0;
let copies = 0;
const pass = globals.GPUComputePassEncoder.prototype;
const dispatch = pass.dispatchWorkgroups;
pass.dispatchWorkgroups = function (...a) {
  dispatches++;
  if (!args.skip) dispatch.apply(this, a);
};
const enc = globals.GPUCommandEncoder.prototype;
const copy = enc.copyBufferToBuffer;
enc.copyBufferToBuffer = function (...a) {
  // The kernel timer's own read-back of its timestamps is not the step's.
  if (!(a[0].usage & globals.GPUBufferUsage.QUERY_RESOLVE)) copies++;
  return copy.apply(this, a);
};

try {
  console.log(JSON.stringify(await measure()));
} catch (e) {
  const oom = e instanceof T.GpuOutOfMemoryError || /out of memory/i.test(String(e?.message));
  console.log(JSON.stringify({ error: oom ? 'out of memory' : String(e?.message ?? e) }));
}
process.exit(0);

async function measure() {
  // Dawn rounds timestamps to 100 µs by default (a browser's fingerprinting guard).
  const device = await T.Device.open({ disableToggles: ['timestamp_quantization'] });
  T.setDefaultDevice(device);
  // The matmul tiling the main process tuned for this adapter, if it did.
  if (args.tuning && T.useMatmulTuning)
    T.useMatmulTuning(device, JSON.parse(readFileSync(args.tuning, 'utf8')));
  const config = M.resolveTrmConfig({
    ...args.config,
    batch_size: args.batch,
    ...(args.precision === 'f16' ? { forward_dtype: 'float16' } : {}),
  });
  // f16 where the adapter allows it (else f32, reported as the precision that ran).
  const precision =
    args.precision === 'f16' && M.precisionFor
      ? M.precisionFor('float16', device.features).precision
      : 'f32';
  const model = new M.TinyRecursiveModel(config, new T.Generator(0), { precision });
  const scaler = precision === 'f16' ? new O.GradScaler() : null;
  const B = args.batch;
  const S = config.seq_len;
  const batch = syntheticBatch(config, B);
  const params = model.namedParameters();
  const emb = model.inner.puzzleEmb;
  // Before the optimisers moved to tensors they took raw buffer slots (older checkouts).
  const slotApi = typeof T.Device.prototype.dispatch === 'function';
  const slots = () =>
    params.map(([name, p]) => ({ name, size: p.size, value: p.buffer, grad: p.grad?.buffer }));
  const adam = slotApi ? new O.AdamATan2(device, slots()) : new O.AdamATan2(params);
  const sign = emb
    ? slotApi
      ? new O.SparseSignSGD(device)
      : new O.SparseSignSGD(emb.weights)
    : null;
  let carry = model.initialCarry(B);
  let skipped = 0;
  if (args.compiled && (scaler || typeof adam.schedule !== 'function')) {
    throw new Error('no compiled step here (f16, or a checkout without compile())');
  }
  // The dense optimiser inside the captured step; the sparse one after it, on host ids.
  const stepOptions = args.compiled ? compiledStepOptions(model, adam, B) : null;
  const compiledStep = async () => {
    adam.schedule(1e-4);
    carry = (await model.step(carry, batch, stepOptions)).carry;
    const sparse = emb?.sparseGrad();
    if (sign && sparse) sign.step(sparse, 1e-2);
    await device.sync();
  };
  const trainStep = async () => {
    if (args.compiled) return compiledStep();
    const r = await model.step(carry, batch, {
      backward: true,
      lossScale: (scaler?.scale ?? 1) / B,
    });
    carry = r.carry;
    // f16: unscale the gradients and skip the step on an overflow, as `trm train` does.
    const finite = scaler
      ? await scaler.unscale([
          ...params.map(([, p]) => p.grad),
          ...(emb?.sparseGrad ? [emb.sparseGrad()?.rows] : []),
        ])
      : true;
    scaler?.update(finite);
    if (!finite) {
      skipped++;
      model.zeroGrad();
      await device.sync();
      return;
    }
    if (slotApi) adam.step(slots(), 1e-4);
    else adam.step(1e-4);
    if (sign && slotApi && emb.local?.grad && emb.localIds) {
      sign.step(emb.weights.buffer, emb.numIds, emb.dim, emb.localIds, emb.local.grad.buffer, 1e-2);
    } else if (sign && !slotApi) {
      const sparse = emb.sparseGrad();
      if (sparse) sign.step(sparse, 1e-2);
    }
    model.zeroGrad();
    await device.sync();
  };
  for (let i = 0; i < args.warmup; i++) await trainStep(); // compile kernels, fill the pool
  dispatches = 0;
  copies = 0;
  const submitsBefore = device.counters?.submits;
  const fusedBefore = device.counters?.fusedBytes;
  const memoryBefore = T.memoryStats(device);
  const timing = !args.skip && typeof device.startGpuTimer === 'function' && device.startGpuTimer();
  const t0 = performance.now();
  // At least one timed step; more while they fit the time box (big shapes on a slow adapter).
  let steps = 0;
  const box = (args.maxSeconds ?? Number.POSITIVE_INFINITY) * 1000;
  do {
    await trainStep();
    steps++;
  } while (steps < args.steps && (performance.now() - t0) * ((steps + 1) / steps) <= box);
  const ms = (performance.now() - t0) / steps;
  const kernel = timing ? await device.stopGpuTimer() : null;
  const compileReport = args.compiled ? model.compileReport() : null;
  if (compileReport && compileReport.replays < steps) {
    // A compiled row that ran eagerly would be a wrong row, not a slow one.
    throw new Error(
      `the compiled step replayed ${compileReport.replays} of ${steps} timed steps (${JSON.stringify(compileReport)})`,
    );
  }
  const memoryAfter = T.memoryStats(device);
  const tokens = B * (S + model.inner.P);
  const result = {
    msPerStep: ms,
    stepsPerSecond: 1000 / ms,
    examplesPerSecond: (B * 1000) / ms,
    tokensPerSecond: (tokens * 1000) / ms,
    timedSteps: steps,
    dispatches: dispatches / steps,
    copies: copies / steps,
    submits: submitsBefore === undefined ? null : (device.counters.submits - submitsBefore) / steps,
    // Memory traffic of the generated kernels (a checkout that counts it).
    fusedMiB:
      fusedBefore === undefined
        ? null
        : (device.counters.fusedBytes - fusedBefore) / steps / 2 ** 20,
    kernelMsPerStep: kernel ? kernel.ms / steps : null,
    untimedPasses: kernel ? kernel.untimedPasses : null,
    peakMiB: memoryAfter.peakBytes / 2 ** 20,
    // Over the timed steps: what a long run's memory does (0: flat).
    liveBytesGrowth: memoryAfter.liveBytes - memoryBefore.liveBytes,
    parameters: model.parameterCount(),
    precision: model.precision ?? 'f32',
    // Steps an f16 overflow skipped (over warm-up and timed steps).
    skippedSteps: skipped,
    ...(compileReport ? { compile: compileReport } : {}),
  };
  device.destroy();
  return result;
}
