/**
 * Entry point of one data-parallel worker thread (built to dist/parallel-worker.js). It opens
 * its own WebGPU device, runs the job as its rank and reports back to the launcher.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { exitCodeFor } from '../cli/exit-code.js';
import type { CliIO, OutputStream } from '../cli/types.js';
import { Collective, CollectiveAbortedError } from './collective.js';
import type { WorkerInput, WorkerMessage } from './protocol.js';

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

async function main(): Promise<void> {
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
    let result: unknown;
    if (job.kind === 'train') {
      const { train } = await import('../train/loop.js');
      result = await train(job.config, {
        io,
        resume: job.resume,
        overwrite: job.overwrite,
        wandb: job.wandb,
        maxSteps: job.maxSteps,
        parallel,
      });
    } else {
      const { evaluateCheckpoint } = await import('../commands/eval.js');
      result = await evaluateCheckpoint(job.options, io, parallel);
    }
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

void main();
