import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  CheckpointFormatError,
  encodeSafetensors,
  f32ToBf16,
  type HostTensor,
  loadCheckpoint,
  readSafetensors,
  saveSafetensors,
  serializeSafetensors,
} from '../src/checkpoint/index.js';
import {
  decodeValues,
  describeTensor,
  expected,
  fixture,
  pythonWithTorch,
} from './checkpoint-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'trm-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One tensor of every dtype the model uses, with awkward values. */
function sampleTensors(): Map<string, HostTensor> {
  return new Map<string, HostTensor>([
    [
      'model.inner.lm_head.weight',
      { dtype: 'F32', shape: [2, 3], data: Float32Array.of(0.1, -2, 3.5, 1e-38, -0, 7) },
    ],
    [
      'model.inner.bf16',
      { dtype: 'BF16', shape: [3], data: Uint16Array.of(f32ToBf16(1.5), f32ToBf16(-0.1), 0x7f80) },
    ],
    ['model.inner.f16', { dtype: 'F16', shape: [2], data: Uint16Array.of(0x3c00, 0x0001) }],
    ['model.inner.i64', { dtype: 'I64', shape: [2], data: BigInt64Array.of(-(2n ** 60n), 5n) }],
    ['model.inner.i32', { dtype: 'I32', shape: [1, 2], data: Int32Array.of(-7, 2 ** 31 - 1) }],
    ['model.inner.mask', { dtype: 'BOOL', shape: [3], data: Uint8Array.of(1, 0, 1) }],
    ['model.inner.u8', { dtype: 'U8', shape: [2], data: Uint8Array.of(0, 255) }],
    ['model.inner.f64', { dtype: 'F64', shape: [1], data: Float64Array.of(Math.PI) }],
    ['scalar', { dtype: 'F32', shape: [], data: Float32Array.of(2.5) }],
    ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
  ]);
}

const META = {
  config: JSON.stringify({ hidden_size: 512, L_layers: 2, arch: 'trm' }),
  step: '1234',
  'ünïcode key': 'välue ✓',
};

describe('safetensors', () => {
  it('reads the Python-written fixture exactly, metadata included', async () => {
    const { tensors, metadata } = await readSafetensors(fixture('fixture.safetensors'));
    expect(metadata).toEqual(expected.safetensors.metadata);
    expect([...tensors.keys()].sort()).toEqual(Object.keys(expected.safetensors.tensors).sort());
    for (const [key, want] of Object.entries(expected.safetensors.tensors)) {
      const got = tensors.get(key)!;
      expect(got.shape, key).toEqual(want.shape);
      expect(Array.from(got.data as ArrayLike<number | bigint>), key).toEqual(decodeValues(want));
    }
    // From memory too, including a pooled Node Buffer at an odd byte offset.
    const pooled = Buffer.from(readFileSync(fixture('fixture.safetensors')));
    const fromMemory = await loadCheckpoint(Buffer.concat([Buffer.from([1]), pooled]).subarray(1));
    expect(fromMemory.tensors.get('b.weight')).toEqual(tensors.get('b.weight'));
    const viaLoad = await loadCheckpoint(fixture('fixture.safetensors'));
    expect(viaLoad.format).toBe('safetensors');
    expect(viaLoad.metadata).toEqual(expected.safetensors.metadata);
  });

  it('round-trips every dtype bit for bit, with metadata', async () => {
    const path = join(dir, 'roundtrip.safetensors');
    const tensors = sampleTensors();
    await saveSafetensors(path, tensors, META);
    const back = await readSafetensors(path, { float16: 'raw' });
    expect(back.metadata).toEqual(META);
    expect(back.tensors.size).toBe(tensors.size);
    for (const [name, t] of tensors) {
      const got = back.tensors.get(name)!;
      expect(got.dtype, name).toBe(t.dtype);
      expect(got.shape, name).toEqual(t.shape);
      expect(got.data.constructor, name).toBe(t.data.constructor);
      expect(Array.from(got.data as ArrayLike<number | bigint>), name).toEqual(
        Array.from(t.data as ArrayLike<number | bigint>),
      );
    }
    // Serialising the read-back tensors gives the same bytes.
    expect(Buffer.from(serializeSafetensors(back.tensors, back.metadata))).toEqual(
      readFileSync(path),
    );
  });

  it('lays out data like the reference library: widest dtype first, then by name, aligned', () => {
    const bytes = serializeSafetensors(sampleTensors(), { a: 'b' });
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(headerText.startsWith('{"__metadata__":{"a":"b"},')).toBe(true);
    expect(headerText.trimEnd().endsWith('}')).toBe(true);
    const header = JSON.parse(headerText) as Record<
      string,
      { dtype: string; data_offsets: [number, number] }
    >;
    const order = Object.entries(header)
      .filter(([k]) => k !== '__metadata__')
      .sort(
        (a, b) =>
          a[1].data_offsets[0] - b[1].data_offsets[0] ||
          a[1].data_offsets[1] - b[1].data_offsets[1],
      )
      .map(([k, v]) => `${v.dtype}:${k}`);
    expect(order).toEqual([
      'I64:model.inner.i64',
      'F64:model.inner.f64',
      'F32:empty',
      'F32:model.inner.lm_head.weight',
      'F32:scalar',
      'I32:model.inner.i32',
      'BF16:model.inner.bf16',
      'F16:model.inner.f16',
      'U8:model.inner.u8',
      'BOOL:model.inner.mask',
    ]);
  });

  it('converts F16/BF16 to F32 by default and I64 to I32 on request', async () => {
    const path = join(dir, 'convert.safetensors');
    await saveSafetensors(path, {
      w: { dtype: 'BF16', shape: [2], data: Float32Array.of(1.00390625, -3) }, // rounds to even
      h: { dtype: 'F16', shape: [1], data: Float32Array.of(0.1) },
      ids: { dtype: 'I64', shape: [2], data: BigInt64Array.of(3n, -4n) },
    });
    const { tensors } = await readSafetensors(path, { int64: 'int32' });
    expect(tensors.get('w')).toEqual({ dtype: 'F32', shape: [2], data: Float32Array.of(1, -3) });
    expect(tensors.get('h')!.data).toEqual(Float32Array.of(0.0999755859375));
    expect(tensors.get('ids')).toEqual({ dtype: 'I32', shape: [2], data: Int32Array.of(3, -4) });
  });

  it('writes atomically: no temporary file is left behind, even on failure', async () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const path = join(sub, 'model.safetensors');
    await saveSafetensors(path, sampleTensors(), META);
    await saveSafetensors(path, sampleTensors(), { ...META, step: '1235' }); // overwrite
    expect(readdirSync(sub)).toEqual(['model.safetensors']);
    expect((await readSafetensors(path)).metadata.step).toBe('1235');
    // A failing write leaves the old file intact and no temporary file.
    await expect(
      saveSafetensors(path, { bad: { dtype: 'F32', shape: [3], data: Float32Array.of(1) } }),
    ).rejects.toThrow(/tensor "bad": shape \[3\] has 3 elements but the data has 1/);
    await expect(saveSafetensors(join(sub, 'missing-dir', 'x.safetensors'), {})).rejects.toThrow(
      /ENOENT/,
    );
    expect(readdirSync(sub)).toEqual(['model.safetensors']);
    expect((await readSafetensors(path)).metadata.step).toBe('1235');
  });

  it('validates what it writes', () => {
    const bad = (t: Record<string, unknown>, meta?: Record<string, string>) => () =>
      encodeSafetensors(t as unknown as Record<string, HostTensor>, meta);
    expect(bad({ x: { dtype: 'F32', shape: [1], data: Int32Array.of(1) } })).toThrow(
      /tensor "x": F32 data must be a Float32Array, got Int32Array/,
    );
    expect(bad({ x: { dtype: 'Q4', shape: [1], data: Float32Array.of(1) } })).toThrow(
      /unknown dtype "Q4"/,
    );
    expect(bad({ x: { dtype: 'F32', shape: [-1], data: Float32Array.of(1) } })).toThrow(
      /non-negative integers/,
    );
    expect(bad({ __metadata__: { dtype: 'F32', shape: [], data: Float32Array.of(1) } })).toThrow(
      /reserved/,
    );
    expect(bad({}, { n: 3 as unknown as string })).toThrow(/metadata value "n" must be a string/);
  });
});

describe('safetensors errors name the file and tensor', () => {
  const good = serializeSafetensors(sampleTensors(), META);
  const headerLen = Number(Buffer.from(good).readBigUInt64LE(0));

  /** Rewrites the JSON header (re-padded) and keeps the data section. */
  // biome-ignore lint/suspicious/noExplicitAny: the tests corrupt arbitrary JSON fields
  function withHeader(edit: (h: Record<string, any>) => void, data = good.subarray(8 + headerLen)) {
    const h = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + headerLen)));
    edit(h);
    let json = Buffer.from(JSON.stringify(h));
    json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    return new Uint8Array(Buffer.concat([len, json, data]));
  }

  async function errorOf(bytes: Uint8Array, name = 'bad.safetensors'): Promise<Error> {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    const err = await readSafetensors(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointFormatError);
    expect((err as Error).message.startsWith(`${path}: `)).toBe(true);
    return err as Error;
  }

  it('truncated file', async () => {
    expect((await errorOf(good.subarray(0, 5))).message).toMatch(/truncated: 5 bytes/);
    expect((await errorOf(good.subarray(0, good.length - 3))).message).toMatch(
      /tensor "[^"]+": data_offsets \[\d+, \d+\] out of range: the data section has \d+ bytes \(truncated file\?\)/,
    );
    expect((await errorOf(good.subarray(0, 8 + headerLen - 1))).message).toMatch(
      /header length \d+ overflows the file/,
    );
  });

  it('header length overflow and limit', async () => {
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 2n ** 62n, true);
    expect((await errorOf(huge)).message).toMatch(
      /header length 4611686018427387904 is over the limit of 100000000 bytes/,
    );
    const big = good.slice();
    new DataView(big.buffer).setBigUint64(0, 50_000_000n, true);
    expect((await errorOf(big)).message).toMatch(/header length 50000000 overflows the file/);
    await expect(readSafetensors(good, { maxHeaderBytes: 64 })).rejects.toThrow(
      /over the limit of 64 bytes/,
    );
  });

  it('bad magic / not JSON', async () => {
    const junk = new TextEncoder().encode('\x10\x00\x00\x00\x00\x00\x00\x00not json at all!');
    expect((await errorOf(junk)).message).toMatch(/header is not valid JSON/);
    const arr = withHeader(() => {});
    arr.set(new TextEncoder().encode('[ '), 8);
    expect((await errorOf(arr)).message).toMatch(/not valid JSON|not a JSON object/);
    await expect(loadCheckpoint(new Uint8Array(64))).rejects.toThrow(
      /unrecognised checkpoint format/,
    );
  });

  it('offsets out of range, overlapping, with gaps, or not matching the shape', async () => {
    const oob = withHeader((h) => {
      h.scalar.data_offsets = [0, 10_000];
    });
    expect((await errorOf(oob)).message).toMatch(
      /tensor "scalar": data_offsets \[0, 10000\] out of range/,
    );
    const overlap = withHeader((h) => {
      const [a] = h['model.inner.i32'].data_offsets;
      h['model.inner.i32'].data_offsets = [a - 4, a + 4];
    });
    expect((await errorOf(overlap)).message).toMatch(
      /tensor "model\.inner\.i32": data_offsets .* overlap tensor/,
    );
    const size = withHeader((h) => {
      h['model.inner.lm_head.weight'].shape = [3, 3];
    });
    expect((await errorOf(size)).message).toMatch(
      /tensor "model\.inner\.lm_head\.weight": data_offsets \[\d+, \d+\] span 24 bytes but shape \[3, 3\] of F32 needs 36/,
    );
    const gap = withHeader((h) => {
      h['model.inner.u8'] = undefined;
      delete h['model.inner.u8'];
    });
    expect((await errorOf(gap)).message).toMatch(
      /leave a gap|cover \d+ bytes but the data section has/,
    );
    const trailing = withHeader(
      () => {},
      Buffer.concat([good.subarray(8 + headerLen), Buffer.alloc(8)]),
    );
    expect((await errorOf(trailing)).message).toMatch(
      /the tensors cover \d+ bytes but the data section has \d+ bytes/,
    );
    const negative = withHeader((h) => {
      h.scalar.data_offsets = [8, 4];
    });
    expect((await errorOf(negative)).message).toMatch(
      /tensor "scalar": data_offsets \[8,4\] is not \[begin, end\]/,
    );
  });

  it('unknown dtypes, bad shapes and bad metadata', async () => {
    const dtype = withHeader((h) => {
      h.scalar.dtype = 'F7';
    });
    expect((await errorOf(dtype)).message).toMatch(/tensor "scalar": unknown dtype "F7"/);
    const shape = withHeader((h) => {
      h.scalar.shape = [1.5];
    });
    expect((await errorOf(shape)).message).toMatch(/tensor "scalar": shape \[1\.5\] is not a list/);
    const meta = withHeader((h) => {
      h.__metadata__.step = 5;
    });
    expect((await errorOf(meta)).message).toMatch(/__metadata__ value "step" is not a string/);
  });

  it('every truncation is a CheckpointError', async () => {
    for (let n = 0; n < good.length; n += 13) {
      const err = await readSafetensors(good.subarray(0, n)).catch((e: unknown) => e);
      expect(err, `length ${n}`).toBeInstanceOf(CheckpointError);
    }
  });
});

describe.skipIf(pythonWithTorch() === null)('Python/PyTorch reads our safetensors', () => {
  it('values, dtypes, shapes and metadata match in Python', async () => {
    const path = join(dir, 'for-python.safetensors');
    const tensors = sampleTensors();
    tensors.set('nan', {
      dtype: 'F32',
      shape: [2],
      data: Float32Array.of(Number.NaN, Number.NEGATIVE_INFINITY),
    });
    await saveSafetensors(path, tensors, META);
    const r = spawnSync(pythonWithTorch()!, [fixture('read_safetensors.py'), path], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const py = JSON.parse(r.stdout) as {
      metadata: Record<string, string>;
      tensors: Record<string, ReturnType<typeof describeTensor>>;
    };
    expect(py.metadata).toEqual(META);
    // Python sees what we see when we read the file back with halves converted to f32.
    const ours = (await readSafetensors(path)).tensors;
    expect(Object.keys(py.tensors).sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const mine = describeTensor(ours.get(name)!);
      expect(py.tensors[name], name).toEqual({ ...mine, dtype: t.dtype });
    }
  });
});
