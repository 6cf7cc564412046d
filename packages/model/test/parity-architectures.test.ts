import { Device, Generator, setDefaultDevice } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { architectureOf, TinyRecursiveModel } from '../src/index.js';
import { openParityFixture, TOL, toEntries } from './parity-support.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
  setDefaultDevice(device);
});
afterAll(() => device?.destroy());

/**
 * The other architectures against the independent PyTorch implementations of
 * fixtures/parity/arch_reference.py, on the same weights, over two training-mode ACT steps:
 * every latent state of the carry (by the reference's names), logits, q-logits, the continue
 * target where the architecture trains one, halting, loss, metrics and every gradient, at the
 * tolerance of TRM's parity test.
 */
const VARIANTS = [
  // the refine pass without injection
  ['singlez_rope', 'trm_singlez'],
  // four of six slots written (two stay at their reset vectors), learned positions, and the
  // continue target the reference crashes on (no_ACT_continue: false)
  ['hier6_learned_continue', 'trm_hier6'],
  // two stacks, one-step gradient, the Q-learning target
  ['hrm_rope', 'hrm'],
  // no puzzle embedding (P = 0), MLP-T in both stacks
  ['hrm_nopuzzle_mlpt', 'hrm'],
  // 3 heads of floor(32 / 3) = 10 features, adaptive halting without a target
  ['baseline_act', 'transformers_baseline'],
] as const;

describe.each(VARIANTS)('parity with PyTorch: %s', (variant, kind) => {
  it('matches every carry state, logits, q-logits, halting, loss, metrics and every gradient over two ACT steps', async () => {
    const { ckpt, t, close, report, config, batch, exploration } = await openParityFixture(variant);
    const arch = architectureOf(config);
    expect(arch.kind).toBe(kind);
    const model = new TinyRecursiveModel(config, new Generator(0));
    // Loading is strict: the fixture's keys are exactly the reference's state dict.
    model.loadStateDict(toEntries(ckpt.tensors, 'weights/'));
    model.train();
    let carry = model.initialCarry(4);
    expect(Object.keys(carry.inner)).toEqual([...arch.states]);
    for (const step of [1, 2]) {
      model.zeroGrad();
      const r = await model.step(carry, batch(step), {
        backward: step === 1,
        lossScale: 1 / 4,
        exploration,
        keepLogits: true,
      });
      carry = r.carry;
      const pre = `step${step}/`;
      const meta = JSON.parse(ckpt.metadata[`step${step}`]!);
      close(await r.logits!.data(), `${pre}logits`);
      close(r.qHalt, `${pre}q_halt_logits`);
      close(r.qContinue, `${pre}q_continue_logits`);
      for (const [name, state] of Object.entries(carry.inner))
        close(await state.data(), pre + name);
      expect([...carry.halted]).toEqual([...(t(`${pre}halted`) as Uint8Array)]);
      expect([...carry.steps]).toEqual([...(t(`${pre}steps`) as Int32Array)]);
      expect([...r.preds]).toEqual([...(t(`${pre}preds`) as Int32Array)]);
      const hasTarget = ckpt.tensors.has(`${pre}target_q_continue`);
      expect(r.targetQContinue !== null, 'a continue target').toBe(hasTarget);
      if (hasTarget) {
        close(r.targetQContinue!, `${pre}target_q_continue`);
        expect(r.metrics.q_continue_loss! / meta.metrics.q_continue_loss).toBeCloseTo(1, 4);
      }
      expect(Math.abs(r.loss - meta.loss) / Math.abs(meta.loss)).toBeLessThan(TOL);
      for (const key of ['count', 'exact_accuracy', 'q_halt_accuracy', 'steps'] as const) {
        expect(r.metrics[key], key).toBe(meta.metrics[key]);
      }
      expect(r.metrics.accuracy).toBeCloseTo(meta.metrics.accuracy, 5);
      r.logits!.dispose();

      if (step === 1) {
        let checked = 0;
        for (const [name, p] of model.namedParameters()) {
          const expected = ckpt.tensors.get(`grad/${name}`);
          // The baseline's continue row of q_head gets an exact zero gradient, as PyTorch's.
          expect(expected, `fixture gradient for ${name}`).toBeDefined();
          expect(p.grad, `gradient of ${name}`).not.toBeNull();
          close(await p.grad!.data(), `grad/${name}`);
          checked++;
        }
        expect(checked).toBe(
          [...ckpt.tensors.keys()].filter((k) => k.startsWith('grad/model.')).length,
        );
        const emb = model.inner.puzzleEmb;
        expect(emb !== null).toBe(ckpt.tensors.has('grad/puzzle_emb_local'));
        if (emb) close(await emb.sparseGrad()!.rows.data(), 'grad/puzzle_emb_local');
      }
    }
    TinyRecursiveModel.disposeCarry(carry);
    model.dispose();
    if (process.env.TRM_PARITY_REPORT) console.log(`${variant}\n  ${report.join('\n  ')}`);
  });
});
