import { describe, expect, it } from 'vitest';
import {
  appendPuzzleEmbeddingRows,
  bf16ToF32,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  type HostTensor,
  loadCheckpoint,
  normalizeStateDict,
  PUZZLE_EMB_KEY,
  resizePuzzleEmbedding,
  sniffCheckpointFormat,
  stripStateDictPrefix,
} from '../src/checkpoint/index.js';
import { fixture } from './checkpoint-helpers.js';

const f32 = (shape: number[], values: number[]): HostTensor => ({
  dtype: 'F32',
  shape,
  data: Float32Array.from(values),
});

describe('state-dict prefixes', () => {
  it('strips a leading _orig_mod. and/or module.', () => {
    expect(stripStateDictPrefix('_orig_mod.model.inner.H_init')).toBe('model.inner.H_init');
    expect(stripStateDictPrefix('module.model.inner.H_init')).toBe('model.inner.H_init');
    expect(stripStateDictPrefix('module._orig_mod.model.x')).toBe('model.x');
    expect(stripStateDictPrefix('_orig_mod.module.model.x')).toBe('model.x');
    expect(stripStateDictPrefix('model.inner.module.weight')).toBe('model.inner.module.weight');
    expect(stripStateDictPrefix('model._orig_mod.x')).toBe('model._orig_mod.x');
  });

  it('normalises the torch fixture: prefixes stripped, halves as F32', async () => {
    const { tensors } = await loadCheckpoint(fixture('state_dict.pt'), { float16: 'raw' });
    const norm = normalizeStateDict(tensors);
    expect([...norm.keys()].every((k) => k.startsWith('model.inner.'))).toBe(true);
    expect(norm.size).toBe(tensors.size);
    const bf16 = norm.get('model.inner.bf16')!;
    expect(bf16.dtype).toBe('F32');
    expect(bf16.data).toBeInstanceOf(Float32Array);
    expect((bf16.data as Float32Array)[2]).toBe(3.140625);
    expect(norm.get('model.inner.f16')!.dtype).toBe('F32');
    expect(norm.get('model.inner.i64')!.dtype).toBe('I64');
  });

  it('refuses keys that collide after stripping', () => {
    const m = new Map([
      ['module.a', f32([1], [1])],
      ['a', f32([1], [2])],
    ]);
    expect(() => normalizeStateDict(m)).toThrow(/"module\.a" and "a" both become "a"/);
  });
});

describe('appendPuzzleEmbeddingRows', () => {
  const table = f32([3, 2], [1, 10, 2, 20, 6, 60]);

  it('keeps the rows and appends mean rows after them', () => {
    const other = f32([1], [5]);
    const loaded = new Map([
      [PUZZLE_EMB_KEY, table],
      ['other', other],
    ]);
    const out = appendPuzzleEmbeddingRows(loaded, 2);
    expect(out.get(PUZZLE_EMB_KEY)).toEqual(f32([5, 2], [1, 10, 2, 20, 6, 60, 3, 30, 3, 30]));
    expect(out.get('other')).toBe(other);
    expect(loaded.get(PUZZLE_EMB_KEY)).toBe(table); // input untouched
    expect(appendPuzzleEmbeddingRows(loaded, 0).get(PUZZLE_EMB_KEY)).toEqual(table);
  });

  it('refuses a missing table, a bad count and an empty table', () => {
    expect(() => appendPuzzleEmbeddingRows(new Map(), 1)).toThrow(/no "model.inner.puzzle_emb/);
    expect(() => appendPuzzleEmbeddingRows(new Map([[PUZZLE_EMB_KEY, table]]), -1)).toThrow(
      /count/,
    );
    const empty = new Map([[PUZZLE_EMB_KEY, f32([0, 2], [])]]);
    expect(() => appendPuzzleEmbeddingRows(empty, 1)).toThrow(/empty/);
  });
});

describe('resizePuzzleEmbedding', () => {
  const table = f32([3, 2], [1, 10, 2, 20, 6, 60]);

  it('replaces a table of another shape by its mean row broadcast to the new shape', () => {
    const other = f32([1], [5]);
    const loaded = new Map([
      [PUZZLE_EMB_KEY, table],
      ['other', other],
    ]);
    const out = resizePuzzleEmbedding(loaded, [4, 2]);
    expect(out.get(PUZZLE_EMB_KEY)).toEqual(f32([4, 2], [3, 30, 3, 30, 3, 30, 3, 30]));
    expect(out.get('other')).toBe(other);
    expect(loaded.get(PUZZLE_EMB_KEY)).toBe(table); // input untouched
    // Shrinking works the same way.
    expect(resizePuzzleEmbedding(loaded, [1, 2]).get(PUZZLE_EMB_KEY)).toEqual(f32([1, 2], [3, 30]));
  });

  it('leaves a matching or missing table alone', () => {
    const loaded = new Map([[PUZZLE_EMB_KEY, table]]);
    expect(resizePuzzleEmbedding(loaded, [3, 2]).get(PUZZLE_EMB_KEY)).toBe(table);
    expect(resizePuzzleEmbedding(new Map([['x', table]]), [9, 2]).has(PUZZLE_EMB_KEY)).toBe(false);
  });

  it('works on the bf16 table of the torch fixture after normalisation', async () => {
    const norm = normalizeStateDict((await loadCheckpoint(fixture('state_dict.pt'))).tensors);
    const key = 'model.inner.puzzle_emb.weights';
    expect(norm.get(key)!.shape).toEqual([3, 4]);
    const out = resizePuzzleEmbedding(norm, [5, 4]);
    // rows [1,2,3,4], [3,2,1,0], [2,5,-1,0.5] → mean [2, 3, 1, 1.5]
    expect(Array.from(out.get(key)!.data as Float32Array)).toEqual(
      Array.from({ length: 5 }, () => [2, 3, 1, 1.5]).flat(),
    );
  });

  it('explains shapes that cannot be broadcast', () => {
    const loaded = new Map([[PUZZLE_EMB_KEY, table]]);
    expect(() => resizePuzzleEmbedding(loaded, [3, 4])).toThrow(
      /mean row of 2 cannot broadcast to 4 columns/,
    );
    expect(() => resizePuzzleEmbedding(loaded, [6])).toThrow(/only 2-D/);
    const empty = new Map([[PUZZLE_EMB_KEY, f32([0, 2], [])]]);
    expect(() => resizePuzzleEmbedding(empty, [3, 2])).toThrow(/empty/);
  });
});

describe('half-precision conversions', () => {
  it('bf16 and f16 bits round-trip through f32 for every pattern', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const b = bf16ToF32(bits);
      const h = f16ToF32(bits);
      if (Number.isNaN(b)) expect(Number.isNaN(bf16ToF32(f32ToBf16(b)))).toBe(true);
      else expect(f32ToBf16(b)).toBe(bits);
      if (Number.isNaN(h)) expect(Number.isNaN(f16ToF32(f32ToF16(h)))).toBe(true);
      else expect(f32ToF16(h)).toBe(bits);
    }
  });

  it('rounds to nearest even', () => {
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie → even (down)
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie → even (up)
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00);
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToF16(65520)).toBe(0x7c00); // rounds to inf
    expect(f32ToF16(2 ** -25)).toBe(0); // tie with 0 → even
    expect(f32ToF16(2 ** -25 * 1.5)).toBe(1);
  });
});

describe('format sniffing', () => {
  it('recognises zip, legacy pickle and safetensors magic', () => {
    expect(sniffCheckpointFormat(Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0))).toBe('torch');
    expect(sniffCheckpointFormat(Uint8Array.of(0x80, 2, 0x8a, 0x0a))).toBe('torch-legacy');
    expect(sniffCheckpointFormat(Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 0, 0x7b))).toBe('safetensors');
    expect(sniffCheckpointFormat(Uint8Array.of(1, 2, 3))).toBe('unknown');
  });
});
