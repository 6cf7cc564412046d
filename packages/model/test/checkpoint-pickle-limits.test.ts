/**
 * Pickles made to exhaust the stack, the memory or the clock: long APPENDS/SETITEMS, deep
 * nesting, millions of containers, enormous integers, lengths and lines. Each is either read
 * without recursion or refused with a CheckpointFormatError that names the file and the limit.
 */
import { describe, expect, it } from 'vitest';
import { CheckpointError, CheckpointFormatError } from '../src/checkpoint/errors.js';
import { loadCheckpoint } from '../src/checkpoint/load.js';
import { unpickle } from '../src/checkpoint/pickle.js';
import { op, pickle, torchFile } from './hostile-builders.js';

const hooks = {
  file: 'evil.pkl',
  findClass: (module: string, name: string): never => {
    throw new CheckpointError('evil.pkl', `global ${module}.${name} refused`);
  },
};

/** `n` copies of the opcode bytes `unit`. */
const repeat = (unit: number[], n: number): Uint8Array => {
  const out = new Uint8Array(unit.length * n);
  for (let i = 0; i < n; i++) out.set(unit, i * unit.length);
  return out;
};

describe('long lists and deep nesting', () => {
  it('appends a million items in one APPENDS without overflowing the stack', () => {
    const bytes = pickle(op.emptyList, op.mark, repeat([0x4b, 1], 1_000_000), op.appends);
    const list = unpickle(bytes, hooks) as number[];
    expect(list).toHaveLength(1_000_000);
  });

  it('sets half a million items in one SETITEMS', () => {
    const pairs = new Uint8Array(6 * 500_000);
    for (let i = 0; i < 500_000; i++)
      pairs.set([0x4a, ...new Uint8Array(Int32Array.of(i).buffer), 0x4e], 6 * i);
    const dict = unpickle(pickle(op.emptyDict, op.mark, pairs, op.setitems), hooks);
    expect((dict as Map<number, null>).size).toBe(500_000);
  });

  it('reads lists nested 100,000 deep, and 100,000 nested MARKs', () => {
    const lists = pickle(repeat(op.emptyList, 100_000), repeat(op.append, 99_999));
    expect(Array.isArray(unpickle(lists, hooks))).toBe(true);
    const marks = pickle(repeat(op.mark, 100_000), repeat(op.tuple, 100_000));
    expect(Array.isArray(unpickle(marks, hooks))).toBe(true);
  });

  it('is refused as a state dict through the torch reader, naming the file', async () => {
    const file = torchFile(
      pickle(op.emptyList, op.mark, repeat([0x4b, 1], 1_000_000), op.appends),
      {
        data: new Uint8Array(4),
      },
    );
    await expect(loadCheckpoint(file)).rejects.toThrow(
      /<memory>: data\.pkl holds a tuple\/list of 1000000, not a state dict/,
    );
  });
});

describe('counts and sizes', () => {
  it('refuses more values than a state dict can hold', () => {
    const bytes = pickle(op.emptyList, op.mark, repeat([0x4b, 1], 2_100_000));
    expect(() => unpickle(bytes, hooks)).toThrow(/evil\.pkl: .*more than 2000000 values/);
  });

  it('refuses millions of containers before they fill the memory', () => {
    // Two megabytes of EMPTY_DICT would make two million dicts: half a gigabyte.
    for (const container of [op.emptyDict, op.emptyList, op.mark, [0x8f]]) {
      const bytes = pickle(op.emptyList, op.mark, repeat(container, 2_000_000));
      const started = Date.now();
      expect(() => unpickle(bytes, hooks)).toThrow(
        /evil\.pkl: .*more than 250000 dicts, lists, tuples and objects/,
      );
      expect(Date.now() - started).toBeLessThan(2000);
    }
  });

  it('refuses huge integers instead of spending quadratic time on them', () => {
    const long4 = pickle([0x8b, 0x00, 0x00, 0x10, 0x00], new Uint8Array(1 << 20));
    const started = Date.now();
    expect(() => unpickle(long4, hooks)).toThrow(/an integer of 1048576 bytes is too large/);
    expect(Date.now() - started).toBeLessThan(1000);
    const text = pickle([0x49], Buffer.from('9'.repeat(1000)), [0x0a]);
    expect(() => unpickle(text, hooks)).toThrow(/an integer of 1000 digits is too large/);
  });

  it('checks every length against the bytes that are there', () => {
    const cases: [number[], RegExp][] = [
      [
        [0x58, 0xff, 0xff, 0xff, 0xff, 0x41],
        /BINUNICODE|truncated \(needs 4294967295 more bytes\)/,
      ],
      [[0x8b, 0xff, 0xff, 0xff, 0x7f, 0x01], /truncated \(needs 2147483647 more bytes\)/],
      [[0x8d, ...new Array(8).fill(0xff)], /length \d+ exceeds the pickle size/],
      [[0x42, 0xff, 0xff, 0xff, 0x7f], /truncated/],
      [[0x68, 0x07], /memo key 7 not defined/],
    ];
    for (const [bytes, message] of cases) {
      const err = (() => {
        try {
          unpickle(pickle(bytes), hooks);
        } catch (e) {
          return e;
        }
      })();
      expect(err, message.source).toBeInstanceOf(CheckpointFormatError);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('bounds text lines and keeps hostile names out of messages', async () => {
    const longLine = pickle([0x49], Buffer.from('1'.repeat(100_000)));
    expect(() => unpickle(longLine, hooks)).toThrow(/text line longer than 4096 bytes/);
    const name = 'x'.repeat(1 << 20);
    const global = pickle(op.str('os'), op.str(name), [0x93]);
    const err = await loadCheckpoint(torchFile(global, { data: new Uint8Array(4) })).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(
      /refusing to load: the pickle references the Python global "os\.x+…"/,
    );
    expect((err as Error).message.length).toBeLessThan(1000);
  });
});

describe('random pickles', () => {
  it('fail with nothing but a CheckpointError', () => {
    // Opcodes the reader knows, and a few it does not, with small random arguments.
    const alphabet = [
      0x28, 0x29, 0x2e, 0x30, 0x31, 0x32, 0x42, 0x43, 0x46, 0x47, 0x49, 0x4a, 0x4b, 0x4c, 0x4d,
      0x4e, 0x50, 0x51, 0x52, 0x54, 0x55, 0x58, 0x5d, 0x61, 0x62, 0x63, 0x64, 0x65, 0x67, 0x68,
      0x69, 0x6a, 0x6c, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x7d, 0x80, 0x81, 0x85, 0x86,
      0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95,
      0x96, 0x0a, 0x00, 0x01, 0xff,
    ];
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const allowAll = {
      file: 'random.pkl',
      findClass: () => {
        throw new CheckpointError('random.pkl', 'no globals');
      },
      persistentLoad: () => ({}),
    };
    // The kinds of failure seen, to show the inputs reach far into the reader.
    const kinds = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const bytes = new Uint8Array(2 + rand(40));
      bytes[0] = 0x80;
      bytes[1] = 2;
      for (let j = 2; j < bytes.length; j++) {
        bytes[j] = rand(3) === 0 ? rand(256) : alphabet[rand(alphabet.length)]!;
      }
      try {
        unpickle(bytes, allowAll);
      } catch (err) {
        kinds.add(
          (err as Error).message.replace(/^.*?: (corrupt pickle at byte \d+: )?/, '').slice(0, 20),
        );
        expect(
          err,
          `${Buffer.from(bytes).toString('hex')}: ${(err as Error).stack}`,
        ).toBeInstanceOf(CheckpointError);
      }
    }
    expect(kinds.size).toBeGreaterThan(15);
  });
});
