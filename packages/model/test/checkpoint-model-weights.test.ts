/**
 * What `readModelCheckpoint` accepts as model weights: floating-point tensors (every model
 * parameter and buffer is f32, so our own checkpoints hold nothing else) without NaN or
 * infinities, whether they come from safetensors or a torch.save file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { f32ToF16 } from '../src/checkpoint/dtype.js';
import { CheckpointFormatError } from '../src/checkpoint/errors.js';
import type { HostTensorInput } from '../src/checkpoint/safetensors.js';
import { saveSafetensors } from '../src/checkpoint/safetensors-file.js';
import type { TinyRecursiveModel } from '../src/model/act.js';
import * as modelCheckpoint from '../src/model-checkpoint.js';
import { tensorPickle, torchFile } from './hostile-builders.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trm-weights-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY = 'model.inner.H_init';

/** A safetensors file holding `tensors`; returns its path. */
async function safetensors(
  name: string,
  tensors: Record<string, HostTensorInput>,
): Promise<string> {
  const path = join(dir, name);
  await saveSafetensors(path, tensors);
  return path;
}

/** A torch.save file of one tensor `name` over the storage `bytes` of class `cls`. */
function pt(name: string, cls: string, numel: number, bytes: Uint8Array, key = KEY): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    torchFile(tensorPickle({ [key]: { numel, shape: [numel], stride: [1], cls } }), {
      data: bytes,
    }),
  );
  return path;
}

describe('weights must be floating point', () => {
  it('refuses integer and boolean weights in safetensors, naming the tensor and dtype', async () => {
    const cases: [string, HostTensorInput][] = [
      ['I64', { dtype: 'I64', shape: [4], data: new BigInt64Array(4) }],
      ['I32', { dtype: 'I32', shape: [4], data: new Int32Array(4) }],
      ['U8', { dtype: 'U8', shape: [4], data: new Uint8Array(4) }],
      ['BOOL', { dtype: 'BOOL', shape: [4], data: new Uint8Array(4) }],
    ];
    for (const [dtype, tensor] of cases) {
      const path = await safetensors(`${dtype}.safetensors`, { [KEY]: tensor });
      const err = await modelCheckpoint.readModelCheckpoint(path).catch((e: unknown) => e);
      expect(err, dtype).toBeInstanceOf(CheckpointFormatError);
      expect((err as Error).message).toMatch(
        new RegExp(
          `${dtype}\\.safetensors: tensor "model\\.inner\\.H_init": has dtype ${dtype}, but model weights are floating-point`,
        ),
      );
    }
  });

  it('refuses integer weights in torch.save files', async () => {
    for (const [cls, dtype, size] of [
      ['LongStorage', 'I64', 8],
      ['IntStorage', 'I32', 4],
      ['ByteStorage', 'U8', 1],
      ['BoolStorage', 'BOOL', 1],
    ] as const) {
      const path = pt(`${dtype}.pt`, cls, 4, new Uint8Array(4 * size));
      await expect(modelCheckpoint.readModelCheckpoint(path), cls).rejects.toThrow(
        new RegExp(`${dtype}\\.pt: tensor "model\\.inner\\.H_init": has dtype ${dtype}`),
      );
    }
  });

  it('keeps integer tensors that are not weights as extras', async () => {
    const path = await safetensors('extra.safetensors', {
      [KEY]: { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) },
      step: { dtype: 'I64', shape: [], data: BigInt64Array.of(7n) },
    });
    const ckpt = await modelCheckpoint.readModelCheckpoint(path);
    expect(ckpt.extra.get('step')!.dtype).toBe('I64');
    expect([...ckpt.weights.get(KEY)!.data]).toEqual([1, 2]);
  });

  it('converts F64 and half-precision weights to f32', async () => {
    const f64 = await safetensors('f64.safetensors', {
      [KEY]: { dtype: 'F64', shape: [2], data: Float64Array.of(0.5, 1 / 3) },
    });
    const w = (await modelCheckpoint.readModelCheckpoint(f64)).weights.get(KEY)!;
    expect(w.data).toBeInstanceOf(Float32Array);
    expect([...w.data]).toEqual([0.5, Math.fround(1 / 3)]);
    const half = pt(
      'f16.pt',
      'HalfStorage',
      2,
      new Uint8Array(Uint16Array.of(0x3c00, 0xc000).buffer),
    );
    expect([...(await modelCheckpoint.readModelCheckpoint(half)).weights.get(KEY)!.data]).toEqual([
      1, -2,
    ]);
  });

  it('loads what saveModelCheckpoint writes: every model state entry is f32', async () => {
    // A stand-in with the two members saveModelCheckpoint uses; the model itself keeps all
    // its parameters and buffers (puzzle table, H_init, L_init included) as f32.
    const model = {
      config: { hidden_size: 2 },
      stateDictData: async () =>
        new Map([
          [KEY, { shape: [2], data: Float32Array.of(1, 2) }],
          ['model.inner.puzzle_emb.weights', { shape: [1, 2], data: Float32Array.of(3, 4) }],
        ]),
    } as unknown as TinyRecursiveModel;
    const path = join(dir, 'ours.safetensors');
    await modelCheckpoint.saveModelCheckpoint(path, model, { training: { step: 3 } });
    const ckpt = await modelCheckpoint.readModelCheckpoint(path);
    expect(ckpt.weights.size).toBe(2);
    expect(ckpt.training).toEqual({ step: 3 });
  });
});

describe('weights must be finite', () => {
  it('refuses NaN and infinities, counting them and naming the first tensor', async () => {
    const path = await safetensors('nan.safetensors', {
      'model.a': { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) },
      [KEY]: { dtype: 'F32', shape: [4], data: Float32Array.of(1, Number.NaN, -Infinity, 2) },
    });
    await expect(modelCheckpoint.readModelCheckpoint(path)).rejects.toThrow(
      /nan\.safetensors: tensor "model\.inner\.H_init": 2 of its 4 values are NaN or infinite: the run that wrote this checkpoint probably diverged/,
    );
    const ok = await modelCheckpoint.readModelCheckpoint(path, { allowNonFinite: true });
    expect(Number.isNaN(ok.weights.get(KEY)!.data[1])).toBe(true);
  });

  it('in torch.save files too, half precision and F64 included', async () => {
    const inf = pt(
      'inf.pt',
      'HalfStorage',
      2,
      new Uint8Array(Uint16Array.of(f32ToF16(Infinity), 0).buffer),
    );
    await expect(modelCheckpoint.readModelCheckpoint(inf)).rejects.toThrow(
      /inf\.pt: tensor "model\.inner\.H_init": 1 of its 2 values are NaN or infinite/,
    );
    // 1e300 is finite in F64 but not once rounded to the f32 the model computes in.
    const big = await safetensors('f64-big.safetensors', {
      [KEY]: { dtype: 'F64', shape: [1], data: Float64Array.of(1e300) },
    });
    await expect(modelCheckpoint.readModelCheckpoint(big)).rejects.toThrow(
      /1 of its 1 values are NaN or infinite \(after rounding its F64 values to f32\)/,
    );
  });
});
