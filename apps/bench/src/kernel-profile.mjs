// Where the kernel time of one compiled ACT training step goes, kernel by kernel:
//   node src/kernel-profile.mjs [shape] [batch] [--by-grid]
// (shape from src/shapes.mjs, default reduced; --by-grid splits each kernel's row by workgroup
// grid, which tells a matmul's shapes apart)
// The step (forward, loss, backward, AdamATan2) is compiled and run to a steady state; one more
// replay is captured at the WebGPU pass encoder, and each of its dispatches is then run alone,
// five times in one pass, and timed to completion. Dispatches that bind a buffer the step has
// since released (the eager work around the captured part) are skipped. The sum of the single
// kernels is close to the step's kernel time on a CPU adapter, where kernels do not overlap.
import { createRequire } from 'node:module';
import { shapeNamed } from './shapes.mjs';
import { compiledStepOptions, syntheticBatch } from './synthetic-step.mjs';

const T = await import('@trm/tensor');
const M = await import('@trm/model');
const O = await import('@trm/optim');

const byGrid = process.argv.includes('--by-grid');
const [shapeName = 'reduced', batchArg] = process.argv.slice(2).filter((a) => a !== '--by-grid');
const shape = shapeNamed(shapeName);
if (!shape) {
  console.error(`kernel-profile: unknown shape "${shapeName}" (see src/shapes.mjs).`);
  process.exit(2);
}
const B = Number(batchArg ?? shape.batches[0]);
if (!Number.isSafeInteger(B) || B < 1) {
  console.error(
    `kernel-profile: the batch must be a whole number of at least 1, not "${batchArg}".`,
  );
  process.exit(2);
}

const tensorPkg = createRequire(import.meta.url).resolve('@trm/tensor/package.json');
const { globals } = createRequire(tensorPkg)('webgpu');
let captured = null;
let gpu = null;
const current = { pipeline: null, group: null };
const pass = globals.GPUComputePassEncoder.prototype;
const { setPipeline, setBindGroup, dispatchWorkgroups } = pass;
pass.setPipeline = function (p) {
  current.pipeline = p;
  return setPipeline.call(this, p);
};
pass.setBindGroup = function (i, g, ...rest) {
  if (i === 0) current.group = g;
  return setBindGroup.call(this, i, g, ...rest);
};
pass.dispatchWorkgroups = function (...size) {
  captured?.push({ ...current, size, label: current.pipeline.label || 'kernel' });
  return dispatchWorkgroups.apply(this, size);
};
const createEncoder = globals.GPUDevice.prototype.createCommandEncoder;
globals.GPUDevice.prototype.createCommandEncoder = function (...a) {
  gpu = this;
  return createEncoder.apply(this, a);
};

const device = await T.Device.open();
T.setDefaultDevice(device);
const config = M.resolveTrmConfig({ ...shape.config, batch_size: B });
const model = new M.TinyRecursiveModel(config, new T.Generator(0), { precision: 'f32' });
const batch = syntheticBatch(config, B);
const adam = new O.AdamATan2(model.namedParameters());
let carry = model.initialCarry(B);
const stepOptions = compiledStepOptions(model, adam, B);
const step = async () => {
  adam.schedule(1e-4);
  carry = (await model.step(carry, batch, stepOptions)).carry;
  await device.sync();
};
for (let i = 0; i < 3; i++) await step();
captured = [];
await step();
const dispatches = captured;
captured = null;
const report = model.compileReport();
if (!report || report.replays === 0) {
  console.error(`kernel-profile: the step never replayed compiled (${JSON.stringify(report)}).`);
  process.exit(1);
}

/** Runs `list` `reps` times in one pass; ms to completion, or null when WebGPU refused it. */
async function run(list, reps) {
  const encoder = gpu.createCommandEncoder();
  const p = encoder.beginComputePass();
  for (let r = 0; r < reps; r++) {
    for (const d of list) {
      p.setPipeline(d.pipeline);
      p.setBindGroup(0, d.group);
      p.dispatchWorkgroups(...d.size);
    }
  }
  p.end();
  gpu.pushErrorScope('validation');
  const t0 = performance.now();
  gpu.queue.submit([encoder.finish()]);
  await gpu.queue.onSubmittedWorkDone();
  const ms = performance.now() - t0;
  return (await gpu.popErrorScope()) ? null : ms;
}

const byLabel = new Map();
let timed = 0;
for (const d of dispatches) {
  if ((await run([d], 1)) === null) continue; // binds a released buffer (eager work)
  const ms = (await run([d], 5)) / 5;
  timed++;
  const key = byGrid ? `${d.label} [${d.size.join('×')}]` : d.label;
  const e = byLabel.get(key) ?? { n: 0, ms: 0 };
  e.n++;
  e.ms += ms;
  byLabel.set(key, e);
}
const rows = [...byLabel].sort((a, b) => b[1].ms - a[1].ms);
const total = rows.reduce((s, [, e]) => s + e.ms, 0);
console.log(
  `${shape.label}, batch ${B}: ${dispatches.length} dispatches in the step, ${timed} timed alone, ${total.toFixed(1)} ms in all`,
);
console.log('');
console.log('| kernel | dispatches | ms | share |');
console.log('| --- | --- | --- | --- |');
for (const [label, e] of rows) {
  const name = label.length > 60 ? `${label.slice(0, 57)}…` : label;
  console.log(
    `| ${name.replaceAll('|', '\\|')} | ${e.n} | ${e.ms.toFixed(2)} | ${((100 * e.ms) / total).toFixed(1)}% |`,
  );
}
device.destroy();
process.exit(0);
