import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateDictError } from '@trm/nn';
import { Device, Generator, memoryStats, setDefaultDevice } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actSteps,
  loadWeightsInto,
  ModelConfigError,
  readModelCheckpoint,
  resolveTrmConfig,
  saveModelCheckpoint,
  TinyRecursiveModel,
} from '../src/index.js';
import { SMALL_TRM } from './small-config.js';

let device: Device;
let dir: string;
beforeAll(async () => {
  device = await Device.open();
  setDefaultDevice(device);
  dir = mkdtempSync(join(tmpdir(), 'trm-model-'));
});
afterAll(() => {
  device?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const sudoku = { batch_size: 2, seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1 };

describe('parameter counts of the paper configurations', () => {
  // Trainable parameters, as the reference counts them (model.parameters(): the puzzle table
  // and H_init/L_init are buffers). Worked out by hand from spec §2–3 with D = 512, 8 heads,
  // expansion 4 (SwiGLU width 1536), L_layers 2, seq 81 + 16 puzzle positions, vocab 11.
  it('attention on Sudoku has 6,828,034 parameters (≈7M)', () => {
    const model = new TinyRecursiveModel(resolveTrmConfig({ ...sudoku }), new Generator(0));
    const n = model.parameterCount();
    console.log(`TRM-Attention (Sudoku): ${n.toLocaleString('en-US')} parameters`);
    expect(n).toBe(6_828_034);
    model.dispose();
  });

  it('MLP-T on Sudoku has 5,028,866 parameters (≈5M)', () => {
    const model = new TinyRecursiveModel(
      resolveTrmConfig({ ...sudoku, mlp_t: true }),
      new Generator(0),
    );
    const n = model.parameterCount();
    console.log(`TRM-MLP (Sudoku): ${n.toLocaleString('en-US')} parameters`);
    expect(n).toBe(5_028_866);
    model.dispose();
  });
});

describe('configuration errors', () => {
  it('lists every inconsistent field in one error', () => {
    let error: unknown;
    try {
      resolveTrmConfig({
        ...SMALL_TRM,
        hidden_size: 30,
        num_heads: 4,
        pos_encodings: 'alibi' as never,
        L_cycles: 0,
        foo: 1,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelConfigError);
    const msg = (error as Error).message;
    expect(msg).toContain('"hidden_size" (30) must be divisible by "num_heads" (4)');
    expect(msg).toContain('"pos_encodings" must be one of rope, learned, none; got "alibi"');
    expect(msg).toContain('"L_cycles" must be ≥ 1, got 0');
    expect(msg).toContain('unknown key "foo"');
  });

  it('requires the dataset-derived fields', () => {
    expect(() => resolveTrmConfig({ hidden_size: 64 })).toThrow(/"seq_len" is required/);
  });
});

describe('checkpoints', () => {
  it('round-trips through our safetensors with the config in the header', async () => {
    const config = resolveTrmConfig(SMALL_TRM);
    const a = new TinyRecursiveModel(config, new Generator(1));
    const path = join(dir, 'a.safetensors');
    await saveModelCheckpoint(path, a, { training: { step: 7 } });
    const ckpt = await readModelCheckpoint(path);
    expect(ckpt.config).toEqual(config);
    expect(ckpt.training).toEqual({ step: 7 });
    expect([...ckpt.weights.keys()].sort()).toEqual([...a.stateDict().keys()].sort());
    const b = new TinyRecursiveModel(config, new Generator(2));
    loadWeightsInto(b, ckpt.weights);
    const wa = await a.stateDictData();
    const wb = await b.stateDictData();
    for (const [k, v] of wa) expect(wb.get(k)!.data, k).toEqual(v.data);
    a.dispose();
    b.dispose();
  });

  it('names missing, unexpected and wrong-shaped keys in one error, and writes nothing', async () => {
    const model = new TinyRecursiveModel(resolveTrmConfig(SMALL_TRM), new Generator(3));
    const before = await model.stateDictData();
    const entries = new Map(before);
    entries.delete('model.inner.lm_head.weight');
    entries.set('model.inner.extra.weight', { shape: [1], data: new Float32Array(1) });
    entries.set('model.inner.q_head.weight', { shape: [3, 32], data: new Float32Array(96) });
    entries.set('model.inner.embed_tokens.embedding_weight', {
      shape: [6, 32],
      data: new Float32Array(192).fill(9),
    });
    let error: unknown;
    try {
      model.loadStateDict(entries);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    const msg = (error as Error).message;
    expect(msg).toContain('missing keys: model.inner.lm_head.weight');
    expect(msg).toContain('unexpected keys: model.inner.extra.weight');
    expect(msg).toContain('model.inner.q_head.weight: checkpoint [3, 32], model [2, 32]');
    const after = await model.stateDictData();
    expect(after.get('model.inner.embed_tokens.embedding_weight')!.data).toEqual(
      before.get('model.inner.embed_tokens.embedding_weight')!.data,
    );
    model.dispose();
  });

  it('replaces a puzzle-embedding table of another size by its mean row (spec §8)', async () => {
    const model = new TinyRecursiveModel(resolveTrmConfig(SMALL_TRM), new Generator(4));
    const weights = new Map(await model.stateDictData());
    const table = Float32Array.from({ length: 5 * 32 }, (_, i) => Math.floor(i / 32));
    weights.set('model.inner.puzzle_emb.weights', { shape: [5, 32], data: table });
    loadWeightsInto(model, weights);
    const got = (await model.stateDictData()).get('model.inner.puzzle_emb.weights')!;
    expect(got.shape).toEqual([3, 32]);
    expect([...got.data].every((v) => v === 2)).toBe(true);
    model.dispose();
  });
});

describe('variants', () => {
  it.each([
    ['no puzzle embedding (the reference crashes here)', { puzzle_emb_ndim: 0 }],
    ['learned positions', { pos_encodings: 'learned' }],
    ['no positions, MLP-T', { pos_encodings: 'none', mlp_t: true }],
  ] as const)(
    '%s: runs a training step and an evaluation to halting without leaking memory',
    async (_name, extra) => {
      const model = new TinyRecursiveModel(
        resolveTrmConfig({ ...SMALL_TRM, ...extra }),
        new Generator(5),
      );
      const batch = {
        inputs: Int32Array.from({ length: 18 }, (_, i) => 1 + (i % 5)),
        labels: Int32Array.from({ length: 18 }, (_, i) => (i % 3 === 0 ? -100 : 1 + (i % 4))),
        puzzleIdentifiers: Int32Array.of(1, 2),
      };
      const start = memoryStats(device);
      const r = await model.step(model.initialCarry(2), batch, { backward: true, lossScale: 0.5 });
      expect(Number.isFinite(r.loss)).toBe(true);
      for (const [name, p] of model.namedParameters()) expect(p.grad, name).not.toBeNull();
      model.eval();
      TinyRecursiveModel.disposeCarry(r.carry);
      let carry = model.initialCarry(2);
      let steps = 0;
      for (;;) {
        const e = await model.step(carry, batch);
        carry = e.carry;
        steps++;
        if (e.allHalted) break;
      }
      expect(steps).toBe(2); // evaluation runs exactly halt_max_steps
      TinyRecursiveModel.disposeCarry(carry);
      model.zeroGrad();
      model.inner.puzzleEmb?.releaseBatch();
      expect(memoryStats(device).liveBuffers).toBe(start.liveBuffers);
      model.dispose();
    },
  );
});

describe('actSteps', () => {
  it('yields every supervision step as model.step gives it, and frees the carry', async () => {
    const model = new TinyRecursiveModel(
      resolveTrmConfig({ ...SMALL_TRM, halt_max_steps: 3 }),
      new Generator(7),
    );
    model.eval();
    const batch = {
      inputs: Int32Array.from({ length: 18 }, (_, i) => 1 + (i % 5)),
      labels: new Int32Array(18).fill(-100),
      puzzleIdentifiers: Int32Array.of(0, 1),
    };
    const manual: Int32Array[] = [];
    let carry = model.initialCarry(2);
    for (;;) {
      const r = await model.step(carry, batch);
      carry = r.carry;
      manual.push(r.preds);
      if (r.allHalted) break;
    }
    TinyRecursiveModel.disposeCarry(carry);

    const start = memoryStats(device);
    const steps: Int32Array[] = [];
    for await (const r of actSteps(model, batch)) steps.push(r.preds);
    expect(steps).toEqual(manual);
    expect(steps).toHaveLength(3);
    // Stopping after the first step still frees the carry.
    for await (const _ of actSteps(model, batch)) break;
    model.inner.puzzleEmb?.releaseBatch();
    expect(memoryStats(device).liveBuffers).toBe(start.liveBuffers);
    model.dispose();
  });
});
