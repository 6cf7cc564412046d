// One ACT training step (forward, loss, backward) of @trm/model at a reduced paper shape:
// tokens/s and GPU memory peak, and the same step of the PyTorch reference semantics on the
// CPU, measured in the same run when /usr/bin/python3 has torch (skipped otherwise).
//   pnpm --filter @trm/model build && pnpm --filter @trm/model bench
// TRM_BENCH_SCALE=paper runs the paper's Sudoku shape (D 512, 8 heads, H_cycles 3, L_cycles 6).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Device, Generator, memoryStats, setDefaultDevice } from '@trm/tensor';
import { resolveTrmConfig, TinyRecursiveModel } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const paper = process.env.TRM_BENCH_SCALE === 'paper';
const shape = paper
  ? { batch_size: 64, hidden_size: 512, num_heads: 8, H_cycles: 3, L_cycles: 6 }
  : { batch_size: 8, hidden_size: 128, num_heads: 4, H_cycles: 2, L_cycles: 2 };
const common = {
  seq_len: 81,
  vocab_size: 11,
  num_puzzle_identifiers: 1,
  expansion: 4,
  L_layers: 2,
  puzzle_emb_len: 16,
  halt_max_steps: 16,
};
const config = resolveTrmConfig({ ...common, ...shape });

const device = await Device.open();
setDefaultDevice(device);
const model = new TinyRecursiveModel(config, new Generator(0));
const B = config.batch_size;
const S = config.seq_len;
const batch = {
  inputs: Int32Array.from({ length: B * S }, (_, i) => 1 + ((i * 7) % 10)),
  labels: Int32Array.from({ length: B * S }, (_, i) => 1 + ((i * 3) % 10)),
  puzzleIdentifiers: new Int32Array(B),
};
const times = [];
let peak = 0;
for (let i = 0; i < 4; i++) {
  const before = memoryStats(device).liveBytes;
  const t0 = performance.now();
  const r = await model.step(model.initialCarry(B), batch, { backward: true, lossScale: 1 / B });
  await device.sync();
  times.push(performance.now() - t0);
  peak = Math.max(peak, memoryStats(device).peakBytes - before);
  TinyRecursiveModel.disposeCarry(r.carry);
  model.zeroGrad();
}
const ms = times.slice(1).sort((a, b) => a - b)[1];
const tokens = B * (S + config.puzzle_emb_len);

let torch = null;
try {
  execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  const cfg = { ...config, loss_type: config.loss_type, halt_exploration_prob: 0 };
  torch = JSON.parse(
    execFileSync('/usr/bin/python3', [join(here, 'act_step_torch.py'), JSON.stringify(cfg)], {
      encoding: 'utf8',
    }),
  );
} catch {
  torch = null;
}

const shapeText = `B ${B}, seq ${S}+${config.puzzle_emb_len}, D ${config.hidden_size}, ${config.num_heads} heads, L_layers 2, H_cycles ${config.H_cycles}, L_cycles ${config.L_cycles}`;
const rows = [
  ['shape', shapeText],
  ['parameters', model.parameterCount().toLocaleString('en-US')],
  ['ours: ms per ACT step (median of 3)', ms.toFixed(0)],
  ['ours: tokens/s', (tokens / (ms / 1000)).toFixed(0)],
  ['ours: GPU memory peak (MiB)', (peak / 2 ** 20).toFixed(1)],
  [
    'PyTorch CPU: ms per ACT step',
    torch
      ? `${torch.ms.toFixed(0)} (torch ${torch.torch}, ${torch.threads} threads)`
      : 'skipped (no /usr/bin/python3 with torch)',
  ],
  ['PyTorch CPU: tokens/s', torch ? (tokens / (torch.ms / 1000)).toFixed(0) : '—'],
  ['ours / PyTorch CPU (speed)', torch ? `${(torch.ms / ms).toFixed(2)}×` : '—'],
];
console.log(`adapter: ${device.adapterInfo.description || device.adapterInfo.device}`);
for (const [k, v] of rows) console.log(`${k.padEnd(40)} ${v}`);
writeFileSync(
  join(here, 'results.json'),
  `${JSON.stringify({ date: new Date().toISOString().slice(0, 10), adapter: device.adapterInfo.description, command: 'pnpm --filter @trm/model bench', results: rows.map(([measure, value]) => ({ measure, value })) }, null, 2)}\n`,
);
device.destroy();
