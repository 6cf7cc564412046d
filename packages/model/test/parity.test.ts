import { Device, Generator, setDefaultDevice } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, normalizeStateDict } from '../src/checkpoint/index.js';
import { TinyRecursiveModel } from '../src/index.js';
import { configFrom, fixture, maxRelError, toEntries } from './parity-helpers.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
  setDefaultDevice(device);
});
afterAll(() => device?.destroy());

/**
 * Tolerance. The issue asks for 1e-4 relative in f32. TRM's recursion amplifies f32 round-off
 * (each step runs up to 2·(L_cycles+1)·L_layers blocks ending in RMS norms), and PyTorch's own
 * f32 results sit up to ~9e-4 away from the exact (f64) ones on the MLP-T variant's second step
 * (see make_parity.py). So each tensor is judged against the exact values: our error must be
 * within 1e-4, or — where PyTorch's f32 error is itself larger — within 3× PyTorch's error.
 */
const TOL = 1e-4;
const ROUNDOFF_FACTOR = 3;

describe.each(['attn_rope_stablemax', 'mlpt_stablemax', 'attn_learned_softmax_continue'])(
  'parity with PyTorch: %s',
  (variant) => {
    it('matches logits, q-logits, carries, halting, loss, metrics and every gradient over two ACT steps', async () => {
      const ckpt = await loadCheckpoint(fixture(`${variant}.safetensors`), { int64: 'int32' });
      const t = (name: string) => {
        const v = ckpt.tensors.get(name);
        if (!v) throw new Error(`fixture has no ${name}`);
        return v.data;
      };
      const report: string[] = [];
      /** Checks `ours` for fixture tensor `key` (e.g. `step1/logits`) against the exact values. */
      const close = (ours: ArrayLike<number>, key: string) => {
        const exact = t(`exact/${key}`) as Float32Array;
        const ourErr = maxRelError(ours, exact);
        const torchErr = maxRelError(t(key) as Float32Array, exact);
        const bound = Math.max(TOL, ROUNDOFF_FACTOR * torchErr);
        report.push(
          `${key}: ours ${ourErr.toExponential(2)}, torch-f32 ${torchErr.toExponential(2)}`,
        );
        expect(ourErr, `${key}: ours ${ourErr}, PyTorch f32 ${torchErr} (vs exact)`).toBeLessThan(
          bound,
        );
      };
      const config = configFrom(ckpt.metadata);
      const meta1 = JSON.parse(ckpt.metadata.step1!);
      const meta2 = JSON.parse(ckpt.metadata.step2!);
      const model = new TinyRecursiveModel(config, new Generator(0));
      model.loadStateDict(toEntries(ckpt.tensors, 'weights/'));
      model.train();

      const batch = (i: number) => ({
        inputs: t(`batch${i}/inputs`) as Int32Array,
        labels: t(`batch${i}/labels`) as Int32Array,
        puzzleIdentifiers: t(`batch${i}/puzzle_identifiers`) as Int32Array,
      });
      const exploration = {
        explore: t('explore/explore') as Uint8Array,
        minHalt: t('explore/min_halt') as Int32Array,
      };

      let carry = model.initialCarry(4);
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
        const meta = step === 1 ? meta1 : meta2;
        close(await r.logits!.data(), `${pre}logits`);
        close(r.qHalt, `${pre}q_halt_logits`);
        close(r.qContinue, `${pre}q_continue_logits`);
        close(await carry.inner.zH.data(), `${pre}z_H`);
        close(await carry.inner.zL.data(), `${pre}z_L`);
        expect([...carry.halted]).toEqual([...(t(`${pre}halted`) as Uint8Array)]);
        expect([...carry.steps]).toEqual([...(t(`${pre}steps`) as Int32Array)]);
        expect([...r.preds]).toEqual([...(t(`${pre}preds`) as Int32Array)]);
        if (ckpt.tensors.has(`${pre}target_q_continue`)) {
          close(r.targetQContinue!, `${pre}target_q_continue`);
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
            expect(expected, `fixture gradient for ${name}`).toBeDefined();
            expect(p.grad, `gradient of ${name}`).not.toBeNull();
            close(await p.grad!.data(), `grad/${name}`);
            checked++;
          }
          expect(checked).toBe(
            [...ckpt.tensors.keys()].filter((k) => k.startsWith('grad/model.')).length,
          );
          const emb = model.inner.puzzleEmb;
          if (emb) {
            const sparse = emb.sparseGrad();
            expect(sparse, 'sparse gradient of the puzzle embedding').not.toBeNull();
            close(await sparse!.rows.data(), 'grad/puzzle_emb_local');
          }
        }
      }
      TinyRecursiveModel.disposeCarry(carry);
      model.dispose();
      if (process.env.TRM_PARITY_REPORT) console.log(`${variant}\n  ${report.join('\n  ')}`);
    });
  },
);

describe('torch.save checkpoint', () => {
  it('gives the same forward as the safetensors path', async () => {
    const st = await loadCheckpoint(fixture('attn_rope_stablemax.safetensors'), { int64: 'int32' });
    const pt = await loadCheckpoint(fixture('attn_rope_stablemax.pt'));
    const config = configFrom(st.metadata);
    const fromPt = new TinyRecursiveModel(config, new Generator(1));
    fromPt.loadStateDict(toEntries(normalizeStateDict(pt.tensors), ''));
    const fromSt = new TinyRecursiveModel(config, new Generator(2));
    fromSt.loadStateDict(toEntries(st.tensors, 'weights/'));
    const batch = {
      inputs: st.tensors.get('batch1/inputs')!.data as Int32Array,
      labels: st.tensors.get('batch1/labels')!.data as Int32Array,
      puzzleIdentifiers: st.tensors.get('batch1/puzzle_identifiers')!.data as Int32Array,
    };
    const outs = [];
    for (const m of [fromPt, fromSt]) {
      m.eval();
      const r = await m.step(m.initialCarry(4), batch, { keepLogits: true });
      outs.push(await r.logits!.data());
      r.logits!.dispose();
      TinyRecursiveModel.disposeCarry(r.carry);
    }
    expect(outs[0]).toEqual(outs[1]);
  });
});
