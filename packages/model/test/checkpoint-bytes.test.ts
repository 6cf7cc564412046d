/**
 * `readModelCheckpointBytes`, the reader a web page uses on a fetched checkpoint: it gives what
 * `readModelCheckpoint` gives for the same file, and refuses what it cannot read, naming it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../src/checkpoint/errors.js';
import { serializeSafetensors } from '../src/checkpoint/safetensors.js';
import { readModelCheckpoint } from '../src/model-checkpoint.js';
import { readModelCheckpointBytes } from '../src/model-checkpoint-bytes.js';
import { fixture } from './checkpoint-helpers.js';

describe('readModelCheckpointBytes', () => {
  it('reads a safetensors checkpoint from memory as readModelCheckpoint reads the file', async () => {
    const path = fixture('fixture.safetensors');
    const fromFile = await readModelCheckpoint(path, { allowNonFinite: true });
    const fromBytes = await readModelCheckpointBytes(new Uint8Array(readFileSync(path)), {
      allowNonFinite: true,
      name: path,
    });
    expect(fromBytes).toEqual(fromFile);
    expect(fromBytes.extra.size).toBeGreaterThan(0);
  });

  it('keeps our metadata and applies the model-weight rules', async () => {
    const bytes = serializeSafetensors(
      {
        'model.inner.w': { dtype: 'F16', shape: [2], data: Float32Array.of(0.5, -2) },
        'raw/model.inner.w': { dtype: 'F32', shape: [1], data: Float32Array.of(1) },
      },
      { format: 'trm', config: '{"hidden_size":8}', training: '{"step":3}' },
    );
    const ckpt = await readModelCheckpointBytes(bytes);
    expect(ckpt.config).toEqual({ hidden_size: 8 });
    expect(ckpt.training).toEqual({ step: 3 });
    expect([...ckpt.weights.get('model.inner.w')!.data]).toEqual([0.5, -2]);
    expect([...ckpt.extra.keys()]).toEqual(['raw/model.inner.w']);
    const nan = serializeSafetensors({
      'model.w': { dtype: 'F32', shape: [1], data: Float32Array.of(Number.NaN) },
    });
    await expect(
      readModelCheckpointBytes(nan, { name: 'https://x/nan.safetensors' }),
    ).rejects.toThrow(
      /^https:\/\/x\/nan\.safetensors: tensor "model\.w": 1 of its 1 values are NaN or infinite/,
    );
  });

  it('refuses torch.save files and bytes that are no checkpoint, naming them', async () => {
    const torch = new Uint8Array(readFileSync(fixture('state_dict.pt')));
    const error = await readModelCheckpointBytes(torch, { name: 'ckpt.pt' }).catch((e) => e);
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect(error.message).toMatch(/^ckpt\.pt: is a torch\.save file: .*readModelCheckpoint/);
    await expect(
      readModelCheckpointBytes(new TextEncoder().encode('<html>404</html>')),
    ).rejects.toThrow(/^<memory>: is not a safetensors file/);
  });
});
