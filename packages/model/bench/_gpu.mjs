import { createRequire } from 'node:module';
import { Device, Generator, setDefaultDevice } from '@trm/tensor';
import { resolveTrmConfig, TinyRecursiveModel } from '@trm/model';
const { globals } = createRequire(new URL('../../tensor/package.json', import.meta.url))('webgpu');
const skip = (process.env.SKIP ?? '').split(',').filter(Boolean);
const P = globals.GPUComputePassEncoder.prototype;
const setPipeline = P.setPipeline, dispatch = P.dispatchWorkgroups;
let label = '';
P.setPipeline = function (p) { label = p.label; return setPipeline.call(this, p); };
P.dispatchWorkgroups = function (...a) { if (skip.some((s) => label.startsWith(s))) return; return dispatch.apply(this, a); };
const shape = process.env.SHAPE === 'reduced' ? { seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1, expansion: 4, L_layers: 2, puzzle_emb_len: 16, halt_max_steps: 16, batch_size: 8, hidden_size: 128, num_heads: 4, H_cycles: 2, L_cycles: 2 } : { seq_len: 16, vocab_size: 6, num_puzzle_identifiers: 1001, expansion: 2, L_layers: 2, puzzle_emb_len: 1, halt_max_steps: 4, batch_size: 32, hidden_size: 64, num_heads: 2, H_cycles: 2, L_cycles: 2 };
const config = resolveTrmConfig(shape);
const device = await Device.open();
setDefaultDevice(device);
const model = new TinyRecursiveModel(config, new Generator(0));
const B = config.batch_size, S = config.seq_len;
const batch = { inputs: Int32Array.from({ length: B * S }, (_, i) => 1 + ((i * 7) % 5)), labels: Int32Array.from({ length: B * S }, (_, i) => 1 + ((i * 3) % 5)), puzzleIdentifiers: new Int32Array(B) };
let carry = model.initialCarry(B);
const times = [];
for (let i = 0; i < 10; i++) {
  const t0 = performance.now();
  const r = await model.step(carry, batch, { backward: true, lossScale: 1 / B });
  carry = r.carry; model.zeroGrad(); await device.sync();
  if (i >= 3) times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log((process.env.SKIP || 'none').padEnd(40), times[times.length >> 1].toFixed(0), 'ms');
