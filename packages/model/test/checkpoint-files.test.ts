/**
 * Paths that are not checkpoint files and files that are broken: every failure of every
 * reader is a CheckpointError whose message starts with the file and says what is wrong.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, CheckpointFormatError } from '../src/checkpoint/errors.js';
import { loadCheckpoint } from '../src/checkpoint/load.js';
import { readSafetensors, saveSafetensors } from '../src/checkpoint/safetensors-file.js';
import { normalizeStateDict } from '../src/checkpoint/state-dict.js';
import { ModelConfigError, resolveTrmConfig } from '../src/config.js';
import * as modelCheckpoint from '../src/model-checkpoint.js';
import { fixture } from './checkpoint-helpers.js';
import { tensorPickle, torchFile } from './hostile-builders.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trm-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, bytes: Uint8Array | string): string => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

/** The error `read` rejects with (undefined when it resolves). */
const failure = (read: Promise<unknown>): Promise<unknown> =>
  read.then(
    () => undefined,
    (e: unknown) => e,
  );

/** Expects every reader entry point to refuse `path` with a message matching `message`. */
async function expectRefused(path: string, message: RegExp): Promise<void> {
  for (const [reader, read] of [
    ['loadCheckpoint', () => loadCheckpoint(path)],
    ['readModelCheckpoint', () => modelCheckpoint.readModelCheckpoint(path)],
  ] as const) {
    const err = await failure(read());
    expect(err, `${reader}(${path})`).toBeInstanceOf(CheckpointError);
    expect((err as Error).message, reader).toMatch(message);
    expect((err as CheckpointError).file).toBe(path);
  }
}

describe('paths that are not checkpoint files', () => {
  it('a missing file says that it does not exist', async () => {
    await expectRefused(join(dir, 'missing.pt'), /missing\.pt: the file does not exist/);
    await expectRefused(
      join(write('plain', 'x'), 'under-a-file.pt'),
      /under-a-file\.pt: a part of the path is a file, not a directory/,
    );
  });

  it('a directory, a device, a named pipe (without blocking on it)', async () => {
    mkdirSync(join(dir, 'a-dir.safetensors'));
    execFileSync('mkfifo', [join(dir, 'a-fifo.pt')]);
    await expectRefused(
      join(dir, 'a-dir.safetensors'),
      /a-dir\.safetensors: is a directory, not a checkpoint file/,
    );
    await expectRefused('/dev/null', /^\/dev\/null: is a device, not a checkpoint file/);
    await expectRefused(join(dir, 'a-fifo.pt'), /a-fifo\.pt: is a named pipe, not a checkpoint/);
    const meta = await failure(modelCheckpoint.readCheckpointMetadata(join(dir, 'a-fifo.pt')));
    expect(meta).toBeInstanceOf(CheckpointFormatError);
  });

  it('an empty or tiny file', async () => {
    await expectRefused(
      write('empty.pt', ''),
      /empty\.pt: 0 bytes is too short to be a checkpoint/,
    );
    await expectRefused(write('tiny.pt', 'PK'), /tiny\.pt: 2 bytes is too short/);
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable file', async () => {
    const path = write('secret.pt', readFileSync(fixture('state_dict.pt')));
    chmodSync(path, 0);
    await expectRefused(path, /secret\.pt: permission denied/);
  });
});

describe('broken files', () => {
  const pt = readFileSync(fixture('state_dict.pt'));

  it('truncated zips and bad CRCs', async () => {
    await expectRefused(
      write('cut.pt', pt.subarray(0, 200)),
      /cut\.pt: corrupt zip archive: no end-of-central-directory record/,
    );
    // Flip the first byte of a storage: its data follows the local header's name and extra field.
    const bad = Buffer.from(pt);
    const name = 'state_dict/data/0';
    const at = bad.indexOf(name);
    bad[at + name.length + bad.readUInt16LE(at - 2)]! ^= 0xff;
    await expectRefused(
      write('crc.pt', bad),
      /crc\.pt: corrupt zip entry "state_dict\/data\/0": CRC-32 mismatch/,
    );
  });

  it('safetensors headers that are not JSON objects, or lie about their extent', async () => {
    const st = (header: string, data = new Uint8Array(0), len?: bigint): Uint8Array => {
      const h = Buffer.from(header);
      const n = Buffer.alloc(8);
      n.writeBigUInt64LE(len ?? BigInt(h.length));
      return Buffer.concat([n, h, data]);
    };
    const cases: [string, Uint8Array, RegExp][] = [
      ['not-json', st('{"a": [1, 2'), /safetensors header is not valid JSON/],
      ['array', st('[1,2,3]'), /unrecognised checkpoint format \(bad magic bytes\)/],
      [
        'huge-length',
        st('{}', undefined, 2n ** 40n),
        /header length 1099511627776 is over the limit/,
      ],
      [
        'max-length',
        st('{}', undefined, 2n ** 64n - 1n),
        /header length 18446744073709551615 is over/,
      ],
      ['past-eof', st('{}', undefined, 5000n), /header length 5000 overflows the file/],
      [
        'offsets-past-end',
        st('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,1000000000]}}', new Uint8Array(4)),
        /tensor "w": data_offsets \[0, 1000000000\] out of range/,
      ],
      [
        'overlap',
        st(
          '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
          new Uint8Array(4),
        ),
        /tensor "b": data_offsets \[0, 4\] overlap tensor "a"/,
      ],
      [
        'negative-shape',
        st('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', new Uint8Array(4)),
        /tensor "w": shape \[-1\] is not a list of non-negative integers/,
      ],
      [
        'metadata-not-strings',
        st('{"__metadata__":{"format":5}}'),
        /__metadata__ value "format" is not a string/,
      ],
    ];
    for (const [name, bytes, message] of cases) {
      const path = write(`${name}.safetensors`, bytes);
      await expectRefused(path, new RegExp(`${name}\\.safetensors: .*${message.source}`));
    }
  });

  it('a header that is JSON but not an object is refused by the safetensors reader', async () => {
    const h = Buffer.from('[1,2,3]');
    const n = Buffer.alloc(8);
    n.writeBigUInt64LE(BigInt(h.length));
    await expect(readSafetensors(write('list.safetensors', Buffer.concat([n, h])))).rejects.toThrow(
      /list\.safetensors: safetensors header is not a JSON object/,
    );
  });

  it('a safetensors header whose length begins like a pickle is still safetensors', async () => {
    // 640 bytes of header: the file starts 80 02, the PROTO 2 opcode of a legacy torch file.
    const path = join(dir, 'proto-like.safetensors');
    const tensors = { 'model.w': { dtype: 'F32' as const, shape: [1], data: Float32Array.of(3) } };
    for (let pad = 0; pad < 700; pad++) {
      await saveSafetensors(path, tensors, { format: 'trm', config: '{}', pad: 'x'.repeat(pad) });
      const head = readFileSync(path).subarray(0, 2);
      if (head[0] === 0x80 && head[1] === 0x02) break;
    }
    expect([...readFileSync(path).subarray(0, 2)]).toEqual([0x80, 0x02]);
    const ckpt = await modelCheckpoint.readModelCheckpoint(path);
    expect(ckpt.format).toBe('safetensors');
    expect(ckpt.config).toEqual({});
    expect((await modelCheckpoint.readCheckpointMetadata(path)).format).toBe('safetensors');
  });

  it('size limits that are not numbers are refused, not ignored', async () => {
    const path = fixture('state_dict.pt');
    await expect(loadCheckpoint(path, { maxTensorBytes: Number.NaN })).rejects.toThrow(
      /ReadOptions\.maxTensorBytes must be a non-negative number of bytes, got NaN/,
    );
    // A fractional limit used to reach BigInt() and throw a bare RangeError.
    const st = join(dir, 'frac.safetensors');
    await saveSafetensors(st, { w: { dtype: 'F32', shape: [1], data: Float32Array.of(1) } });
    expect((await loadCheckpoint(st, { maxHeaderBytes: 1000.5 })).tensors.size).toBe(1);
  });
});

describe('metadata and names a model cannot use', () => {
  const save = (name: string, metadata: Record<string, string>) =>
    saveSafetensors(
      join(dir, name),
      { 'model.w': { dtype: 'F32', shape: [1], data: Float32Array.of(1) } },
      metadata,
    ).then(() => join(dir, name));

  it('names the file when its config or training metadata is not JSON', async () => {
    const config = await save('config.safetensors', {
      format: 'trm',
      config: '{"hidden_size": 16,',
    });
    await expect(modelCheckpoint.readModelCheckpoint(config)).rejects.toThrow(
      /config\.safetensors: the "config" metadata is not valid JSON/,
    );
    await expect(modelCheckpoint.readCheckpointMetadata(config)).rejects.toThrow(
      /config\.safetensors: the "config" metadata is not valid JSON/,
    );
    const training = await save('training.safetensors', { training: 'step 7' });
    await expect(modelCheckpoint.readModelCheckpoint(training)).rejects.toThrow(
      /training\.safetensors: the "training" metadata is not valid JSON/,
    );
    const array = await save('array.safetensors', { config: '[1, 2]' });
    await expect(modelCheckpoint.readModelCheckpoint(array)).rejects.toThrow(
      /array\.safetensors: the "config" metadata is not a JSON object/,
    );
  });

  it('a config that parses but describes no buildable model is refused when resolved', async () => {
    // The CLI builds the model from this header before reading any tensor: an expansion of 0
    // would make MLPs of width 0.
    const path = await save('expansion.safetensors', {
      config: JSON.stringify({
        seq_len: 4,
        vocab_size: 4,
        num_puzzle_identifiers: 1,
        batch_size: 1,
        expansion: 0,
      }),
    });
    const { config } = await modelCheckpoint.readCheckpointMetadata(path);
    expect(() => resolveTrmConfig({ ...config! })).toThrow(ModelConfigError);
    expect(() => resolveTrmConfig({ ...config! })).toThrow(/"expansion" must be ≥ 1, got 0/);
  });

  it('names the file when two keys collide after prefix stripping', async () => {
    const file = torchFile(
      tensorPickle({
        'module.model.w': { numel: 1, shape: [1], stride: [1] },
        'model.w': { numel: 1, shape: [1], stride: [1] },
      }),
      { data: new Uint8Array(4) },
    );
    const path = write('twice.pt', file);
    await expect(modelCheckpoint.readModelCheckpoint(path)).rejects.toThrow(
      /twice\.pt: state dict keys "module\.model\.w" and "model\.w" both become "model\.w"/,
    );
    const tensors = (await loadCheckpoint(path)).tensors;
    expect(() => normalizeStateDict(tensors, path)).toThrow(CheckpointFormatError);
  });
});

describe('lying zip structures', () => {
  it('a zip64 extra field that claims more bytes than the entry has', async () => {
    const file = Buffer.from(
      torchFile(tensorPickle({ 'model.w': { numel: 1, shape: [1], stride: [1] } }), {
        deflated: new Uint8Array([3, 0]),
        size: 2 ** 33,
        crc: 0,
      }),
    );
    // The last central entry also moves its local header offset into the zip64 field, which
    // holds only the two sizes: the reader must not read the offset from beyond the directory.
    const central = file.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    file.writeUInt32LE(0xffffffff, central + 42);
    const at = file.lastIndexOf(Buffer.from([0x01, 0x00, 0x10, 0x00]));
    file.writeUInt16LE(0xffff, at + 2);
    const err = await loadCheckpoint(file).catch((e: unknown) => e);
    expect(err, (err as Error).stack).toBeInstanceOf(CheckpointFormatError);
    expect((err as Error).message).toMatch(/<memory>: corrupt zip archive: .*extra field/);
  });
});

describe('random damage', () => {
  it('to any byte of a torch.save file fails with nothing but a CheckpointError', async () => {
    const pt = new Uint8Array(readFileSync(fixture('state_dict.pt')));
    let seed = 99;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    // Most damage lands in the storages; aim half of it at the zip structures at the end.
    const tail = 1024;
    let failures = 0;
    for (let i = 0; i < 1500; i++) {
      const bad = pt.slice();
      for (let k = 1 + rand(3); k > 0; k--) {
        const at = rand(2) === 0 ? rand(pt.length) : pt.length - 1 - rand(tail);
        bad[at] = rand(4) === 0 ? 0xff : rand(256);
      }
      const r = await loadCheckpoint(bad, { verifyCrc: false }).catch((e: unknown) => e);
      if (r instanceof Error) {
        expect(r, r.stack).toBeInstanceOf(CheckpointError);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(100);
  });

  it('to the header of a safetensors file fails with nothing but a CheckpointError', async () => {
    const st = new Uint8Array(readFileSync(fixture('fixture.safetensors')));
    const headerEnd = 8 + Number(Buffer.from(st).readBigUInt64LE(0));
    let seed = 5;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = Buffer.from('{}[]",:0123456789-eE.aFIU_ \\u');
    let failures = 0;
    for (let i = 0; i < 1500; i++) {
      const bad = st.slice();
      for (let k = 1 + rand(2); k > 0; k--) {
        bad[rand(headerEnd)] = rand(2) === 0 ? alphabet[rand(alphabet.length)]! : rand(256);
      }
      const r = await loadCheckpoint(bad).catch((e: unknown) => e);
      if (r instanceof Error) {
        expect(r, r.stack).toBeInstanceOf(CheckpointError);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(500);
  });
});
