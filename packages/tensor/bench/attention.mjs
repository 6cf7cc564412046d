// `pnpm bench:attention` for @trm/tensor: forward + backward time and peak tensor memory of the
// fused `scaledDotProductAttention` against the unfused composition of existing ops (narrow,
// rotate-half rotary, permute, matmul, softmax) that @trm/nn's Attention used before, with
// rotary tables, at B 1, H 8 and sequence lengths up to ARC's 916.
//
//   pnpm build && pnpm --filter @trm/tensor bench:attention
//
// Env: TRM_BENCH_ROUNDS — timed rounds per row (median reported; default 3);
// TRM_BENCH_HEAD_DIM — head dim (default 64); TRM_BENCH_LENGTHS — comma-separated L values.
//
// Each method runs on its own device, lengths in ascending order, so that the pool's peak of
// live tensor bytes after a length is the peak of that length; the table shows it minus the
// bytes live before (the inputs). Bytes are the pool's size classes (powers of two below 64 MiB).
let dist;
try {
  dist = await import('../dist/index.js');
} catch (cause) {
  console.error('bench: ../dist is missing; run `pnpm build` (or `pnpm exec tsup`) first.');
  throw cause;
}
const { Device, Generator, concat, memoryStats, randn, scaledDotProductAttention, tensor, tidy } =
  dist;

const B = 1;
const H = 8;
const d = Number(process.env.TRM_BENCH_HEAD_DIM ?? 64);
const LENGTHS = (process.env.TRM_BENCH_LENGTHS ?? '97,229,458,916').split(',').map(Number);
const ROUNDS = Number(process.env.TRM_BENCH_ROUNDS ?? 3);

/** Rotary tables [L, d] as @trm/nn's RotaryEmbedding builds them (θ = 10000). */
function rotaryTables(L, device) {
  const cos = new Float32Array(L * d);
  const sin = new Float32Array(L * d);
  for (let i = 0; i < d / 2; i++) {
    const invFreq = Math.fround(1 / 10000 ** ((2 * i) / d));
    for (let p = 0; p < L; p++) {
      const angle = Math.fround(p * invFreq);
      for (const j of [i, i + d / 2]) {
        cos[p * d + j] = Math.cos(angle);
        sin[p * d + j] = Math.sin(angle);
      }
    }
  }
  return {
    cos: tensor(cos, { shape: [L, d], device }).keep(),
    sin: tensor(sin, { shape: [L, d], device }).keep(),
  };
}

function rotate(x, { cos, sin }) {
  const L = x.shape[1];
  const half = d / 2;
  const rotated = concat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
  return x.mul(cos.narrow(0, 0, L).unsqueeze(1)).add(rotated.mul(sin.narrow(0, 0, L).unsqueeze(1)));
}

const METHODS = {
  fused: (qkv, rotary) => scaledDotProductAttention(qkv, { numHeads: H, rotary }),
  unfused: (qkv, rotary) => {
    const q = rotate(qkv.narrow(2, 0, H), rotary).permute(0, 2, 1, 3);
    const k = rotate(qkv.narrow(2, H, H), rotary).permute(0, 2, 1, 3);
    const v = qkv.narrow(2, 2 * H, H).permute(0, 2, 1, 3);
    const scores = q.matmul(k, { transB: true }).mul(1 / Math.sqrt(d));
    return scores.softmax(-1).matmul(v).permute(0, 2, 1, 3);
  },
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const MiB = (bytes) => (bytes / 2 ** 20).toFixed(2);

const results = {};
for (const [name, attend] of Object.entries(METHODS)) {
  const device = await Device.open();
  results[name] = {};
  for (const L of LENGTHS) {
    const gen = new Generator(L);
    const qkv = randn(gen, [B, L, 3 * H, d], { device })
      .requireGrad()
      .keep();
    const upstream = randn(gen, [B, L, H, d], { device }).keep();
    const rotary = rotaryTables(L, device);
    const step = async () => {
      tidy(() => attend(qkv, rotary).backward(upstream));
      await qkv.grad.data(); // waits for the GPU
      qkv.grad = null;
    };
    await step(); // compiles the kernels
    const liveBefore = memoryStats(device).liveBytes;
    const times = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      await step();
      times.push(performance.now() - t0);
    }
    results[name][L] = { ms: median(times), peak: memoryStats(device).peakBytes - liveBefore };
    for (const t of [qkv, upstream, rotary.cos, rotary.sin]) t.dispose();
    console.error(`${name} L=${L}: ${results[name][L].ms.toFixed(0)} ms`);
  }
  device.destroy();
}

const probe = await Device.open();
console.log(`attention forward + backward, B ${B}, H ${H}, d ${d}, rotary; median of ${ROUNDS}`);
console.log(`adapter: ${probe.adapterInfo.description}`);
probe.destroy();
console.log('');
console.log(
  '| L | fused ms | unfused ms | speed-up | fused peak MiB | unfused peak MiB | memory ratio |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const L of LENGTHS) {
  const f = results.fused[L];
  const u = results.unfused[L];
  console.log(
    `| ${L} | ${f.ms.toFixed(0)} | ${u.ms.toFixed(0)} | ${(u.ms / f.ms).toFixed(2)}× | ${MiB(f.peak)} | ${MiB(u.peak)} | ${(u.peak / f.peak).toFixed(1)}× |`,
  );
}
const [first, last] = [LENGTHS[0], LENGTHS[LENGTHS.length - 1]];
const growth = (m) => (results[m][last].peak / results[m][first].peak).toFixed(1);
console.log('');
console.log(
  `L ${first} → ${last} (×${(last / first).toFixed(1)}; ×${((last / first) ** 2).toFixed(0)} squared): fused peak ×${growth('fused')}, unfused peak ×${growth('unfused')}`,
);
