// `pnpm bench` for @trm/tensor: our kernels against @tensorflow/tfjs-backend-webgpu and
// @jax-js/jax (webgpu backend), all on the same Dawn adapter, in one process.
//
//   pnpm install && pnpm build && pnpm --filter @trm/tensor bench
//
// Env: TRM_BENCH_SCALE — fraction of the full TRM batch (B·L = 768·97 = 74,496 rows) to run
// (default 1 on a real GPU, 2048 rows on a software adapter such as lavapipe);
// TRM_BENCH_ROUNDS — timed rounds per benchmark (median reported);
// TRM_BENCH_ONLY — comma-separated row groups to run (matmul, elementwise, dispatch; default
// all). results.json is written either way, so record a full run.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
globalThis.navigator = { gpu: create([]), userAgent: 'node' };

const here = fileURLToPath(new URL('.', import.meta.url));
// Counts compute dispatches, to check that every library really runs each op on the GPU.
let dispatchCount = 0;
const dispatchWorkgroups = GPUComputePassEncoder.prototype.dispatchWorkgroups;
GPUComputePassEncoder.prototype.dispatchWorkgroups = function (...args) {
  dispatchCount++;
  return dispatchWorkgroups.apply(this, args);
};
let dist;
try {
  dist = await (await import('./build-kernels.mjs')).buildInternals();
} catch (cause) {
  console.error('bench: could not bundle src (run `pnpm install` first).');
  throw cause;
}
const { Device, backendOf, encodeMatmul, mapF32, mapKernelSource, gridFor, add, tensor } = dist;

const device = await Device.open();
// The backend, for the rows that measure raw dispatch and the adapter's floor.
const raw = backendOf(device);
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
const GROUPS = ['matmul', 'elementwise', 'dispatch'];
const ONLY = process.env.TRM_BENCH_ONLY
  ? process.env.TRM_BENCH_ONLY.split(',').map((g) => g.trim())
  : GROUPS;
for (const g of ONLY) {
  if (!GROUPS.includes(g)) throw new RangeError(`TRM_BENCH_ONLY: unknown group "${g}"`);
}

// Peers.
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-webgpu');
await tf.setBackend('webgpu');
await tf.ready();
// tfjs runs ops on the CPU instead when every input is under 1000 elements and not yet on the
// GPU (WEBGPU_CPU_FORWARD, on by default), which would turn the dispatch benchmark's chain of
// 256-element adds into a JS loop with no GPU work at all. Every library must dispatch.
tf.env().set('WEBGPU_CPU_FORWARD', false);
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
      const a = raw.upload(aHost);
      const b = raw.upload(bHost);
      const out = raw.createBuffer(m * n * 4);
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

/** out = a + b over n floats; ours through the public Tensor API (`add`, `dispose`). */
function addImpls(n) {
  const aHost = randomData(n, 11);
  const bHost = randomData(n, 13);
  return {
    ours() {
      const a = tensor(aHost, { device });
      const b = tensor(bHost, { device });
      return {
        async step(iters) {
          const outs = [];
          for (let i = 0; i < iters; i++) outs.push(add(a, b));
          await device.sync();
          for (const o of outs) o.dispose();
        },
        dispose() {
          a.dispose();
          b.dispose();
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

/**
 * A chain of tiny dependent adds, y = y + one, then one wait: time per op. Ours through the
 * public Tensor API, freeing each previous y like the tfjs loop does.
 */
function dispatchImpls(n) {
  const ones = new Float32Array(n).fill(1);
  return {
    ours() {
      const one = tensor(ones, { device });
      return {
        async step(iters) {
          let y = one;
          for (let i = 0; i < iters; i++) {
            const next = add(y, one);
            if (y !== one) y.dispose();
            y = next;
          }
          await device.sync();
          y.dispose();
        },
        dispose() {
          one.dispose();
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

/** The same work with ours through `mapF32`, which allocates a fresh output buffer per call. */
function viaMapF32(impls, n, chained) {
  return {
    ...impls,
    ours() {
      const a = raw.upload(chained ? new Float32Array(n).fill(1) : randomData(n, 11));
      const b = chained ? a : raw.upload(randomData(n, 13));
      return {
        async step(iters) {
          const made = [];
          let y = a;
          for (let i = 0; i < iters; i++) {
            y = mapF32(device, 'a + b', [chained ? y : a, b], n);
            made.push(y);
          }
          await device.sync();
          for (const o of made) o.destroy();
        },
        dispose() {
          a.destroy();
          if (b !== a) b.destroy();
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
      const pipeline = raw.pipeline(mapKernelSource('a + b', 2), 'main', 'map(a + b)');
      const grid = gridFor(n, device.limits.maxComputeWorkgroupsPerDimension);
      const a = raw.upload(chained ? new Float32Array(n).fill(1) : randomData(n, 11));
      const b = chained ? a : raw.upload(randomData(n, 13));
      const outs = [raw.createBuffer(n * 4), raw.createBuffer(n * 4)];
      const bind = (buffer) => ({ buffer, size: n * 4 });
      return {
        async step(iters) {
          for (let i = 0; i < iters; i++) {
            // Chained: y_{i+1} = y_i + 1 ping-pongs between two buffers; else out = a + b.
            const src = chained && i > 0 ? outs[(i + 1) % 2] : a;
            raw.dispatch(pipeline, [bind(src), bind(b), bind(outs[i % 2])], grid);
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

/**
 * What the adapter itself costs per dependent dispatch: the chained add with raw WebGPU calls
 * and no library at all (two bind groups made once, ping-ponging; one compute pass, one
 * command buffer, one submit). No library can chain dispatches faster than this on the adapter.
 */
function rawFloor(impls, n) {
  return {
    ...impls,
    ours() {
      const gpu = raw.gpu;
      const pipeline = raw.pipeline(mapKernelSource('a + b', 2), 'main', 'map(a + b)');
      const [gx, gy] = gridFor(n, device.limits.maxComputeWorkgroupsPerDimension);
      const one = raw.upload(new Float32Array(n).fill(1));
      const ys = [raw.createBuffer(n * 4), raw.createBuffer(n * 4)];
      const group = (src, dst) =>
        gpu.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [src, one, dst].map((buffer, binding) => ({ binding, resource: { buffer } })),
        });
      const groups = [group(one, ys[0]), group(ys[0], ys[1]), group(ys[1], ys[0])];
      return {
        async step(iters) {
          await device.sync(); // nothing of ours pending
          const encoder = gpu.createCommandEncoder();
          const pass = encoder.beginComputePass();
          pass.setPipeline(pipeline);
          for (let i = 0; i < iters; i++) {
            pass.setBindGroup(0, groups[i === 0 ? 0 : 2 - (i % 2)]);
            pass.dispatchWorkgroups(gx, gy);
          }
          pass.end();
          gpu.queue.submit([encoder.finish()]);
          await gpu.queue.onSubmittedWorkDone();
        },
        dispose() {
          one.destroy();
          for (const y of ys) y.destroy();
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
      const pipeline = raw.pipeline(code, 'main', 'add-vec4');
      const grid = gridFor(n / 4, device.limits.maxComputeWorkgroupsPerDimension);
      const a = raw.upload(randomData(n, 11));
      const b = raw.upload(randomData(n, 13));
      const out = raw.createBuffer(n * 4);
      return {
        async step(iters) {
          for (let i = 0; i < iters; i++) raw.dispatch(pipeline, [a, b, out], grid);
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
 * shared machine hit every library alike; one compile step and one untimed warm-up round,
 * then the median of `ROUNDS`.
 * Returns seconds per operation (null where a library failed), and the compute dispatches
 * per operation each library issued in its warm-up round.
 */
async function measure(impls, iters) {
  const state = {};
  const perOp = {};
  const times = {};
  for (const lib of LIBS) {
    times[lib] = [];
    try {
      state[lib] = impls[lib]();
      await state[lib].step(1); // compile
      const before = dispatchCount;
      await state[lib].step(iters); // warm-up round (JIT, pools, caches), untimed
      perOp[lib] = (dispatchCount - before) / iters;
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
  return { seconds: out, dispatchesPerOp: perOp };
}

const rows = [];
async function run(name, unit, higherIsBetter, impls, iters, toMetric) {
  const started = performance.now();
  const { seconds: sec, dispatchesPerOp } = await measure(impls, iters);
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
    `${name.padEnd(44)} ${fmt(v.ours).padStart(9)} ${fmt(v.tfjs).padStart(9)} ${fmt(v.jax).padStart(9)} ${ratio == null ? 'n/a' : `${ratio.toFixed(2)}×`}  (${((performance.now() - started) / 1000).toFixed(0)} s; GPU dispatches/op ${LIBS.map((l) => fmt(dispatchesPerOp[l] ?? null)).join(' / ')})`,
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

if (ONLY.includes('matmul')) {
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
}
if (ONLY.includes('elementwise')) {
  const gbps = (s) => (3 * EW_N * 4) / s / 1e9;
  for (const [label, impls] of [
    [`elementwise add, ${EW_N} f32 (GB/s)`, addImpls(EW_N)],
    ['elementwise add, ours via mapF32 (GB/s)', viaMapF32(addImpls(EW_N), EW_N, false)],
    [
      'elementwise add, ours raw dispatch into a reused buffer (GB/s)',
      preallocated(addImpls(EW_N), EW_N, false),
    ],
    ['elementwise add, ours raw vec4 kernel (GB/s)', vec4Add(addImpls(EW_N), EW_N)],
  ]) {
    await run(label, 'GB/s', true, impls, EW_ITERS, gbps);
  }
}
if (ONLY.includes('dispatch')) {
  const chain = () => dispatchImpls(DISPATCH_N);
  for (const [label, impls] of [
    [`dispatch, chained add of ${DISPATCH_N} f32 (µs/op)`, chain()],
    ['dispatch, ours via mapF32 (µs/op)', viaMapF32(chain(), DISPATCH_N, true)],
    ['dispatch, raw WebGPU floor (µs/op)', rawFloor(chain(), DISPATCH_N)],
    [
      'dispatch, ours raw dispatch into reused buffers (µs/op)',
      preallocated(chain(), DISPATCH_N, true),
    ],
  ]) {
    await run(label, 'µs', false, impls, DISPATCH_OPS, (s) => s * 1e6);
  }
}

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
