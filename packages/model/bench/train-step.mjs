// One full ACT training step (forward, loss, backward, AdamATan2 and sign-SGD) at two shapes,
// of this checkout and, with --base DIR, of another checkout of the repository (built), each in
// its own process, measured in the same run:
//   pnpm build && node packages/model/bench/train-step.mjs [--base ../trm-old] [--steps 6]
//
// Per step: compute dispatches and buffer copies (counted on the WebGPU pass and command
// encoders, so both checkouts are counted the same way), wall time, and host time (the same
// step with every dispatch skipped: the JavaScript and WebGPU encoding work alone). Writes
// train-step.json next to this file.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

/** The two shapes: the default preset's model, and the reduced paper shape of act-step.mjs. */
const SHAPES = {
  tiny: {
    label: 'tiny-sudoku preset (B 32, seq 16+1, D 64, 2 heads, H 2 / L 2)',
    config: {
      batch_size: 32,
      seq_len: 16,
      vocab_size: 6,
      num_puzzle_identifiers: 1001,
      puzzle_emb_len: 1,
      hidden_size: 64,
      num_heads: 2,
      expansion: 2,
      L_layers: 2,
      H_cycles: 2,
      L_cycles: 2,
      halt_max_steps: 4,
    },
  },
  reduced: {
    label: 'model bench (B 8, seq 81+16, D 128, 4 heads, H 2 / L 2)',
    config: {
      batch_size: 8,
      seq_len: 81,
      vocab_size: 11,
      num_puzzle_identifiers: 1,
      puzzle_emb_len: 16,
      hidden_size: 128,
      num_heads: 4,
      expansion: 4,
      L_layers: 2,
      H_cycles: 2,
      L_cycles: 2,
      halt_max_steps: 16,
    },
  },
};

if (args.includes('--worker')) {
  await worker(
    flag('--root'),
    flag('--shape'),
    Number(flag('--steps', '6')),
    args.includes('--skip'),
  );
} else {
  await main();
}

async function main() {
  const steps = flag('--steps', '6');
  const base = flag('--base');
  const roots = [...(base ? [['before', resolve(base)]] : []), ['after', repo]];
  const results = {};
  for (const shape of Object.keys(SHAPES)) {
    results[shape] = {};
    for (const [name, root] of roots) {
      const run = (skip) =>
        JSON.parse(
          execFileSync(
            process.execPath,
            [
              fileURLToPath(import.meta.url),
              '--worker',
              '--root',
              root,
              '--shape',
              shape,
              '--steps',
              steps,
              ...(skip ? ['--skip'] : []),
            ],
            { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
          ),
        );
      const full = run(false);
      const host = run(true);
      results[shape][name] = { ...full, hostMs: host.msPerStep, commit: commitOf(root) };
      console.error(`${shape} ${name}: ${JSON.stringify(results[shape][name])}`);
    }
  }
  const table = [];
  for (const [shape, byRoot] of Object.entries(results)) {
    const a = byRoot.after;
    const b = byRoot.before;
    const ratio = (x, y) => (b && y ? `${(x / y).toFixed(2)}×` : '—');
    table.push(`${SHAPES[shape].label}`);
    table.push(
      `  measure                      ${b ? 'before'.padStart(10) : ''}${'after'.padStart(10)}  after/before`,
    );
    for (const [name, key, digits] of [
      ['dispatches per step', 'dispatches', 0],
      ['buffer copies per step', 'copies', 0],
      ['wall ms per step', 'msPerStep', 0],
      ['host ms per step', 'hostMs', 1],
      ['steps per second', 'stepsPerSecond', 2],
      ['GPU memory peak (MiB)', 'peakMiB', 1],
      ['live bytes growth over the steps', 'liveBytesGrowth', 0],
    ]) {
      const fmt = (v) => v.toFixed(digits).padStart(10);
      table.push(
        `  ${name.padEnd(28)} ${b ? fmt(b[key]) : ''}${fmt(a[key])}  ${ratio(a[key], b?.[key])}`,
      );
    }
  }
  console.log(table.join('\n'));
  const adapter = results.tiny.after.adapter;
  writeFileSync(
    join(here, 'train-step.json'),
    `${JSON.stringify({ date: new Date().toISOString().slice(0, 10), adapter, command: `node packages/model/bench/train-step.mjs${base ? ' --base <checkout>' : ''} --steps ${steps}`, results }, null, 2)}\n`,
  );
}

function commitOf(root) {
  try {
    return execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return null;
  }
}

async function worker(root, shapeName, steps, skip) {
  const load = (pkg) => import(pathToFileURL(join(root, `packages/${pkg}/dist/index.js`)).href);
  const T = await load('tensor');
  const M = await load('model');
  const O = await load('optim');
  // Count (or skip) commands where both checkouts issue them: on the WebGPU encoders.
  const { globals } = createRequire(join(root, 'packages/tensor/package.json'))('webgpu');
  let dispatches = 0;
  let copies = 0;
  const pass = globals.GPUComputePassEncoder.prototype;
  const dispatch = pass.dispatchWorkgroups;
  pass.dispatchWorkgroups = function (...a) {
    dispatches++;
    if (!skip) dispatch.apply(this, a);
  };
  const enc = globals.GPUCommandEncoder.prototype;
  const copy = enc.copyBufferToBuffer;
  enc.copyBufferToBuffer = function (...a) {
    copies++;
    return copy.apply(this, a);
  };

  const device = await T.Device.open();
  T.setDefaultDevice(device);
  const config = M.resolveTrmConfig(SHAPES[shapeName].config);
  const model = new M.TinyRecursiveModel(config, new T.Generator(0));
  const B = config.batch_size;
  const S = config.seq_len;
  const V = config.vocab_size;
  const batch = {
    inputs: Int32Array.from({ length: B * S }, (_, i) => 1 + ((i * 7) % (V - 1))),
    labels: Int32Array.from({ length: B * S }, (_, i) => 1 + ((i * 3) % (V - 1))),
    puzzleIdentifiers: Int32Array.from({ length: B }, (_, i) => i % config.num_puzzle_identifiers),
  };
  const params = model.namedParameters();
  const emb = model.inner.puzzleEmb;
  // The optimiser API changed with the tensor-core rework: raw buffer slots before, tensors after.
  const slotApi = typeof T.Device.prototype.dispatch === 'function';
  const slots = () =>
    params.map(([name, p]) => ({
      name,
      size: p.size,
      value: p.buffer,
      grad: p.grad?.buffer ?? null,
    }));
  const adam = slotApi ? new O.AdamATan2(device, slots()) : new O.AdamATan2(params);
  const sign = emb
    ? slotApi
      ? new O.SparseSignSGD(device)
      : new O.SparseSignSGD(emb.weights)
    : null;
  let carry = model.initialCarry(B);
  const trainStep = async () => {
    const r = await model.step(carry, batch, { backward: true, lossScale: 1 / B });
    carry = r.carry;
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
  for (let i = 0; i < 2; i++) await trainStep(); // compile kernels, fill the pool
  dispatches = 0;
  copies = 0;
  const memoryBefore = T.memoryStats(device);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await trainStep();
  const ms = (performance.now() - t0) / steps;
  const memoryAfter = T.memoryStats(device);
  const info = device.adapterInfo;
  console.log(
    JSON.stringify({
      adapter: info.description || info.device,
      dispatches: dispatches / steps,
      copies: copies / steps,
      msPerStep: ms,
      stepsPerSecond: 1000 / ms,
      // Over the timed steps: what a long run's memory does (0 and 0: flat).
      liveBytesGrowth: memoryAfter.liveBytes - memoryBefore.liveBytes,
      pooledBytesGrowth: memoryAfter.pooledBytes - memoryBefore.pooledBytes,
      peakMiB: memoryAfter.peakBytes / 2 ** 20,
    }),
  );
  device.destroy();
}
