/**
 * Small files that ask for a lot of memory: deflate streams that expand a thousandfold, one
 * stored element viewed as a huge tensor, oversized side entries and headers. Each must be
 * refused with a CheckpointFormatError before the memory is allocated, which the tests check
 * through the growth of the process's peak resident set (so they run first in this file).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, CheckpointFormatError } from '../src/checkpoint/errors.js';
import { loadCheckpoint } from '../src/checkpoint/load.js';
import { saveSafetensors } from '../src/checkpoint/safetensors-file.js';
import * as modelCheckpoint from '../src/model-checkpoint.js';
import { checkpointBudget } from '../src/model-checkpoint-bytes.js';
import { deflatedZeros, peakGrowthMiB, tensorPickle, torchFile } from './hostile-builders.js';

const GIB = 1 << 30;
/** What a bomb may add to the peak resident set: far below what it asks for. */
const MAX_GROWTH_MIB = 64;

let dir: string;
let gibOfZeros: { bytes: Uint8Array; crc: number };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trm-bombs-'));
  gibOfZeros = await deflatedZeros(1024);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, bytes: Uint8Array): string => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

/** Reads `path` expecting a CheckpointFormatError; returns it and the peak growth. */
async function refused(
  read: () => Promise<unknown>,
): Promise<{ error: unknown; growthMiB: number }> {
  let error: unknown;
  const growthMiB = await peakGrowthMiB(async () => {
    error = await read().then(
      () => undefined,
      (e: unknown) => e,
    );
  });
  return { error, growthMiB };
}

describe('decompression bombs', () => {
  it('refuses a 1 GiB storage of a 1 MiB file by its declared size, before inflating it', async () => {
    expect(gibOfZeros.bytes.byteLength).toBeLessThan(2 << 20);
    const path = write(
      'declared.pt',
      torchFile(tensorPickle({ 'model.w': { numel: GIB / 4, shape: [GIB / 4], stride: [1] } }), {
        deflated: gibOfZeros.bytes,
        size: GIB,
        crc: gibOfZeros.crc,
      }),
    );
    // The budget of a model of a million weights: what the CLI passes.
    const maxTensorBytes = checkpointBudget(1_000_000);
    const { error, growthMiB } = await refused(() =>
      modelCheckpoint.readModelCheckpoint(path, { maxTensorBytes }),
    );
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect((error as Error).message).toMatch(
      /declared\.pt: tensor "model\.w": the tensors need more than \d+ bytes of memory once read \(the maxTensorBytes limit\)/,
    );
    expect(growthMiB).toBeLessThan(MAX_GROWTH_MIB);
  });

  it('stops a deflate stream that inflates past its declared size while streaming', async () => {
    const path = write(
      'lying.pt',
      torchFile(tensorPickle({ 'model.w': { numel: 16, shape: [16], stride: [1] } }), {
        deflated: gibOfZeros.bytes,
        size: 64,
        crc: gibOfZeros.crc,
      }),
    );
    const started = Date.now();
    const { error, growthMiB } = await refused(() => loadCheckpoint(path));
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect((error as Error).message).toMatch(
      /lying\.pt: corrupt zip entry "a\/data\/0": inflates to more than its declared 64 bytes/,
    );
    expect(growthMiB).toBeLessThan(MAX_GROWTH_MIB);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses a byteorder entry that declares a gigabyte, before inflating it', async () => {
    const path = write(
      'byteorder.pt',
      torchFile(
        tensorPickle({ 'model.w': { numel: 1, shape: [1], stride: [1] } }),
        { data: new Uint8Array(4) },
        [{ name: 'a/byteorder', deflated: gibOfZeros.bytes, size: GIB, crc: gibOfZeros.crc }],
      ),
    );
    const { error, growthMiB } = await refused(() => loadCheckpoint(path));
    expect((error as Error).message).toMatch(
      /byteorder\.pt: corrupt zip entry "a\/byteorder": declares 1073741824 bytes uncompressed, more than the 64/,
    );
    expect(growthMiB).toBeLessThan(MAX_GROWTH_MIB);
  });

  it('reports a deflate stream that ends before its declared size', async () => {
    const mib = 1 << 20;
    const file = torchFile(
      tensorPickle({ 'model.w': { numel: (64 * mib) / 4, shape: [4], stride: [1] } }),
      { deflated: gibOfZeros.bytes.subarray(0, 1000), size: 64 * mib, crc: 0 },
    );
    await expect(loadCheckpoint(file)).rejects.toThrow(
      /<memory>: corrupt zip entry "a\/data\/0": (deflate data is corrupt|inflated to \d+ bytes, expected 67108864)/,
    );
  });
});

describe('allocations the engine or the machine refuses', () => {
  it('become a CheckpointError naming the file, not a bare RangeError', async () => {
    // A petabyte, declared (zip64) and budgeted: no engine or machine allocates that.
    const numel = 2 ** 48;
    const file = torchFile(tensorPickle({ 'model.w': { numel, shape: [4], stride: [1] } }), {
      deflated: gibOfZeros.bytes.subarray(0, 1000),
      size: numel * 4,
      crc: 0,
    });
    const err = await loadCheckpoint(file, { maxTensorBytes: 2 ** 52 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(
      /^<memory>: not enough memory to read it \((Invalid typed array length|Array buffer allocation failed)/,
    );
  });
});

describe('views that blow a storage up', () => {
  it('refuses one element viewed as 25000×25000 through zero strides, without allocating', async () => {
    const path = write(
      'zero-stride.pt',
      torchFile(tensorPickle({ 'model.w': { numel: 1, shape: [25000, 25000], stride: [0, 0] } }), {
        data: new Uint8Array(4),
      }),
    );
    // Even under the default 2 GiB budget: 25000² f32 values are 2.5 GB.
    const { error, growthMiB } = await refused(() => modelCheckpoint.readModelCheckpoint(path));
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect((error as Error).message).toMatch(
      /zero-stride\.pt: tensor "model\.w": the tensors need more than 2147483648 bytes/,
    );
    expect(growthMiB).toBeLessThan(MAX_GROWTH_MIB);
  });

  it('charges the materialised size of every view against the budget', async () => {
    // 1000×1000 from one element: 4 MB once materialised, 4 bytes stored.
    const file = torchFile(
      tensorPickle({ 'model.w': { numel: 1, shape: [1000, 1000], stride: [0, 0] } }),
      { data: new Uint8Array(4) },
    );
    await expect(loadCheckpoint(file, { maxTensorBytes: 1 << 20 })).rejects.toThrow(
      /tensor "model\.w": the tensors need more than 1048576 bytes/,
    );
    const ok = await loadCheckpoint(file, { maxTensorBytes: 8 << 20 });
    expect(ok.tensors.get('model.w')!.data.length).toBe(1_000_000);
  });

  it('checks every view against its storage before reading it', async () => {
    const view = (spec: Parameters<typeof tensorPickle>[0][string], storage = 4) =>
      loadCheckpoint(
        torchFile(tensorPickle({ 'model.w': spec }), { data: new Uint8Array(storage) }),
      );
    await expect(view({ numel: 1, shape: [4, 4], stride: [4, 1] })).rejects.toThrow(
      /tensor "model\.w": view \(offset 0, shape \[4, 4\], stride \[4, 1\]\) reaches element 15 of a storage of 1/,
    );
    await expect(view({ numel: 1, shape: [1], stride: [1], offset: 1_000_000 })).rejects.toThrow(
      /reaches element 1000000 of a storage of 1/,
    );
    await expect(view({ numel: 4, shape: [2], stride: [-1] }, 16)).rejects.toThrow(
      /stride is not a tuple of integers/,
    );
    await expect(view({ numel: 4, shape: [-2], stride: [1] }, 16)).rejects.toThrow(
      /size is not a tuple of integers/,
    );
    // Offsets past 2^53 cannot wrap around or lose precision into a valid-looking index.
    await expect(view({ numel: 1, shape: [2, 2], stride: [2n ** 60n, 2n ** 60n] })).rejects.toThrow(
      /stride is not a tuple of integers|reaches element/,
    );
    await expect(
      view({ numel: 1, shape: [2 ** 30, 2 ** 30, 2 ** 30], stride: [0, 0, 0] }),
    ).rejects.toThrow(/has too many elements|need more than/);
  });
});

describe('budgets and header limits of safetensors files', () => {
  it('budgets from the header, before reading a tensor', async () => {
    const path = join(dir, 'big.safetensors');
    await saveSafetensors(
      path,
      new Map([['model.w', { dtype: 'F32', shape: [1 << 20], data: new Float32Array(1 << 20) }]]),
    );
    await expect(loadCheckpoint(path, { maxTensorBytes: 1 << 20 })).rejects.toThrow(
      /big\.safetensors: tensor "model\.w": the tensors need more than 1048576 bytes/,
    );
    // An f32 tensor is kept as read: 4 MiB needs a 4 MiB budget, not twice that.
    expect((await loadCheckpoint(path, { maxTensorBytes: 4 << 20 })).tensors.size).toBe(1);
  });

  it('refuses a model checkpoint header over 4 MiB without parsing it', async () => {
    const json = Buffer.from(`{"__metadata__":{"pad":"${'x'.repeat(5 << 20)}"}}`);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const path = write('fat-header.safetensors', Buffer.concat([len, json]));
    await expect(modelCheckpoint.readModelCheckpoint(path)).rejects.toThrow(
      /fat-header\.safetensors: safetensors header length \d+ is over the limit of 4194304 bytes/,
    );
    await expect(modelCheckpoint.readCheckpointMetadata(path)).rejects.toThrow(
      /over the limit of 4194304 bytes/,
    );
  });

  it('sizes the budget from the whole state dict of a model', () => {
    const model = {
      stateDict: () =>
        new Map([
          ['model.inner.w', { size: 1000 }],
          ['model.inner.puzzle_emb.weights', { size: 1_000_000 }],
        ]),
    };
    expect(checkpointBudget(model)).toBe(16 * 1_001_000 + (16 << 20));
    expect(checkpointBudget(1000)).toBe(16_000 + (16 << 20));
    expect(() => checkpointBudget(Number.NaN)).toThrow(RangeError);
  });
});
