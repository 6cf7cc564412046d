/**
 * What every measurement of trm's training step shares: the synthetic batch (deterministic
 * tokens and labels, so each checkout and each run sees the same data) and the options of a
 * compiled step's `model.step` call (backward, loss scale 1/B, the dense update inside).
 */

/** A batch of `batch` examples for a model of `config` (a resolved TRM config). */
export function syntheticBatch(config, batch) {
  const S = config.seq_len;
  const V = config.vocab_size;
  return {
    inputs: Int32Array.from({ length: batch * S }, (_, i) => 1 + ((i * 7) % (V - 1))),
    labels: Int32Array.from({ length: batch * S }, (_, i) => 1 + ((i * 3) % (V - 1))),
    puzzleIdentifiers: Int32Array.from(
      { length: batch },
      (_, i) => i % config.num_puzzle_identifiers,
    ),
  };
}

/**
 * `model.step` options of a compiled training step, with AdamATan2 and `zeroGrad` inside.
 * Make them once and pass the same object to every step: `update` is part of the compiled
 * step's key, so a new function each call would be a new step each call, never replayed.
 */
export function compiledStepOptions(model, adam, batch) {
  return {
    backward: true,
    lossScale: 1 / batch,
    compile: true,
    update: () => {
      adam.apply();
      model.zeroGrad();
    },
  };
}
