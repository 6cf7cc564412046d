/**
 * Matmul autotuning: which tiling (and whether subgroup operations) runs fastest on this
 * adapter, measured once and remembered per adapter. The hand-picked defaults
 * (`defaultMatmulConfig`) are a guess per adapter class; a GPU whose best tile differs gets it
 * from {@link tuneMatmul}.
 */
import { backendOf, type Device } from '../device/device.js';
import {
  CPU_MATMUL_CONFIG,
  defaultMatmulConfig,
  encodeMatmul,
  GPU_MATMUL_CONFIG,
  type MatmulConfig,
  subgroupsOf8,
} from './matmul.js';
import {
  adapterKey,
  type MatmulChoice,
  type MatmulLayout,
  type MatmulTuning,
  useMatmulTuning,
} from './matmul-tuning.js';

/**
 * The candidates for this adapter (or for `kind`, to test them anywhere): around the CPU
 * tiling on a software adapter; on a GPU the shared-memory tilings (several tile sizes) plus the
 * register tiling with and without subgroup broadcasts. Candidates with subgroups appear only
 * where the adapter has subgroups of at least 8 lanes.
 */
export function matmulCandidates(
  device: Device,
  kind: 'cpu' | 'gpu' = defaultMatmulConfig(device) === CPU_MATMUL_CONFIG ? 'cpu' : 'gpu',
): MatmulChoice[] {
  const cpu = kind === 'cpu';
  const sg = subgroupsOf8(device);
  const configs: MatmulConfig[] = cpu
    ? [
        CPU_MATMUL_CONFIG,
        { kind: 'register', threads: 16, rows: 8, cols: 2 },
        { kind: 'register', threads: 8, rows: 16, cols: 2 },
      ]
    : [
        GPU_MATMUL_CONFIG,
        { kind: 'shared', threads: 16, rows: 8, cols: 8, bk: 8 },
        { kind: 'shared', threads: 16, rows: 8, cols: 4, bk: 16 },
        { kind: 'shared', threads: 8, rows: 8, cols: 8, bk: 8 },
        CPU_MATMUL_CONFIG,
      ];
  const out: MatmulChoice[] = [];
  for (const config of configs) {
    if (sg && config.kind === 'register') out.push({ config, subgroups: true });
    out.push({ config, subgroups: false });
  }
  return out;
}

/** Options of {@link tuneMatmul}. */
export interface TuneOptions {
  /** Candidates to time (default {@link matmulCandidates}). */
  candidates?: readonly MatmulChoice[];
  /** `[m, n, k]` to time (default: 2048×2048×512 on a GPU, 128×128×128 on a CPU adapter). */
  shape?: [number, number, number];
  /** Timed runs per candidate (their median counts), after one checked run (default 5; 3 on a CPU adapter). */
  repeats?: number;
  /** Layouts to tune (default all three). */
  layouts?: readonly MatmulLayout[];
}

/**
 * Times every candidate on each layout and puts the fastest in force for this adapter (every
 * matmul without an explicit tiling uses it from then on). A candidate that does not compile on
 * this adapter, fails, or computes a wrong result (checked on sampled entries against the
 * host) is skipped. Kernel time comes from timestamp queries where the device has them, wall
 * time otherwise. Returns the tuning, to cache with {@link useMatmulTuning} next time.
 */
export async function tuneMatmul(device: Device, options: TuneOptions = {}): Promise<MatmulTuning> {
  const cpu = defaultMatmulConfig(device) === CPU_MATMUL_CONFIG;
  const [m, n, k] = options.shape ?? (cpu ? [128, 128, 128] : [2048, 2048, 512]);
  const repeats = options.repeats ?? (cpu ? 3 : 5);
  const candidates = options.candidates ?? matmulCandidates(device);
  const backend = backendOf(device);
  const a = randomValues(m * k, 1);
  const b = randomValues(k * n, 2);
  const aBuf = backend.upload(a);
  const bBuf = backend.upload(b);
  const out = backend.createBuffer(m * n * 4, 'tune-out');
  const layouts = {} as MatmulTuning['layouts'];
  try {
    for (const layout of options.layouts ?? (['NT', 'NN', 'TN'] as const)) {
      const transA = layout === 'TN';
      const transB = layout === 'NT';
      const args = {
        a: aBuf,
        b: bBuf,
        out,
        batch: 1,
        m,
        n,
        k,
        transA,
        transB,
        aBatchStride: 0,
        bBatchStride: 0,
      };
      const timings: MatmulTuning['layouts'][MatmulLayout]['timings'] = [];
      for (const choice of candidates) {
        const opts = { config: choice.config, subgroups: choice.subgroups };
        try {
          // Compile errors surface here, not as a lost batch later.
          await device.sync();
          encodeMatmul(device, args, opts);
          const got = await backend.read(out, Float32Array);
          const wrong = firstWrong(got, a, b, m, n, k, transA, transB);
          if (wrong) throw new Error(wrong);
          const ms = await timeRuns(device, repeats, () => encodeMatmul(device, args, opts));
          timings.push({ choice, ms });
        } catch (e) {
          timings.push({ choice, ms: null, error: (e as Error).message.split('\n')[0] });
        }
      }
      const ok = timings.filter((t) => t.ms !== null) as { choice: MatmulChoice; ms: number }[];
      const best = ok.length > 0 ? ok.reduce((x, y) => (y.ms < x.ms ? y : x)).choice : undefined;
      layouts[layout] = {
        best: best ?? { config: defaultMatmulConfig(device), subgroups: true },
        timings,
      };
    }
  } finally {
    for (const buf of [aBuf, bBuf, out]) buf.destroy();
  }
  const tuning: MatmulTuning = { adapter: adapterKey(device), shape: [m, n, k], layouts };
  useMatmulTuning(device, tuning);
  return tuning;
}

/**
 * Milliseconds per run of `encode`: the median of `repeats` runs timed one by one (GPU time by
 * timestamp queries where available, wall time otherwise), so that one run slowed by other
 * work on the machine does not decide.
 */
async function timeRuns(device: Device, repeats: number, encode: () => void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    await device.sync();
    const timed = device.startGpuTimer();
    const t0 = performance.now();
    encode();
    await device.sync();
    const wall = performance.now() - t0;
    const gpu = timed ? await device.stopGpuTimer() : null;
    times.push(gpu && gpu.passes > 0 ? gpu.ms : wall);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

/** Deterministic values in [-1, 1). */
function randomValues(n: number, seed: number): Float32Array {
  let s = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/**
 * A message for the first of 64 sampled output entries (corners included) that differs from
 * the host's f64 product by more than f32 round-off; undefined when all agree.
 */
function firstWrong(
  got: Float32Array,
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
): string | undefined {
  for (let s = 0; s < 64; s++) {
    const i = s === 0 ? 0 : s === 1 ? m - 1 : (s * 7919) % m;
    const j = s === 0 ? 0 : s === 1 ? n - 1 : (s * 104_729) % n;
    let ref = 0;
    let scale = 0;
    for (let p = 0; p < k; p++) {
      const av = a[transA ? p * m + i : i * k + p]!;
      const bv = b[transB ? j * k + p : p * n + j]!;
      ref += av * bv;
      scale += Math.abs(av * bv);
    }
    const value = got[i * n + j]!;
    if (!(Math.abs(value - ref) <= 1e-5 * Math.sqrt(k) * scale + 1e-6)) {
      return `wrong result at [${i}, ${j}]: ${value}, expected ${ref}`;
    }
  }
  return undefined;
}
