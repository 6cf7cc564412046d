import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  CheckpointFormatError,
  encodeZip,
  type HostTensor,
  loadCheckpoint,
  PickleWriter,
  readTorchCheckpoint,
  saveSafetensors,
  saveTorchCheckpoint,
  serializeTorchCheckpoint,
  TORCH_ZIP_ALIGNMENT,
} from '../src/checkpoint/index.js';
import { PyCallable, unpickle } from '../src/checkpoint/pickle.js';
import { memorySource } from '../src/checkpoint/source.js';
import { readZipDirectory, readZipEntry } from '../src/checkpoint/zip.js';
import { exportTorchCheckpoint, readExportableStateDict } from '../src/export-checkpoint.js';
import { fixture, pythonWithTorch } from './checkpoint-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'trm-torch-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const UPDATE = process.env.TRM_UPDATE_FIXTURES === '1';

/** One tensor of every dtype a torch storage holds, plus a scalar and an empty tensor. */
function sampleTensors(): Map<string, HostTensor> {
  return new Map<string, HostTensor>([
    [
      'model.inner.lm_head.weight',
      { dtype: 'F32', shape: [2, 3], data: Float32Array.of(0.1, -2, 3.5, 1e-38, -0, Number.NaN) },
    ],
    [
      'model.inner.bf16',
      { dtype: 'BF16', shape: [3], data: Uint16Array.of(0x3fc0, 0xbdcd, 0x7f80) },
    ],
    ['model.inner.f16', { dtype: 'F16', shape: [2], data: Uint16Array.of(0x3c00, 0x0001) }],
    ['model.inner.f64', { dtype: 'F64', shape: [1], data: Float64Array.of(Math.PI) }],
    ['model.inner.i64', { dtype: 'I64', shape: [2], data: BigInt64Array.of(-(2n ** 60n), 5n) }],
    ['model.inner.i32', { dtype: 'I32', shape: [1, 2], data: Int32Array.of(-(2 ** 31), 7) }],
    ['model.inner.i16', { dtype: 'I16', shape: [2], data: Int16Array.of(-32768, 1) }],
    ['model.inner.i8', { dtype: 'I8', shape: [2], data: Int8Array.of(-128, 127) }],
    ['model.inner.u8', { dtype: 'U8', shape: [3], data: Uint8Array.of(0, 7, 255) }],
    ['model.inner.bool', { dtype: 'BOOL', shape: [2, 1], data: Uint8Array.of(1, 0) }],
    ['model.inner.scalar', { dtype: 'F32', shape: [], data: Float32Array.of(2.5) }],
    ['model.inner.empty', { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) }],
  ]);
}

const bytesOf = (t: HostTensor): Uint8Array =>
  new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

function expectBitIdentical(got: Map<string, HostTensor>, want: Map<string, HostTensor>): void {
  expect([...got.keys()]).toEqual([...want.keys()]);
  for (const [name, t] of want) {
    const g = got.get(name)!;
    expect(g.dtype, name).toBe(t.dtype);
    expect(g.shape, name).toEqual(t.shape);
    expect(Buffer.from(bytesOf(g)).equals(Buffer.from(bytesOf(t))), name).toBe(true);
  }
}

describe('PickleWriter', () => {
  const read = (bytes: Uint8Array) =>
    unpickle(bytes, {
      file: '<test>',
      findClass: (m, n) => new PyCallable(`${m}.${n}`, (args) => ({ called: `${m}.${n}`, args })),
      persistentLoad: (pid) => ({ pid }),
    });

  it('writes integers of every width, strings and booleans that unpickle to themselves', () => {
    const ints = [
      0,
      1,
      255,
      256,
      65535,
      65536,
      -1,
      -129,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 31,
      2 ** 40,
      -(2 ** 53) + 1,
    ];
    const w = new PickleWriter().mark();
    for (const v of ints) w.int(v);
    w.string('ünïcode ✓').bool(true).bool(false).intTuple([]).intTuple([4, 5, 6, 7]);
    w.tupleFromMark();
    expect(read(w.finish())).toEqual([...ints, 'ünïcode ✓', true, false, [], [4, 5, 6, 7]]);
  });

  it('memoises globals: written once, fetched after', () => {
    const w = new PickleWriter().mark();
    for (let i = 0; i < 3; i++) w.global('collections', 'OrderedDict').emptyTuple().reduce();
    const bytes = w.tupleFromMark().finish();
    const text = Buffer.from(bytes).toString('latin1');
    expect(text.split('collections\nOrderedDict\n').length - 1).toBe(1);
    expect(read(bytes)).toEqual(Array(3).fill({ called: 'collections.OrderedDict', args: [] }));
  });

  it('refuses a non-integer', () => {
    expect(() => new PickleWriter().int(1.5)).toThrow(RangeError);
  });
});

describe('encodeZip', () => {
  it('aligns every entry to 64 bytes and reads back with the zip reader', async () => {
    const entries = [
      { name: 'archive/data.pkl', data: Uint8Array.of(1, 2, 3) },
      { name: 'archive/data/0', data: new Uint8Array(100).fill(7) },
      { name: 'archive/empty', data: new Uint8Array(0) },
      { name: 'archive/version', data: new TextEncoder().encode('3\n') },
    ];
    const chunks = encodeZip(entries);
    const buf = Buffer.concat(chunks);
    const src = memorySource(new Uint8Array(buf));
    const dirEntries = await readZipDirectory(src);
    expect([...dirEntries.keys()]).toEqual(entries.map((e) => e.name));
    for (const e of entries) {
      const z = dirEntries.get(e.name)!;
      expect(z.method).toBe(0);
      const nameLen = buf.readUInt16LE(z.localHeaderOffset + 26);
      const extraLen = buf.readUInt16LE(z.localHeaderOffset + 28);
      expect((z.localHeaderOffset + 30 + nameLen + extraLen) % TORCH_ZIP_ALIGNMENT, e.name).toBe(0);
      expect(
        buf.toString(
          'latin1',
          z.localHeaderOffset + 30 + nameLen,
          z.localHeaderOffset + 32 + nameLen,
        ),
      ).toBe('FB');
      expect(Buffer.from(await readZipEntry(src, z)).equals(Buffer.from(e.data))).toBe(true);
    }
  });

  it('refuses duplicate names', () => {
    const e = { name: 'a', data: new Uint8Array(1) };
    expect(() => encodeZip([e, e], 'x.pt')).toThrow(/duplicate zip entry "a"/);
  });
});

describe('torch.save writer', () => {
  it('round trip: our torch.save reader gives back the names, dtypes, shapes and bits', async () => {
    const tensors = sampleTensors();
    const path = join(dir, 'sample.pt');
    await saveTorchCheckpoint(path, tensors);
    const back = await readTorchCheckpoint(path, { float16: 'raw' });
    expectBitIdentical(back, tensors);
    const ckpt = await loadCheckpoint(path, { float16: 'raw' });
    expect(ckpt.format).toBe('torch');
    expectBitIdentical(ckpt.tensors, tensors);
  });

  it('writes the archive layout of torch.save, the same bytes every time', async () => {
    const bytes = serializeTorchCheckpoint(sampleTensors());
    expect(Buffer.from(serializeTorchCheckpoint(sampleTensors())).equals(Buffer.from(bytes))).toBe(
      true,
    );
    const names = [...(await readZipDirectory(memorySource(bytes))).keys()];
    expect(names[0]).toBe('archive/data.pkl');
    expect(names[1]).toBe('archive/byteorder');
    expect(names.at(-1)).toBe('archive/version');
    // Storages in torch.save's string order: 0, 1, 10, 11, 2, …
    expect(names.slice(2, 6)).toEqual([
      'archive/data/0',
      'archive/data/1',
      'archive/data/10',
      'archive/data/11',
    ]);
    const pkl = Buffer.from(bytes).toString('latin1');
    for (const g of [
      'collections\nOrderedDict\n',
      'torch._utils\n_rebuild_tensor_v2\n',
      'torch\nFloatStorage\n',
    ])
      expect(pkl).toContain(g);
  });

  it('refuses dtypes torch has no storage for, and data that does not match', () => {
    expect(() =>
      serializeTorchCheckpoint(
        new Map([['u16', { dtype: 'U16', shape: [1], data: Uint16Array.of(1) }]]),
      ),
    ).toThrow(/no storage type for U16/);
    expect(() =>
      serializeTorchCheckpoint(
        new Map([['x', { dtype: 'F32', shape: [2], data: Float32Array.of(1) }]]),
      ),
    ).toThrow(CheckpointError);
  });
});

describe('exporting a checkpoint to torch.save', () => {
  it('keeps the model weights of a torch.save file bit for bit, prefixes stripped', async () => {
    const src = fixture('state_dict.pt');
    const out = join(dir, 'from-torch.pt');
    const r = await exportTorchCheckpoint(src, out);
    const original = await readTorchCheckpoint(src, { float16: 'raw' });
    const stripped = new Map([...original].map(([k, v]) => [k.replace(/^_orig_mod\./, ''), v]));
    expectBitIdentical(await readTorchCheckpoint(out, { float16: 'raw' }), stripped);
    expect(r.format).toBe('torch');
    expect(r.skipped).toEqual([]);
  });

  it('keeps the weights of our safetensors and leaves other tensors out', async () => {
    const src = join(dir, 'ours.safetensors');
    const weights = sampleTensors();
    await saveSafetensors(
      src,
      new Map([...weights, ['adam/m/x', { dtype: 'F32', shape: [1], data: Float32Array.of(1) }]]),
      {
        format: 'trm',
      },
    );
    const out = join(dir, 'ours.pt');
    const r = await exportTorchCheckpoint(src, out);
    expect(r.skipped).toEqual(['adam/m/x']);
    // safetensors stores by dtype then name; the export follows the file's order.
    const back = await readTorchCheckpoint(out, { float16: 'raw' });
    expect([...back.keys()].sort()).toEqual([...weights.keys()].sort());
    expectBitIdentical(back, new Map([...back.keys()].map((k) => [k, weights.get(k)!])));
  });

  it('refuses a file without model weights, naming what it holds', async () => {
    await expect(readExportableStateDict(fixture('fixture.safetensors'))).rejects.toThrow(
      /holds no model weights .*a\.bf16/,
    );
    await expect(readExportableStateDict(fixture('legacy.pt'))).rejects.toBeInstanceOf(
      CheckpointFormatError,
    );
  });
});

const TORCH_DTYPE: Record<string, string> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

/** What read_torch_export.py prints for a state dict, computed on our side. */
function describeLikePython(tensors: Map<string, HostTensor>): string {
  const lines = [`collections.OrderedDict ${tensors.size}`];
  for (const [name, t] of tensors) {
    const shape = t.shape.length === 0 ? 'scalar' : t.shape.join('x');
    const sha = createHash('sha256').update(bytesOf(t)).digest('hex');
    lines.push(`${name} ${TORCH_DTYPE[t.dtype]} ${shape} ${sha}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('committed export fixture (exported.pt from state_dict.pt)', () => {
  const committed = fixture('exported.pt');
  const expectedText = fixture('exported.expected.txt');

  it('exporting state_dict.pt gives exactly the committed bytes', async () => {
    const out = join(dir, 'exported.pt');
    await exportTorchCheckpoint(fixture('state_dict.pt'), out);
    if (UPDATE || !existsSync(committed)) writeFileSync(committed, readFileSync(out));
    expect(readFileSync(out).equals(readFileSync(committed))).toBe(true);
  });

  it("matches what PyTorch's weights-only torch.load printed for it (names, dtypes, shapes, sha256)", async () => {
    const ours = describeLikePython(await readTorchCheckpoint(committed, { float16: 'raw' }));
    expect(ours).toBe(readFileSync(expectedText, 'utf8'));
  });

  it.skipIf(pythonWithTorch() === null)(
    'torch.load(weights_only=True) reads a fresh export and prints the expected output',
    () => {
      const out = join(dir, 'for-python.pt');
      writeFileSync(out, readFileSync(committed));
      const r = spawnSync(pythonWithTorch()!, [fixture('read_torch_export.py'), out], {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      if (UPDATE) writeFileSync(expectedText, r.stdout);
      expect(r.stdout).toBe(readFileSync(expectedText, 'utf8'));
    },
  );

  it.skipIf(pythonWithTorch() === null)(
    'torch.load(weights_only=True) reads every storage dtype of a fresh export',
    async () => {
      const tensors = sampleTensors();
      const out = join(dir, 'sample-for-python.pt');
      await saveTorchCheckpoint(out, tensors);
      const r = spawnSync(pythonWithTorch()!, [fixture('read_torch_export.py'), out], {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(describeLikePython(tensors));
    },
  );
});
