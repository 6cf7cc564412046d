// AdamATan2 step time for the 7M-parameter TRM attention model's tensors: the fused kernel of
// @trm/optim against an unfused baseline of one elementwise kernel per arithmetic step (how a
// tensor library without fusion runs the same update), measured in the same run.
//   pnpm --filter @trm/optim build && pnpm --filter @trm/optim bench
import { Device, mapF32 } from '@trm/tensor';
import { AdamATan2 } from '../dist/index.js';

const D = 512;
const inter = 1536;
const shapes = { embed_tokens: [11, D], lm_head: [11, D], q_head: [2, D], q_bias: [2] };
for (let l = 0; l < 2; l++) {
  shapes[`l${l}.qkv`] = [3 * D, D];
  shapes[`l${l}.o`] = [D, D];
  shapes[`l${l}.gate_up`] = [2 * inter, D];
  shapes[`l${l}.down`] = [D, inter];
}
const device = await Device.open();
const slots = Object.entries(shapes).map(([name, shape]) => {
  const size = shape.reduce((a, b) => a * b, 1);
  const init = Float32Array.from({ length: size }, (_, i) => Math.sin(i) * 0.02);
  return { name, size, value: device.upload(init), grad: device.upload(init.map((x) => x * 0.1)) };
});
const total = slots.reduce((a, s) => a + s.size, 0);

async function time(fn, iters) {
  fn();
  await device.sync();
  const samples = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    fn();
    await device.sync();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const fused = new AdamATan2(device, slots);
const fusedMs = await time(() => fused.step(slots, 1e-4), 10);

// Unfused: moments as separate buffers, each arithmetic step its own dispatch and buffer.
const moments = slots.map((s) => ({
  m: device.createBuffer(s.size * 4),
  v: device.createBuffer(s.size * 4),
}));
let t = 0;
const unfusedStep = () => {
  t += 1;
  const lr = 1e-4;
  const bc1 = 1 - 0.9 ** t;
  const sbc2 = Math.sqrt(1 - 0.95 ** t);
  const f = (x) => x.toExponential(9);
  slots.forEach((s, i) => {
    const { m, v } = moments[i];
    const tmp = [];
    const p1 = mapF32(device, `a * ${f(1 - lr * 0.1)}`, [s.value], s.size);
    const m1 = mapF32(device, `a + ${f(0.1)} * (b - a)`, [m, s.grad], s.size);
    const g2 = mapF32(device, 'a * a', [s.grad], s.size);
    const v1 = mapF32(device, `a + ${f(0.05)} * (b - a)`, [v, g2], s.size);
    const den = mapF32(device, `sqrt(a) / ${f(sbc2)}`, [v1], s.size);
    const upd = mapF32(device, 'atan2(a, b)', [m1, den], s.size);
    const p2 = mapF32(device, `a - ${f(lr / bc1)} * b`, [p1, upd], s.size);
    device.copy(p2, s.value, s.size * 4);
    device.copy(m1, m, s.size * 4);
    device.copy(v1, v, s.size * 4);
    tmp.push(p1, m1, g2, v1, den, upd, p2);
    device.submit();
    for (const b of tmp) b.destroy();
  });
};
const unfusedMs = await time(unfusedStep, 10);

const rows = [
  ['parameters', total.toLocaleString('en-US')],
  ['parameter tensors', String(slots.length)],
  ['fused AdamATan2 step (ms, median of 10)', fusedMs.toFixed(2)],
  ['unfused per-op step (ms, median of 10)', unfusedMs.toFixed(2)],
  ['speed-up (unfused / fused)', `${(unfusedMs / fusedMs).toFixed(2)}×`],
];
console.log(`adapter: ${device.adapterInfo.description || device.adapterInfo.device}`);
for (const [k, v] of rows) console.log(`${k.padEnd(44)} ${v}`);
device.destroy();
