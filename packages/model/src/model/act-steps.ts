import { type ActCarry, type HostBatch, type StepResult, TinyRecursiveModel } from './act.js';

/**
 * Runs `batch` from a fresh carry one ACT step at a time, yielding each step's result (its
 * predictions, Q values and halting flags) as soon as it is read back, until every row has
 * halted: after `halt_max_steps` steps in eval mode. This is what inference shows of the
 * recursion: the answer after each supervision step. The carry is freed when the loop ends,
 * including when the caller stops early.
 */
export async function* actSteps(
  model: TinyRecursiveModel,
  batch: HostBatch,
): AsyncGenerator<StepResult, void, undefined> {
  let carry: ActCarry = model.initialCarry(batch.puzzleIdentifiers.length);
  try {
    for (;;) {
      const result = await model.step(carry, batch);
      carry = result.carry;
      yield result;
      if (result.allHalted) return;
    }
  } finally {
    TinyRecursiveModel.disposeCarry(carry);
  }
}
