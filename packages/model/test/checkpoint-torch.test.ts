import { existsSync, readFileSync, rmSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  CheckpointFormatError,
  CheckpointSecurityError,
  loadCheckpoint,
  readTorchCheckpoint,
  TORCH_ALLOWED_GLOBALS,
} from '../src/checkpoint/index.js';
import { memorySource } from '../src/checkpoint/source.js';
import { readZipDirectory } from '../src/checkpoint/zip.js';
import { decodeValues, expected, fixture } from './checkpoint-helpers.js';

const PWNED = '/tmp/trm-pwned';
const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16']);

describe('torch.save reader', () => {
  for (const name of ['state_dict.pt', 'state_dict_deflate.pt', 'state_dict_zip64.pt']) {
    it(`reads ${name} exactly (f32, bf16, f16, i64, i32, bool, u8, views, shared storage)`, async () => {
      const tensors = await readTorchCheckpoint(fixture(name));
      expect([...tensors.keys()]).toEqual(Object.keys(expected.state_dict));
      for (const [key, want] of Object.entries(expected.state_dict)) {
        const got = tensors.get(key)!;
        // F16/BF16 are converted exactly to F32 by default.
        expect(got.dtype, key).toBe(FLOAT_DTYPES.has(want.dtype) ? 'F32' : want.dtype);
        expect(got.shape, key).toEqual(want.shape);
        expect(Array.from(got.data as ArrayLike<number | bigint>), key).toEqual(decodeValues(want));
      }
      const i64 = tensors.get('_orig_mod.model.inner.i64')!;
      expect(i64.data).toBeInstanceOf(BigInt64Array);
      expect(tensors.get('_orig_mod.model.inner.bool')!.data).toBeInstanceOf(Uint8Array);
      expect(tensors.get('_orig_mod.model.inner.f32')!.data).toBeInstanceOf(Float32Array);
    });
  }

  it('keeps raw half bits on request and converts int64 to int32 with a range check', async () => {
    const raw = await readTorchCheckpoint(fixture('state_dict.pt'), { float16: 'raw' });
    const bf16 = raw.get('_orig_mod.model.inner.bf16')!;
    expect(bf16.dtype).toBe('BF16');
    expect(bf16.data).toBeInstanceOf(Uint16Array);
    expect((bf16.data as Uint16Array)[0]).toBe(0x3f80); // 1.0
    const tbf = raw.get('_orig_mod.model.inner.transposed_bf16')!;
    expect(tbf.shape).toEqual([3, 2]);
    expect(tbf.dtype).toBe('BF16');

    await expect(readTorchCheckpoint(fixture('state_dict.pt'), { int64: 'int32' })).rejects.toThrow(
      /tensor "_orig_mod\.model\.inner\.i64": I64 element 2 \(1099511627776\) does not fit in int32/,
    );

    const small = raw.get('_orig_mod.model.inner.i64_small')!;
    expect(Array.from(small.data as BigInt64Array)).toEqual([1n, -2n, 3n, 2147483647n]);
  });

  it('loadCheckpoint sniffs the zip format', async () => {
    const ckpt = await loadCheckpoint(fixture('state_dict.pt'));
    expect(ckpt.format).toBe('torch');
    expect(ckpt.metadata).toEqual({});
    expect(ckpt.tensors.size).toBe(Object.keys(expected.state_dict).length);
  });

  it('allow-list holds only tensor-rebuilding names', () => {
    for (const g of TORCH_ALLOWED_GLOBALS)
      expect(g).toMatch(/^(torch\.|collections\.OrderedDict$)/);
  });
});

describe('malicious pickles', () => {
  beforeAll(() => rmSync(PWNED, { force: true }));

  const cases: Array<[string, RegExp]> = [
    ['malicious_reduce.pt', /^(posix|os)\.system$/],
    ['malicious_global.pt', /^os\.system$/],
    ['malicious_stack_global.pt', /^builtins\.eval$/],
  ];
  for (const [name, global] of cases) {
    it(`refuses ${name} with CheckpointSecurityError and runs nothing`, async () => {
      const err = await loadCheckpoint(fixture(name)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckpointSecurityError);
      const sec = err as CheckpointSecurityError;
      expect(sec.global).toMatch(global);
      expect(sec.message).toContain(sec.global);
      expect(sec.message).toContain(fixture(name));
      expect(existsSync(PWNED)).toBe(false);
    });
  }
});

describe('torch.save errors', () => {
  const bytes = new Uint8Array(readFileSync(fixture('state_dict.pt')));

  it('refuses the legacy non-zip format with a clear message', async () => {
    await expect(loadCheckpoint(fixture('legacy.pt'))).rejects.toThrow(
      /legacy\.pt: this is the legacy \(pre-1\.6, non-zip\) torch\.save format/,
    );
    await expect(readTorchCheckpoint(fixture('legacy.pt'))).rejects.toThrow(/legacy/);
  });

  it('reports truncated files, at every length, as CheckpointFormatError', async () => {
    for (let n = 0; n < bytes.length; n += 97) {
      const err = await loadCheckpoint(bytes.subarray(0, n)).catch((e: unknown) => e);
      expect(err, `length ${n}`).toBeInstanceOf(CheckpointFormatError);
      expect((err as Error).message).toMatch(/^<memory>: /);
    }
    await expect(loadCheckpoint(bytes.subarray(0, bytes.length - 30))).rejects.toThrow(
      /<memory>: (corrupt zip archive|truncated)/,
    );
  });

  it('detects corrupted storage bytes through the zip CRC', async () => {
    const name = 'state_dict/data/0';
    const at = Buffer.from(bytes).indexOf(Buffer.from(name));
    expect(at).toBeGreaterThan(0);
    // The first occurrence is the local header: the data follows the name and extra field.
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const header = at - 30;
    const dataStart = at + name.length + view.getUint16(header + 28, true);
    const bad = bytes.slice();
    bad[dataStart]! ^= 0xff;
    await expect(loadCheckpoint(bad)).rejects.toThrow(
      /corrupt zip entry "state_dict\/data\/0": CRC-32 mismatch/,
    );
    // Without the CRC check the flipped byte goes through.
    const ok = await loadCheckpoint(bad, { verifyCrc: false });
    expect(ok.tensors.size).toBeGreaterThan(0);
  });

  it('never fails with anything but a CheckpointError on corrupted pickles', async () => {
    const name = 'state_dict/data.pkl';
    const at = Buffer.from(bytes).indexOf(Buffer.from(name));
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const dataStart = at + name.length + view.getUint16(at - 30 + 28, true);
    // torch writes sizes in data descriptors, so take the size from the central directory.
    const size = (await readZipDirectory(memorySource(bytes))).get(name)!.uncompressedSize;
    expect(size).toBeGreaterThan(100);
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let failures = 0;
    for (let i = 0; i < 300; i++) {
      const bad = bytes.slice();
      bad[dataStart + rand(size)] = rand(256);
      const r = await loadCheckpoint(bad, { verifyCrc: false }).catch((e: unknown) => e);
      if (r instanceof Error) {
        expect(r, r.stack).toBeInstanceOf(CheckpointError);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(0);
  });

  it('rejects files that are not checkpoints and limits sizes', async () => {
    await expect(
      loadCheckpoint(new TextEncoder().encode('hello world, not a checkpoint')),
    ).rejects.toThrow(/<memory>: unrecognised checkpoint format \(bad magic bytes\)/);
    await expect(readTorchCheckpoint(new Uint8Array(40))).rejects.toThrow(/not a zip archive/);
    await expect(loadCheckpoint(fixture('state_dict.pt'), { maxBytes: 1000 })).rejects.toThrow(
      /state_dict\.pt: file is \d+ bytes, over the limit of 1000 bytes/,
    );
    await expect(loadCheckpoint(fixture('state_dict.pt'), { maxHeaderBytes: 100 })).rejects.toThrow(
      /data\.pkl is \d+ bytes, over the limit of 100/,
    );
  });
});
