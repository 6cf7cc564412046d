/**
 * Test-only fault injection, kept out of the CLI's code: loaded before it with
 * `node --import <this file>`. vitest.config.ts passes it to every test process (the worker
 * threads of `--devices N` inherit it) and the kill test to the `trm` it spawns. It does
 * nothing unless one of these is set in the environment of the process or worker thread:
 *
 * - `TRM_TEST_FAIL_RANK=<rank>` (and `TRM_TEST_FAIL_STEP=<n>`, default 1): on that rank (the
 *   worker thread's, 0 in a main thread), training step n and every later one fails before
 *   it runs: it throws `injected failure (TRM_TEST_FAIL_RANK=<rank>) at step <n>`, or, with
 *   `TRM_TEST_FAIL_MODE=lose-device`, the rank's device is destroyed first. Steps are counted
 *   from the first training step of the process (the tests start fresh runs).
 * - `TRM_TEST_PAUSE_CHECKPOINT=<step>`: when the weights file of that step's checkpoint is about
 *   to be written (its training-state file is complete), the writer announces
 *   `TRM_TEST_CHECKPOINT_PAUSED <step>` on stderr and waits a minute, so that a test can
 *   SIGKILL the process in the middle of the checkpoint.
 * - `TRM_TEST_EVAL_STEP_DELAY_MS=<ms>`: every evaluation step (a model step without a
 *   backward pass) waits that long first, so that a signal test surely lands mid-evaluation
 *   however fast the machine and however late the test reads the progress line.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';
import { isMainThread, workerData } from 'node:worker_threads';

const env = process.env;

if (env.TRM_TEST_FAIL_RANK !== undefined) {
  const rank = isMainThread ? 0 : workerData?.rank;
  if (env.TRM_TEST_FAIL_RANK === String(rank)) {
    const failStep = Number(env.TRM_TEST_FAIL_STEP ?? 1);
    const loseDevice = env.TRM_TEST_FAIL_MODE === 'lose-device';
    const { TinyRecursiveModel } = await import('@trm/model');
    const { getDefaultDevice } = await import('@trm/tensor');
    const step = TinyRecursiveModel.prototype.step;
    let trainingSteps = 0;
    TinyRecursiveModel.prototype.step = function (carry, batch, options = {}) {
      // Training steps say whether to run the backward pass; evaluation steps do not.
      if ('backward' in options && ++trainingSteps >= failStep) {
        if (loseDevice) getDefaultDevice().destroy();
        else
          return Promise.reject(
            new Error(`injected failure (TRM_TEST_FAIL_RANK=${rank}) at step ${trainingSteps}`),
          );
      }
      return step.call(this, carry, batch, options);
    };
  }
}

if (env.TRM_TEST_PAUSE_CHECKPOINT !== undefined) {
  const pauseStep = env.TRM_TEST_PAUSE_CHECKPOINT;
  // Checkpoint files are written atomically through `.<name>.<pid>.<random>.tmp`.
  const weightsTemp = `.step_${pauseStep}.safetensors.`;
  const open = fs.promises.open;
  fs.promises.open = async function (path, ...rest) {
    const name = typeof path === 'string' ? basename(path) : '';
    if (name.startsWith(weightsTemp) && name.endsWith('.tmp')) {
      process.stderr.write(`TRM_TEST_CHECKPOINT_PAUSED ${pauseStep}\n`);
      await new Promise((resolve) => setTimeout(resolve, 60_000));
    }
    return open.call(this, path, ...rest);
  };
  // `import { open } from 'node:fs/promises'` sees the patched function too.
  syncBuiltinESMExports();
}

if (env.TRM_TEST_EVAL_STEP_DELAY_MS !== undefined) {
  const delay = Number(env.TRM_TEST_EVAL_STEP_DELAY_MS);
  const { TinyRecursiveModel } = await import('@trm/model');
  const step = TinyRecursiveModel.prototype.step;
  TinyRecursiveModel.prototype.step = async function (carry, batch, options = {}) {
    if (!('backward' in options)) await new Promise((resolve) => setTimeout(resolve, delay));
    return step.call(this, carry, batch, options);
  };
}
