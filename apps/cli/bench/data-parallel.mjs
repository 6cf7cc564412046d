// Data-parallel benchmark: the same training run (same global batch, same steps) on 1, 2 and
// 4 devices, reporting the median optimiser-step time and the gradient all-reduce time, each
// as a ratio to one device. Run with `pnpm --filter @trm/cli bench` after `pnpm build`.
// TRM_BENCH_DEVICES=1,2,4,8 changes the device counts; TRM_BENCH_GBS the global batch.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli.js');
const counts = (process.env.TRM_BENCH_DEVICES ?? '1,2,4').split(',').map(Number);
const gbs = Number(process.env.TRM_BENCH_GBS ?? 32);
const stepsPerRun = 12;
const warmupSteps = 3;
const work = mkdtempSync(join(tmpdir(), 'trm-dp-bench-'));
const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };

function trm(args) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, env, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error(`trm ${args.join(' ')} exited with ${r.status}`);
  }
  return r;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  trm([
    'generate',
    'sudoku',
    '--size',
    '4',
    '--count',
    String(stepsPerRun * gbs),
    '--test-count',
    String(gbs),
    '--seed',
    '1',
    '--output',
    'csv',
  ]);
  trm(['build-dataset', 'sudoku', '--source', 'csv', '--output-dir', 'data']);
  const rows = [];
  let adapter = '';
  let params = '';
  for (const n of counts) {
    const runDir = join(work, `run-${n}`);
    const r = trm([
      'train',
      '--preset',
      'tiny-sudoku',
      '--devices',
      String(n),
      'data_paths=[data]',
      `global_batch_size=${gbs}`,
      'epochs=1',
      'eval_interval=1',
      'evaluators=[]',
      `checkpoint_path=${runDir}`,
    ]);
    adapter ||= /evaluation interval\(s\) on (.+)\n/.exec(r.stderr)?.[1]?.trim() ?? '';
    params ||= /([\d,]+) parameters/.exec(r.stderr)?.[1] ?? '';
    const records = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((x) => 'train/lm_loss' in x);
    const times = records.map((x) => Date.parse(x.time));
    const stepMs = median(times.slice(warmupSteps + 1).map((t, i) => t - times[warmupSteps + i]));
    const reduce = records.slice(warmupSteps).map((x) => x['train/allreduce_ms'] ?? 0);
    rows.push({ devices: n, stepMs, allReduceMs: median(reduce) });
    console.log(
      `${n} device(s): ${stepMs.toFixed(0)} ms/step, all-reduce ${median(reduce).toFixed(1)} ms`,
    );
  }
  const base = rows.find((r) => r.devices === 1) ?? rows[0];
  const results = rows.map((r) => ({
    devices: r.devices,
    'ms per step (median)': Math.round(r.stepMs),
    'speed vs 1 device': Number((base.stepMs / r.stepMs).toFixed(2)),
    'all-reduce ms (median)': Number(r.allReduceMs.toFixed(1)),
    'all-reduce share of step':
      r.devices === 1 ? '—' : `${((100 * r.allReduceMs) / r.stepMs).toFixed(0)}%`,
  }));
  console.table(results);
  writeFileSync(
    join(here, 'results.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString().slice(0, 10),
        adapter,
        command: 'pnpm --filter @trm/cli bench',
        note: `tiny-sudoku model (${params} parameters), global batch ${gbs} split over the devices, ${stepsPerRun} steps per run, the first ${warmupSteps} (kernel compilation) excluded. Several devices on one adapter share its hardware, so this measures the overhead of data parallelism, not a speed-up.`,
        results,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
