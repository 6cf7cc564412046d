// `pnpm bench` for @trm/tensor: our kernels against @tensorflow/tfjs-backend-webgpu and
// @jax-js/jax (webgpu backend), all on the same Dawn adapter, in one process.
//
//   pnpm install && pnpm build && pnpm --filter @trm/tensor bench
//
// Env: TRM_BENCH_SCALE — fraction of the full TRM batch (B·L = 768·97 = 74,496 rows) to run
// (default 1 on a real GPU, 2048 rows on a software adapter such as lavapipe);
// TRM_BENCH_ROUNDS — timed rounds per benchmark (median reported).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
globalThis.navigator = { gpu: create([]), userAgent: 'node' };

const here = fileURLToPath(new URL('.', import.meta.url));
let dist;
try {
  dist = await import('../dist/index.js');
} catch (cause) {
  console.error('bench: ../dist is missing; run `pnpm build` (or `pnpm exec tsup`) first.');
  throw cause;
}
const { Device, mapF32, mapKernelSource, gridFor } = dist;
// Use the package's export once it has one; until then bundle the kernel from src.
const encodeMatmul =
  dist.encodeMatmul ?? (await (await import('./build-kernels.mjs')).buildKernels()).encodeMatmul;

const device = await Device.open();
const info = device.adapterInfo;
const fallback = info.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader/i.test(info.device);
const FULL_ROWS = 768 * 97;
const scale = process.env.TRM_BENCH_SCALE
  ? Number(process.env.TRM_BENCH_SCALE)
  : fallback
    ? 2048 / FULL_ROWS
    : 1;
if (!(scale > 0 && scale <= 1)) throw new RangeError('TRM_BENCH_SCALE must be in (0, 1]');
const ROWS = Math.max(1, Math.round(FULL_ROWS * scale));
const ROUNDS = Number(process.env.TRM_BENCH_ROUNDS ?? (fallback ? 5 : 10));
const MM_ITERS = fallback ? 1 : 20;
const EW_ITERS = fallback ? 4 : 50;
const EW_N = fallback ? 1 << 22 : 1 << 26;
const DISPATCH_OPS = fallback ? 200 : 2000;
const DISPATCH_N = 256;

// Peers.
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-webgpu');
await tf.setBackend('webgpu');
await tf.ready();
const tfBackend = tf.backend();
const jax = await import('@jax-js/jax');
const jaxDevices = await jax.init();
if (!jaxDevices.includes('webgpu')) throw new Error('jax-js found no webgpu device');
jax.defaultDevice('webgpu');
const np = jax.numpy;
const peerAdapter = await navigator.gpu.requestAdapter();

function randomData(n, seed = 1) {
  let s = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

async function tfSync() {
  // What tfjs' own read() does before submitting: end the open pass, then submit.
  tfBackend.ensureCommandEncoderReady();
  tfBackend.endComputePassEncoder();
  tfBackend.submitQueue();
  await tfBackend.queue.onSubmittedWorkDone();
}

/** Matmul [m,k]×[k,n] for each library: `step(iters)` runs iters products and waits. */
function matmulImpls(m, n, k) {
  const aHost = randomData(m * k, 3);
  const bHost = randomData(k * n, 7);
  return {
    ours() {
      const a = device.upload(aHost);
      const b = device.upload(bHost);
      const out = device.createBuffer(m * n * 4);
      const args = {
        a,
        b,
        out,
        batch: 1,
        m,
        n,
        k,
        transA: false,
        transB: false,
        aBatchStride: 0,
        bBatchStride: 0,
      };
      return {
        async step(iters) {
          for (let i = 0; i < iters; i++) encodeMatmul(device, args);
          await device.sync();
        },
        dispose() {
          a.destroy();
          b.destroy();
          out.destroy();
        },
      };
    },
    tfjs() {
      const a = tf.tensor2d(aHost, [m, k]);
      const b = tf.tensor2d(bHost, [k, n]);
      return {
        async step(iters) {
          const outs = [];
          for (let i = 0; i < iters; i++) outs.push(tf.matMul(a, b));
          await tfSync();
          for (const o of outs) o.dispose();
        },
        dispose() {
          a.dispose();
          b.dispose();
        },
      };
    },
    jax() {
      const a = np.array(aHost).reshape([m, k]);
      const b = np.array(bHost).reshape([k, n]);
      return {
        async step(iters) {
          const outs = [];
          for (let i = 0; i < iters; i++) outs.push(np.matmul(a.ref, b.ref));
          await jax.blockUntilReady(outs);
          for (const o of outs) o.dispose();
        },
        dispose() {
          a.dispose();
          b.dispose();
        },
      };
    },
  };
}

/** out = a + b over n floats. */
function addImpls(n) {
  const aHost = randomData(n, 11);
  const bHost = randomData(n, 13);
  return {
    ours() {
      const a = device.upload(aHost);
      const b = device.upload(bHost);
      return {
        async step(iters) {
          const outs = [];
          for (let i = 0; i < iters; i++) outs.push(mapF32(device, 'a + b', [a, b], n));
          await device.sync();
          for (const o of outs) o.destroy();
        },
        dispose() {
          a.destroy();
          b.destroy();
        },
      };
    },
    tfjs() {
      const a = tf.tensor1d(aHost);
      const b = tf.tensor1d(bHost);
      return {
        async step(iters) {
          const outs = [];
          for (let i = 0; i < iters; i++) outs.push(tf.add(a, b));
          await tfSync();
          for (const o of outs) o.dispose();
        },
        dispose() {
          a.dispose();
          b.dispose();
        },
      };
    },
    jax() {
      const a = np.array(aHost);
      const b = np.array(bHost);
      return {
        async step(iters) {
          const outs = [];
          for (let i = 0; i < iters; i++) outs.push(np.add(a.ref, b.ref));
          await jax.blockUntilReady(outs);
          for (const o of outs) o.dispose();
        },
        dispose() {
          a.dispose();
          b.dispose();
        },
      };
    },
  };
}

/** A chain of tiny dependent adds, y = y + one, then one wait: time per op. */
function dispatchImpls(n) {
  const ones = new Float32Array(n).fill(1);
  return {
    ours() {
      const one = device.upload(ones);
      return {
        async step(iters) {
          const made = [];
          let y = one;
          for (let i = 0; i < iters; i++) {
            y = mapF32(device, 'a + b', [y, one], n);
            made.push(y);
          }
          await device.sync();
          for (const o of made) o.destroy();
        },
        dispose() {
          one.destroy();
        },
      };
    },
    tfjs() {
      const one = tf.tensor1d(ones);
      return {
        async step(iters) {
          let y = one.clone();
          for (let i = 0; i < iters; i++) {
            const next = tf.add(y, one);
            y.dispose();
            y = next;
          }
          await tfSync();
          y.dispose();
        },
        dispose() {
          one.dispose();
        },
      };
    },
    jax() {
      const one = np.array(ones);
      return {
        async step(iters) {
          let y = one.ref;
          for (let i = 0; i < iters; i++) y = np.add(y, one.ref);
          await jax.blockUntilReady(y);
          y.dispose();
        },
        dispose() {
          one.dispose();
        },
      };
    },
  };
}

/**
 * The same work with our outputs preallocated and reused (raw `Device.dispatch` of the
 * `mapF32` kernel), to show what `mapF32`'s fresh output buffer per call costs.
 */
function preallocated(impls, n, chained) {
  return {
    ...impls,
    ours() {
      const pipeline = device.pipeline(mapKernelSource('a + b', 2), 'main', 'map(a + b)');
      const grid = gridFor(n, device.limits.maxComputeWorkgroupsPerDimension);
      const a = device.upload(chained ? new Float32Array(n).fill(1) : randomData(n, 11));
      const b = chained ? a : device.upload(randomData(n, 13));
      const outs = [device.createBuffer(n * 4), device.createBuffer(n * 4)];
      const bind = (buffer) => ({ buffer, size: n * 4 });
      return {
        async step(iters) {
          for (let i = 0; i < iters; i++) {
            // Chained: y_{i+1} = y_i + 1 ping-pongs between two buffers; else out = a + b.
            const src = chained && i > 0 ? outs[(i + 1) % 2] : a;
            device.dispatch(pipeline, [bind(src), bind(b), bind(outs[i % 2])], grid);
          }
          await device.sync();
        },
        dispose() {
          a.destroy();
          if (b !== a) b.destroy();
          for (const o of outs) o.destroy();
        },
      };
    },
  };
}

/** out = a + b with vec4 loads and stores (n % 4 == 0): what mapF32 could reach. */
function vec4Add(impls, n) {
  return {
    ...impls,
    ours() {
      const code = /* wgsl */ `
@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> b: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;
const WG: u32 = 256u;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= arrayLength(&out)) { return; }
  out[i] = a[i] + b[i];
}`;
      const pipeline = device.pipeline(code, 'main', 'add-vec4');
      const grid = gridFor(n / 4, device.limits.maxComputeWorkgroupsPerDimension);
      const a = device.upload(randomData(n, 11));
      const b = device.upload(randomData(n, 13));
      const out = device.createBuffer(n * 4);
      return {
        async step(iters) {
          for (let i = 0; i < iters; i++) device.dispatch(pipeline, [a, b, out], grid);
          await device.sync();
        },
        dispose() {
          a.destroy();
          b.destroy();
          out.destroy();
        },
      };
    },
  };
}

const LIBS = ['ours', 'tfjs', 'jax'];

/**
 * Times `iters` operations per sample for each library, round-robin so that slow phases of a
 * shared machine hit every library alike; one warm-up round, then the median of `ROUNDS`.
 * Returns seconds per operation, or null where a library failed.
 */
async function measure(impls, iters) {
  const state = {};
  const times = {};
  for (const lib of LIBS) {
    times[lib] = [];
    try {
      state[lib] = impls[lib]();
      await state[lib].step(1); // compile + warm-up
    } catch (error) {
      console.error(`  ${lib} failed: ${error.message}`);
      state[lib] = undefined;
    }
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const lib of LIBS) {
      if (!state[lib]) continue;
      try {
        const t0 = performance.now();
        await state[lib].step(iters);
        times[lib].push((performance.now() - t0) / 1000 / iters);
      } catch (error) {
        console.error(`  ${lib} failed: ${error.message}`);
        state[lib] = undefined;
      }
    }
  }
  const out = {};
  for (const lib of LIBS) {
    state[lib]?.dispose();
    const t = times[lib].sort((x, y) => x - y);
    out[lib] = t.length ? t[t.length >> 1] : null;
  }
  return out;
}

const rows = [];
async function run(name, unit, higherIsBetter, impls, iters, toMetric) {
  const started = performance.now();
  const sec = await measure(impls, iters);
  const v = Object.fromEntries(LIBS.map((l) => [l, sec[l] == null ? null : toMetric(sec[l])]));
  const peers = [v.tfjs, v.jax].filter((x) => x != null);
  const best = peers.length ? (higherIsBetter ? Math.max(...peers) : Math.min(...peers)) : null;
  const ratio =
    best == null || v.ours == null ? null : higherIsBetter ? v.ours / best : best / v.ours;
  const row = {
    benchmark: name,
    unit,
    ours: v.ours,
    tfjs: v.tfjs,
    jaxjs: v.jax,
    oursVsBestPeer: ratio,
  };
  rows.push(row);
  console.log(
    `${name.padEnd(44)} ${fmt(v.ours).padStart(9)} ${fmt(v.tfjs).padStart(9)} ${fmt(v.jax).padStart(9)} ${ratio == null ? 'n/a' : `${ratio.toFixed(2)}×`}  (${((performance.now() - started) / 1000).toFixed(0)} s)`,
  );
}

function fmt(x) {
  if (x == null) return 'n/a';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

const gflops = (m, n, k) => (s) => (2 * m * n * k) / s / 1e9;
console.log(
  `adapter (ours):  ${info.description} [${info.vendor} ${info.architecture} ${info.device}]${fallback ? ' (software)' : ''}`,
);
console.log(`adapter (peers): ${peerAdapter?.info?.description ?? 'unknown'}`);
console.log(
  `TRM rows B·L = ${ROWS} (scale ${scale.toPrecision(3)} of 768·97 = ${FULL_ROWS}); ${ROUNDS} timed rounds, median`,
);
console.log(
  `${'benchmark'.padEnd(44)} ${'ours'.padStart(9)} ${'tfjs'.padStart(9)} ${'jax-js'.padStart(9)} ours/best-peer`,
);

await run(
  'matmul 1024×1024×1024 (GFLOP/s)',
  'GFLOP/s',
  true,
  matmulImpls(1024, 1024, 1024),
  MM_ITERS,
  gflops(1024, 1024, 1024),
);
for (const [k, n] of [
  [512, 1536],
  [512, 3072],
  [1536, 512],
]) {
  await run(
    `matmul TRM [${ROWS},${k}]×[${k},${n}] (GFLOP/s)`,
    'GFLOP/s',
    true,
    matmulImpls(ROWS, n, k),
    MM_ITERS,
    gflops(ROWS, n, k),
  );
}
await run(
  `elementwise add, ${EW_N} f32 (GB/s)`,
  'GB/s',
  true,
  addImpls(EW_N),
  EW_ITERS,
  (s) => (3 * EW_N * 4) / s / 1e9,
);
await run(
  `dispatch, chained add of ${DISPATCH_N} f32 (µs/op)`,
  'µs',
  false,
  dispatchImpls(DISPATCH_N),
  DISPATCH_OPS,
  (s) => s * 1e6,
);
await run(
  'elementwise add, ours into a reused buffer (GB/s)',
  'GB/s',
  true,
  preallocated(addImpls(EW_N), EW_N, false),
  EW_ITERS,
  (s) => (3 * EW_N * 4) / s / 1e9,
);
await run(
  'elementwise add, ours as a vec4 kernel (GB/s)',
  'GB/s',
  true,
  vec4Add(addImpls(EW_N), EW_N),
  EW_ITERS,
  (s) => (3 * EW_N * 4) / s / 1e9,
);
await run(
  'dispatch, ours into reused buffers (µs/op)',
  'µs',
  false,
  preallocated(dispatchImpls(DISPATCH_N), DISPATCH_N, true),
  DISPATCH_OPS,
  (s) => s * 1e6,
);

const result = {
  date: new Date().toISOString(),
  command: 'pnpm --filter @trm/tensor bench',
  adapter: info,
  peerAdapter: peerAdapter?.info?.description ?? null,
  trmRows: ROWS,
  scale,
  rounds: ROUNDS,
  note: 'ours/best-peer is a speed ratio (>1: ours is faster): metric ratio for GFLOP/s and GB/s, inverse time ratio for µs/op.',
  results: rows,
};
writeFileSync(`${here}results.json`, `${JSON.stringify(result, null, 2)}\n`);
console.log('\n| benchmark | ours | tfjs | jax-js | ours/best-peer |\n|---|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.benchmark} | ${fmt(r.ours)} | ${fmt(r.tfjs)} | ${fmt(r.jaxjs)} | ${r.oursVsBestPeer == null ? 'n/a' : `${r.oursVsBestPeer.toFixed(2)}×`} |`,
  );
}
console.log(`\nwrote ${here}results.json`);
device.destroy();
process.exit(0);
