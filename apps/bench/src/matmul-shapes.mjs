// Kernel time of the matmuls of one SwiGLU MLP step at the tiny-sudoku shape (batch 32,
// hidden 64, 17 positions): the TRM-MLP token mixer's 17-wide products beside the channel
// MLP's, forward and both gradients, by timestamp queries.
//   node src/matmul-shapes.mjs [<checkout root>]   (default: this checkout's built packages)
// Run it for two checkouts alternately to compare them in one run; the machine's load moves
// the times, so take the minimum over several runs.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.argv[2];
const T = await (root
  ? import(pathToFileURL(join(root, 'packages/tensor/dist/index.js')).href)
  : import('@trm/tensor'));
// Dawn rounds timestamps to 100 µs by default (a browser's fingerprinting guard).
const device = await T.Device.open({ disableToggles: ['timestamp_quantization'] });
T.setDefaultDevice(device);
const generator = new T.Generator(0);
const reps = Number(process.env.REPS ?? 8);
// [label, A's shape, B's shape, options]: x·Wᵀ, dY·W and dYᵀ·X of gate/up and down.
const cases = [
  ['MLP-T gate/up  [2048,17]·[512,17]ᵀ', [2048, 17], [512, 17], { transB: true }],
  ['MLP-T gate/up dX [2048,512]·[512,17]', [2048, 512], [512, 17], {}],
  ['MLP-T gate/up dW [2048,512]ᵀ·[2048,17]', [2048, 512], [2048, 17], { transA: true }],
  ['MLP-T down  [2048,256]·[17,256]ᵀ', [2048, 256], [17, 256], { transB: true }],
  ['MLP-T down dX [2048,17]·[17,256]', [2048, 17], [17, 256], {}],
  ['MLP-T down dW [2048,17]ᵀ·[2048,256]', [2048, 17], [2048, 256], { transA: true }],
  ['MLP gate/up  [544,64]·[512,64]ᵀ', [544, 64], [512, 64], { transB: true }],
  ['MLP gate/up dX [544,512]·[512,64]', [544, 512], [512, 64], {}],
  ['MLP gate/up dW [544,512]ᵀ·[544,64]', [544, 512], [544, 64], { transA: true }],
  ['MLP down  [544,256]·[64,256]ᵀ', [544, 256], [64, 256], { transB: true }],
  ['MLP down dX [544,64]·[64,256]', [544, 64], [64, 256], {}],
  ['MLP down dW [544,64]ᵀ·[544,256]', [544, 64], [544, 256], { transA: true }],
];
let total = 0;
for (const [label, aShape, bShape, options] of cases) {
  const a = T.randn(generator, aShape);
  const b = T.randn(generator, bShape);
  T.matmul(a, b, options).dispose(); // compiles the kernel, outside the timing
  await device.sync();
  device.startGpuTimer();
  for (let i = 0; i < reps; i++) T.matmul(a, b, options).dispose();
  await device.sync();
  const ms = (await device.stopGpuTimer()).ms / reps;
  total += ms;
  console.log(`${label.padEnd(42)} ${ms.toFixed(2)} ms`);
  a.dispose();
  b.dispose();
}
console.log(`${'all twelve'.padEnd(42)} ${total.toFixed(2)} ms`);
device.destroy();
process.exit(0);
