import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, CheckpointSecurityError } from '../src/checkpoint/errors.js';
import { unpickle } from '../src/checkpoint/pickle.js';
import { fixture } from './checkpoint-helpers.js';

/** No globals at all: plain data must not need any. */
const hooks = {
  file: 'plain.pkl',
  findClass(module: string, name: string): never {
    throw new CheckpointSecurityError('plain.pkl', `${module}.${name}`);
  },
};

function expectedPlain(protocol: number): Map<unknown, unknown> {
  const shared = [7, 8];
  const m = new Map<unknown, unknown>([
    [
      'ints',
      [0, 1, -1, 255, 256, 65535, 65536, -(2 ** 31), 2 ** 31 - 1, 2 ** 40, -(2n ** 63n), 2n ** 70n],
    ],
    ['floats', [0.5, -1e300, Number.POSITIVE_INFINITY]],
    ['consts', [true, false, null]],
    ['text', ['', 'ascii', 'üñí©ødé ✓', 'x'.repeat(300)]],
    ['tuples', [[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4]]],
    ['nested', new Map([['a', new Map([['b', [shared, shared]]])]])],
    [3, 'int key'],
  ]);
  if (protocol >= 3) m.set('bytes', Uint8Array.of(0, 1, 255));
  if (protocol >= 4) m.set('sets', [new Set([1, 2]), new Set([3])]);
  return m;
}

describe('safe unpickler', () => {
  for (const protocol of [2, 3, 4, 5]) {
    it(`decodes plain data pickled with protocol ${protocol}`, () => {
      const value = unpickle(
        new Uint8Array(readFileSync(fixture(`plain_p${protocol}.pkl`))),
        hooks,
      );
      expect(value).toEqual(expectedPlain(protocol));
      // Memoised objects stay shared, as in Python.
      const nested = (value as Map<string, Map<string, Map<string, unknown[][]>>>).get('nested')!;
      const b = nested.get('a')!.get('b')!;
      expect(b[0]).toBe(b[1]);
    });
  }

  it('reports bad input with the byte position', () => {
    const run = (bytes: number[]) => () => unpickle(Uint8Array.from(bytes), hooks);
    expect(run([0x80, 2])).toThrow(CheckpointFormatError);
    expect(run([0x80, 2])).toThrow(/plain\.pkl: corrupt pickle at byte 2: truncated/);
    expect(run([0x80, 2, 0xff])).toThrow(/unsupported or unknown opcode 0xff/);
    expect(run([0x80, 2, 0x2e])).toThrow(/stack underflow/);
    expect(run([0x80, 2, 0x68, 5, 0x2e])).toThrow(/memo key 5 not defined/);
    expect(run([0x80, 2, 0x4b, 1, 0x29, 0x52, 0x2e])).toThrow(
      /REDUCE applied to a non-callable number 1/,
    );
    expect(run([0x80, 2, 0x75, 0x2e])).toThrow(/no MARK|stack underflow/);
    expect(run([0x80, 9, 0x2e])).toThrow(/unsupported pickle protocol/);
  });

  it('refuses globals before using them: GLOBAL, STACK_GLOBAL and INST', () => {
    const enc = (s: string) => [...new TextEncoder().encode(s)];
    const global = [0x80, 2, 0x63, ...enc('os\nsystem\n'), 0x29, 0x52, 0x2e];
    expect(() => unpickle(Uint8Array.from(global), hooks)).toThrow(/"os\.system"/);
    const stack = [0x80, 4, 0x8c, 8, ...enc('builtins'), 0x8c, 4, ...enc('exec'), 0x93, 0x2e];
    expect(() => unpickle(Uint8Array.from(stack), hooks)).toThrow(/"builtins\.exec"/);
    const inst = [0x28, 0x69, ...enc('subprocess\nPopen\n'), 0x2e];
    expect(() => unpickle(Uint8Array.from(inst), hooks)).toThrow(CheckpointSecurityError);
  });
});
