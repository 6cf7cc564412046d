import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NpyError } from '../src/errors.js';
import {
  type NpyDtype,
  NpyWriter,
  parseNpy,
  readNpy,
  readNpyHeader,
  writeNpy,
} from '../src/npy/index.js';
import { FIXTURES, hasNumpy, python, tempDir } from './helpers.js';

const NPY = join(FIXTURES, 'npy');
const DTYPES: NpyDtype[] = ['u1', 'i1', 'u2', 'i2', 'u4', 'i4', 'i8', 'f4', 'f8'];

function expectedValues(dtype: NpyDtype): number[] {
  return Array.from({ length: 24 }, (_, i) =>
    dtype[0] === 'i' ? i - 7 : dtype[0] === 'f' ? i / 4 - 1.5 : i,
  );
}

function makeArray(dtype: NpyDtype, values: number[]) {
  switch (dtype) {
    case 'u1':
      return Uint8Array.from(values);
    case 'i1':
      return Int8Array.from(values);
    case 'u2':
      return Uint16Array.from(values);
    case 'i2':
      return Int16Array.from(values);
    case 'u4':
      return Uint32Array.from(values);
    case 'i4':
      return Int32Array.from(values);
    case 'i8':
      return BigInt64Array.from(values.map(BigInt));
    case 'f4':
      return Float32Array.from(values);
    default:
      return Float64Array.from(values);
  }
}

describe('reading NumPy-written files', () => {
  it.each(DTYPES)('reads %s with shape and values', (dtype) => {
    const a = readNpy(join(NPY, `${dtype}.npy`));
    expect(a.dtype).toBe(dtype);
    expect(a.shape).toEqual([2, 3, 4]);
    expect(Array.from(a.data as ArrayLike<number | bigint>, Number)).toEqual(expectedValues(dtype));
  });

  it('reads format versions 2.0 and 3.0, 0-d, empty, 1-D and long headers', () => {
    for (const [file, version] of [
      ['v2.npy', 2],
      ['v3.npy', 3],
    ] as const) {
      const a = readNpy(join(NPY, file));
      expect(Array.from(a.data as Int32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(readNpyHeader(join(NPY, file)).version).toBe(version);
    }
    const s = readNpy(join(NPY, 'scalar.npy'));
    expect(s.shape).toEqual([]);
    expect(s.data[0]).toBe(7n);
    const e = readNpy(join(NPY, 'empty.npy'));
    expect(e.shape).toEqual([0, 5]);
    expect(e.data.length).toBe(0);
    expect(Array.from(readNpy(join(NPY, 'vector.npy')).data as Int32Array)).toEqual([0, 3, 5, 9]);
    const l = readNpy(join(NPY, 'long_header.npy'));
    expect(l.shape.length).toBe(20);
    expect(l.data.length).toBe(2);
  });

  it('parses an in-memory buffer', () => {
    const a = parseNpy(readFileSync(join(NPY, 'i2.npy')));
    expect(Array.from(a.data as Int16Array)).toEqual(expectedValues('i2'));
  });
});

describe('bad .npy input', () => {
  it.each([
    ['big_endian.npy', /big-endian/],
    ['fortran.npy', /Fortran-order/],
    ['bool.npy', /unsupported dtype '\|b1'/],
    ['complex.npy', /unsupported dtype '<c8'/],
    ['truncated.npy', /truncated .npy file.*needs 400 data bytes but only 40/],
  ])('%s gives a clear error naming the file', (file, pattern) => {
    const path = join(NPY, file);
    let err: unknown;
    try {
      readNpy(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NpyError);
    expect((err as Error).message).toMatch(pattern);
    expect((err as Error).message).toContain(path);
  });

  const dir = tempDir();
  it('rejects non-npy files and missing files', () => {
    const p = join(dir, 'x.npy');
    writeFileSync(p, 'hello world, not numpy');
    expect(() => readNpy(p)).toThrow(/bad magic/);
    expect(() => readNpy(join(dir, 'missing.npy'))).toThrow(/missing\.npy: no such file/);
    // A directory or a named pipe (which would block a reader forever) is refused by name.
    mkdirSync(join(dir, 'd.npy'));
    expect(() => readNpy(join(dir, 'd.npy'))).toThrow(/d\.npy: is a directory, not a \.npy file/);
    execFileSync('mkfifo', [join(dir, 'p.npy')]);
    expect(() => readNpy(join(dir, 'p.npy'))).toThrow(/p\.npy: is a named pipe/);
  });

  it('never allocates what a corrupt header length asks for', () => {
    // Format 2.0 with a 4 GiB header length in a 64-byte file.
    const p = join(dir, 'long-header.npy');
    const b = Buffer.alloc(64, 0x20);
    Buffer.from('\x93NUMPY', 'latin1').copy(b);
    b[6] = 2;
    b[7] = 0;
    b.writeUInt32LE(0xffffffff, 8);
    writeFileSync(p, b);
    expect(() => readNpy(p)).toThrow(NpyError);
    expect(() => readNpy(p)).toThrow(
      /long-header\.npy: header length 4294967295 is larger than any \.npy header/,
    );
    // A plausible length that the file does not hold.
    b.writeUInt32LE(60_000, 8);
    writeFileSync(p, b);
    expect(() => readNpy(p)).toThrow(/long-header\.npy: header is truncated/);
    const huge = join(dir, 'huge-shape.npy');
    writeFileSync(
      huge,
      npyBytes(`'descr': '|u1', 'fortran_order': False, 'shape': (1000000000000, 16), `, 16),
    );
    expect(() => readNpy(huge)).toThrow(/huge-shape\.npy: truncated \.npy file/);
    expect(() => readNpy(huge)).toThrow(/needs 16000000000000 data bytes but only 16 are present/);
  });

  it.each([
    [
      'object dtype',
      `'descr': '|O', 'fortran_order': False, 'shape': (2,), `,
      /unsupported dtype descr '\|O'/,
    ],
    [
      'structured dtype',
      `'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,), `,
      /header has no string 'descr'/,
    ],
    [
      'big-endian int32',
      `'descr': '>i4', 'fortran_order': False, 'shape': (2,), `,
      /big-endian dtype '>i4' is not supported/,
    ],
    [
      'Fortran order',
      `'descr': '<i4', 'fortran_order': True, 'shape': (2, 1), `,
      /Fortran-order arrays are not supported/,
    ],
    [
      'negative dimension',
      `'descr': '<i4', 'fortran_order': False, 'shape': (-2,), `,
      /'shape' is not a tuple of non-negative integers/,
    ],
    ['header that is no dict', `'descr'`, /cannot parse header/],
    [
      'Python code in the header',
      `'descr': __import__('os').system('true'), 'shape': (2,), `,
      /cannot parse header/,
    ],
  ])('refuses a %s, naming the file', (_, dict, message) => {
    const p = join(dir, 'odd.npy');
    writeFileSync(p, npyBytes(dict, 64));
    let err: unknown;
    try {
      readNpy(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NpyError);
    expect((err as Error).message).toContain(p);
    expect((err as Error).message).toMatch(message);
  });
});

/** A version-1.0 `.npy` file with header dict body `dict` and `dataBytes` zero bytes of data. */
function npyBytes(dict: string, dataBytes: number): Buffer {
  const text = `${`{${dict}}`.padEnd(117, ' ')}\n`;
  const prefix = Buffer.from('\x93NUMPY\x01\x00', 'latin1');
  const len = Buffer.alloc(2);
  len.writeUInt16LE(text.length);
  return Buffer.concat([prefix, len, Buffer.from(text, 'latin1'), Buffer.alloc(dataBytes)]);
}

describe('writing', () => {
  const dir = tempDir();

  it.each(DTYPES)('round-trips %s', (dtype) => {
    const values = expectedValues(dtype);
    const p = join(dir, `${dtype}.npy`);
    writeNpy(p, makeArray(dtype, values), [2, 3, 4]);
    const a = readNpy(p);
    expect(a.dtype).toBe(dtype);
    expect(a.shape).toEqual([2, 3, 4]);
    expect(Array.from(a.data as ArrayLike<number | bigint>, Number)).toEqual(values);
    // Byte-identical to what NumPy wrote for the same array.
    expect(readFileSync(p)).toEqual(readFileSync(join(NPY, `${dtype}.npy`)));
  });

  it('streams rows with an unknown count and fixes the header on close', () => {
    const p = join(dir, 'stream.npy');
    const w = new NpyWriter(p, 'u1', null, [3]);
    w.append(Uint8Array.from([1, 2, 3, 4, 5, 6]));
    w.append(Uint8Array.from([7, 8, 9]));
    w.close();
    const a = readNpy(p);
    expect(a.shape).toEqual([3, 3]);
    expect(Array.from(a.data as Uint8Array)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('refuses partial rows, wrong row counts and mismatched shapes', () => {
    const w = new NpyWriter(join(dir, 'bad.npy'), 'i4', 2, [2]);
    expect(() => w.append(Int32Array.from([1, 2, 3]))).toThrow(/not a multiple of the row size 2/);
    w.append(Int32Array.from([1, 2]));
    expect(() => w.close()).toThrow(/promised 2 rows but 1 were written/);
    expect(() => writeNpy(join(dir, 'x.npy'), new Int32Array(5), [2, 3])).toThrow(
      /has 6 elements but data has 5/,
    );
  });

  it.skipIf(!hasNumpy())(
    'files written here load in NumPy with the right dtype, shape and values',
    () => {
      const files = DTYPES.map((d) => join(dir, `${d}.npy`));
      const stream = join(dir, 'stream.npy');
      const out = python(`
import numpy as np, json
files = ${JSON.stringify(files)}
res = [[str(a.dtype), list(a.shape), a.ravel().tolist()] for a in (np.load(f) for f in files)]
s = np.load(${JSON.stringify(stream)})
res.append([str(s.dtype), list(s.shape), s.ravel().tolist()])
print(json.dumps(res))
`);
      const res = JSON.parse(out) as [string, number[], number[]][];
      const names: Record<NpyDtype, string> = {
        u1: 'uint8',
        i1: 'int8',
        u2: 'uint16',
        i2: 'int16',
        u4: 'uint32',
        i4: 'int32',
        i8: 'int64',
        f4: 'float32',
        f8: 'float64',
      };
      DTYPES.forEach((d, i) => {
        expect(res[i]).toEqual([names[d], [2, 3, 4], expectedValues(d)]);
      });
      expect(res[DTYPES.length]).toEqual(['uint8', [3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    },
  );
});
