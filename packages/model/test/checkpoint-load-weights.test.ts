/**
 * `loadWeightsInto` with a puzzle-embedding table that cannot take the reference's mean-row
 * rule: the mismatch is reported like any other wrong shape (a StateDictError naming the key,
 * which the CLI turns into a "does not fit the model" message), not as a bare Error from the
 * resizing code.
 */
import { StateDictError } from '@trm/nn';
import { Device, Generator, setDefaultDevice } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUZZLE_EMB_KEY } from '../src/checkpoint/state-dict.js';
import { resolveTrmConfig } from '../src/config.js';
import { TinyRecursiveModel } from '../src/model/act.js';
import { loadWeightsInto } from '../src/model-checkpoint-bytes.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
  setDefaultDevice(device);
});
afterAll(() => device?.destroy());

const small = {
  batch_size: 1,
  seq_len: 4,
  vocab_size: 4,
  num_puzzle_identifiers: 3,
  hidden_size: 8,
  num_heads: 1,
  L_layers: 1,
  H_cycles: 1,
  L_cycles: 1,
  puzzle_emb_len: 1,
  halt_max_steps: 1,
};

describe('loadWeightsInto with a puzzle table of another shape', () => {
  it('reports a table whose rows have another width as a wrong shape', async () => {
    const model = new TinyRecursiveModel(resolveTrmConfig(small), new Generator(0));
    try {
      const weights = new Map(await model.stateDictData());
      const cases: [number[], number][] = [
        [[5, 4], 20], // another width: no mean row to broadcast
        [[0, 8], 0], // empty: no mean row at all
        [[40], 40], // not a table
      ];
      for (const [shape, n] of cases) {
        weights.set(PUZZLE_EMB_KEY, { shape, data: new Float32Array(n) });
        let error: unknown;
        try {
          loadWeightsInto(model, weights);
        } catch (e) {
          error = e;
        }
        expect(error, `[${shape}]`).toBeInstanceOf(StateDictError);
        expect((error as Error).message).toContain(
          `${PUZZLE_EMB_KEY}: checkpoint [${shape.join(', ')}], model [3, 8]`,
        );
      }
    } finally {
      model.dispose();
    }
  });
});
