// AdamATan2 step time for the 7M-parameter TRM attention model's tensors: the fused kernel of
// @trm/optim against an unfused baseline, the same update written in @trm/tensor ops (one
// elementwise kernel per arithmetic step, as a tensor library without fusion runs it),
// measured in the same run.
//   pnpm --filter @trm/optim build && pnpm --filter @trm/optim bench
import { Device, noGrad, setDefaultDevice, tensor, tidy, zeros } from '@trm/tensor';
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
setDefaultDevice(device);
const params = Object.entries(shapes).map(([name, shape]) => {
  const size = shape.reduce((a, b) => a * b, 1);
  const init = Float32Array.from({ length: size }, (_, i) => Math.sin(i) * 0.02);
  const p = tensor(init, { shape }).keep().requireGrad();
  p.grad = tensor(
    init.map((x) => x * 0.1),
    { shape },
  );
  return [name, p];
});
const total = params.reduce((a, [, p]) => a + p.size, 0);

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

const fused = new AdamATan2(params);
const fusedMs = await time(() => fused.step(1e-4), 10);

// Unfused: the same update in tensor ops, each arithmetic step its own kernel and tensor.
const moments = params.map(([, p]) => ({ m: zeros(p.shape).keep(), v: zeros(p.shape).keep() }));
let t = 0;
const unfusedStep = () =>
  noGrad(() => {
    t += 1;
    const lr = 1e-4;
    const bc1 = 1 - 0.9 ** t;
    const sbc2 = Math.sqrt(1 - 0.95 ** t);
    params.forEach(([, p], i) => {
      tidy(() => {
        const { m, v } = moments[i];
        const g = p.grad;
        const m1 = m.add(g.sub(m).mul(0.1));
        const v1 = v.add(g.mul(g).sub(v).mul(0.05));
        const upd = m1.atan2(v1.sqrt().div(sbc2));
        const p2 = p.mul(1 - lr * 0.1).sub(upd.mul(lr / bc1));
        p.assign(p2);
        m.assign(m1);
        v.assign(v1);
      });
    });
  });
const unfusedMs = await time(unfusedStep, 10);

const rows = [
  ['parameters', total.toLocaleString('en-US')],
  ['parameter tensors', String(params.length)],
  ['fused AdamATan2 step (ms, median of 10)', fusedMs.toFixed(2)],
  ['unfused per-op step (ms, median of 10)', unfusedMs.toFixed(2)],
  ['speed-up (unfused / fused)', `${(unfusedMs / fusedMs).toFixed(2)}×`],
];
console.log(`adapter: ${device.adapterInfo.description || device.adapterInfo.device}`);
for (const [k, v] of rows) console.log(`${k.padEnd(44)} ${v}`);
device.destroy();
