import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CliIO } from '../cli/types.js';
import { CliError } from '../errors.js';
import { abortCollective, createCollective } from './collective.js';
import type { DeviceSlot } from './devices.js';
import type { WorkerInput, WorkerJob, WorkerMessage } from './protocol.js';

/** How long the other workers get to stop after one failed, before they are terminated. */
const STOP_GRACE_MS = 15_000;

/**
 * Runs `job` on one worker thread per device slot and returns rank 0's result. Each worker
 * runs the job of that `kind` among those its entry point was built with (the commands'
 * jobs, src/commands/parallel-jobs.ts); this module only moves the job there. Rank 0 owns
 * the terminal (its output is relayed to `io`); the other ranks are silent. The first worker
 * that fails aborts the shared collective, so every other rank stops at its next
 * communication instead of waiting forever, and the run fails with that worker's message
 * and rank.
 */
export async function runOnDevices<T>(
  job: WorkerJob,
  slots: readonly DeviceSlot[],
  io: CliIO,
): Promise<T> {
  const slotBytes = Number(io.env.TRM_COLLECTIVE_SLOT_BYTES ?? 8 << 20);
  const collective = createCollective(slots.length, slotBytes);
  const script = workerScript();
  const results = new Map<number, unknown>();
  const failures: { rank: number; message: string; exitCode: number; aborted: boolean }[] = [];
  let stopTimer: NodeJS.Timeout | undefined;
  const workers: Worker[] = [];

  const fail = (rank: number, message: string, exitCode: number, aborted = false) => {
    failures.push({ rank, message, exitCode, aborted });
    abortCollective(collective, aborted ? -1 : rank);
    stopTimer ??= setTimeout(() => {
      for (const w of workers) void w.terminate();
    }, STOP_GRACE_MS);
  };

  const exits = slots.map((slot) => {
    const input: WorkerInput = {
      rank: slot.rank,
      adapterName: slot.adapterName,
      collective,
      job,
      cwd: io.cwd,
      env: { ...io.env },
      stderrTTY: Boolean(io.stderr.isTTY),
      stderrColumns: io.stderr.columns ?? 80,
    };
    const worker = new Worker(script, { workerData: input, env: { ...io.env } });
    workers.push(worker);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'write') io[m.stream].write(m.text);
      else if (m.type === 'done') results.set(slot.rank, m.result);
      else if (m.type === 'error') fail(slot.rank, m.message, m.exitCode, m.aborted);
    });
    worker.on('error', (error) => fail(slot.rank, error.message, 1));
    return new Promise<void>((resolve) => {
      worker.on('exit', (code) => {
        if (!results.has(slot.rank) && !failures.some((f) => f.rank === slot.rank))
          fail(slot.rank, `its worker thread exited with code ${code} before finishing`, 1);
        resolve();
      });
    });
  });
  await Promise.all(exits);
  if (stopTimer) clearTimeout(stopTimer);

  // The root cause: a rank that failed on its own (not because another rank aborted the run);
  // when several did (an error every rank hits), the lowest rank.
  const own = failures.filter((f) => !f.aborted).sort((a, b) => a.rank - b.rank);
  const cause = own[0] ?? failures[0];
  if (cause) {
    throw new CliError(`device rank ${cause.rank} of ${slots.length} failed: ${cause.message}`, {
      exitCode: cause.exitCode,
    });
  }
  return results.get(0) as T;
}

/**
 * The built worker entry (src/parallel-worker.ts): next to this module in dist/, or in dist/
 * when this module runs from the sources (tests), which therefore need `pnpm build` first.
 */
function workerScript(): URL {
  for (const rel of ['./parallel-worker.js', '../../dist/parallel-worker.js']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new CliError(
    'The multi-device worker script (dist/parallel-worker.js) is missing: build @trm/cli first (pnpm build).',
    { exitCode: 1 },
  );
}
