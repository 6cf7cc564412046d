import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '@trm/datasets';
import { createProgress } from '../util/progress.js';
import { evaluateModel, SAVABLE_OUTPUTS, type SavableOutput } from './evaluate-model.js';
import type { TrainRun } from './train-run.js';

/**
 * The evaluation between iterations, the reference's `evaluate`: every test batch through the
 * model (sharded over the ranks), the metrics logged and shown, and the outputs that
 * `eval_save_outputs` names written by rank 0 to `eval_step_<N>/`.
 */
export async function evaluateRun(run: TrainRun): Promise<void> {
  const { config, io, model, output, runDir, step } = run;
  const { comm, isRoot, globalBatch: gbs } = run.topology;
  const save = config.eval_save_outputs.filter((k): k is SavableOutput =>
    (SAVABLE_OUTPUTS as readonly string[]).includes(k),
  );
  // In a log (no terminal) a short evaluation prints only its final line.
  const evalBar = isRoot
    ? createProgress(io.stderr, `evaluating step ${step}`, {
        lineStep: 0.25,
        quietMs: 10_000,
      })
    : null;
  output.progress.pause();
  const result = await evaluateModel(model, run.testSet, {
    evaluators: run.evaluators,
    globalBatchSize: gbs,
    save,
    saveDir: join(runDir, `eval_step_${step}`),
    onBatch: (done) => evalBar?.update(done, run.evalBatches),
    ...(comm ? { comm } : {}),
  });
  evalBar?.finish();
  if (isRoot && save.length > 0) {
    const dir = join(runDir, `eval_step_${step}`);
    mkdirSync(dir, { recursive: true });
    for (const [key, { data, shape }] of result.outputs)
      writeNpy(join(dir, `${key}.npy`), data, shape);
  }
  run.lastEval = result.metrics;
  output.evaluation(step, result.metrics);
}
