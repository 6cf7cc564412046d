/**
 * The body of one data-parallel worker thread: it joins the collective, runs its rank's share
 * of the job and reports back to the launcher. The jobs come from the entry point that starts
 * the thread (src/parallel-worker.ts, built to dist/parallel-worker.js).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { exitCodeFor } from '../cli/exit-code.js';
import type { CliIO, OutputStream } from '../cli/types.js';
import { Collective, CollectiveAbortedError } from './collective.js';
import type { ParallelJobs, WorkerInput, WorkerMessage } from './protocol.js';

/** Runs this thread's rank of the job in `workerData` with the matching one of `jobs`. */
export async function runWorker(jobs: ParallelJobs): Promise<void> {
  const input = workerData as WorkerInput;
  const port = parentPort!;
  const post = (m: WorkerMessage) => port.postMessage(m);

  function stream(name: 'stdout' | 'stderr'): OutputStream {
    // Only rank 0 talks to the terminal; the others would repeat the same lines.
    return {
      write: (text: string) => {
        if (input.rank === 0) post({ type: 'write', stream: name, text });
        return true;
      },
      isTTY: name === 'stderr' ? input.stderrTTY : false,
      columns: input.stderrColumns,
    };
  }

  const comm = new Collective(input.collective, input.rank);
  const io: CliIO = {
    stdout: stream('stdout'),
    stderr: stream('stderr'),
    cwd: input.cwd,
    env: input.env as NodeJS.ProcessEnv,
  };
  const parallel = { comm, adapterName: input.adapterName };
  try {
    const { job } = input;
    const run = Object.hasOwn(jobs, job.kind) ? jobs[job.kind] : undefined;
    if (!run) throw new Error(`no parallel job named '${job.kind}'`);
    // The launcher sent this kind's input: the commands pair them (parallelJob).
    const result = await run(job.input as never, io, parallel);
    post({ type: 'done', result });
  } catch (error) {
    const aborted = error instanceof CollectiveAbortedError;
    if (!aborted) comm.abort();
    post({
      type: 'error',
      message: error instanceof Error ? error.message : String(error),
      exitCode: exitCodeFor(error),
      aborted,
    });
    // Let Dawn settle the promises of the destroyed device before the thread goes away;
    // a worker torn down with GPU promises pending takes the whole process with it.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
