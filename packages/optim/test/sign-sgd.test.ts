import { Device, tensor } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupRowsById, SparseSignSGD } from '../src/index.js';
import { fixtures, flat, maxRelError } from './fixtures.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
});
afterAll(() => device?.destroy());

describe('SparseSignSGD', () => {
  const f = fixtures.sign_sgd;
  const numRows = f.table0.length;
  const dim = f.table0[0]!.length;

  it('matches five PyTorch steps with duplicate ids, within 1e-6 relative', async () => {
    const table = tensor(flat(f.table0), { shape: [numRows, dim], device });
    const opt = new SparseSignSGD(table, { weightDecay: f.wd });
    let before = flat(f.table0);
    for (let t = 0; t < fixtures.steps; t++) {
      const ids = Int32Array.from(f.ids[t]!);
      const rows = tensor(flat(f.rows[t]!), { shape: [ids.length, dim], device });
      opt.step({ ids, rows }, f.lr);
      const got = (await table.data()) as Float32Array;
      expect(maxRelError(got, flat(f.trajectory[t]!))).toBeLessThan(1e-6);
      // Rows whose id is not in the batch are untouched, bit for bit.
      for (let r = 0; r < numRows; r++) {
        if (!ids.includes(r))
          expect(got.subarray(r * dim, (r + 1) * dim)).toEqual(
            before.subarray(r * dim, (r + 1) * dim),
          );
      }
      before = got;
    }
  });

  it('firstRow: rows below it never change; the rest step as without it', async () => {
    const ids = Int32Array.from(f.ids[0]!); // 1, 3, 1, 0, 5: rows 0 and 1 below, 3 and 5 above
    const start = flat(f.table0);
    const run = async (firstRow: number) => {
      const table = tensor(start.slice(), { shape: [numRows, dim], device });
      const rows = tensor(flat(f.rows[0]!), { shape: [ids.length, dim], device });
      new SparseSignSGD(table, { weightDecay: f.wd, firstRow }).step({ ids, rows }, f.lr);
      return (await table.data()) as Float32Array;
    };
    const all = await run(0);
    const first = 2;
    const some = await run(first);
    expect(some.subarray(0, first * dim)).toEqual(start.subarray(0, first * dim));
    expect(some.subarray(first * dim)).toEqual(all.subarray(first * dim));
    // The batch did use rows below `first`, and they would have changed.
    expect(all.subarray(0, first * dim)).not.toEqual(start.subarray(0, first * dim));
    expect(await run(numRows)).toEqual(start);
    expect(
      () => new SparseSignSGD(tensor(start, { shape: [numRows, dim], device }), { firstRow: -1 }),
    ).toThrow(/firstRow/);
  });

  it('groups duplicate ids in batch order', () => {
    const g = groupRowsById(Int32Array.from([3, 1, 3, 0, 1]), 4);
    expect([...g.unique]).toEqual([0, 1, 3]);
    expect([...g.starts]).toEqual([0, 1, 3, 5]);
    expect([...g.rows]).toEqual([3, 1, 4, 0, 2]);
    expect(() => groupRowsById(Int32Array.from([4]), 4)).toThrow(/outside the table's 4 rows/);
  });
});
