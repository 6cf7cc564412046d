import { describe, expect, it } from 'vitest';
import {
  abortCollective,
  Collective,
  CollectiveAbortedError,
  createCollective,
} from '../src/parallel/collective.js';

/** Runs `body` as `world` ranks sharing one collective (concurrent tasks of this thread). */
async function ranks<T>(
  world: number,
  slotBytes: number,
  body: (c: Collective) => Promise<T>,
): Promise<T[]> {
  const handle = createCollective(world, slotBytes);
  return Promise.all(Array.from({ length: world }, (_, r) => body(new Collective(handle, r))));
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

describe('Collective', () => {
  for (const world of [1, 2, 3, 4]) {
    it(`all-reduces in chunks over ${world} rank(s), adding ranks in order in f64`, async () => {
      const n = 1001; // 64-byte slots hold 16 f32: 63 chunks, the last one partial
      const inputs = Array.from({ length: world }, (_, r) => seeded(n, 7 + r));
      const expected = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (const x of inputs) s += x[i]!;
        expected[i] = s;
      }
      const out = await ranks(world, 64, (c) => c.allReduceSum(inputs[c.rank]!.slice()));
      for (const o of out) expect(o).toEqual(expected);
    });
  }

  it('all-reduces f64 without rounding to f32', async () => {
    const out = await ranks(3, 64, (c) =>
      c.allReduceSum(Float64Array.of(0.1 * (c.rank + 1), 1e-20, c.rank)),
    );
    for (const o of out)
      expect([...o]).toEqual([0.1 + 0.2 + 0.30000000000000004, 1e-20 + 1e-20 + 1e-20, 3]);
  });

  it('gathers and broadcasts in rank order, chunked', async () => {
    const out = await ranks(4, 64, async (c) => {
      const mine = Int32Array.from({ length: 37 }, (_, i) => c.rank * 1000 + i);
      const all = await c.allGather(mine);
      const root = await c.gather(Float32Array.of(c.rank, -c.rank));
      const b = await c.broadcast(Float32Array.from({ length: 40 }, (_, i) => c.rank * 100 + i));
      return { all, root, b };
    });
    const want = Int32Array.from(
      { length: 4 * 37 },
      (_, k) => Math.floor(k / 37) * 1000 + (k % 37),
    );
    for (const [r, o] of out.entries()) {
      expect(o.all).toEqual(want);
      expect(o.root).toEqual(r === 0 ? Float32Array.of(0, -0, 1, -1, 2, -2, 3, -3) : null);
      expect(o.b).toEqual(Float32Array.from({ length: 40 }, (_, i) => i));
    }
  });

  it('wakes every waiting rank with the failing rank once one aborts', async () => {
    const handle = createCollective(3, 64);
    const waiting = [0, 1].map((r) => new Collective(handle, r).barrier());
    const failing = new Collective(handle, 2);
    failing.abort();
    for (const w of waiting) {
      await expect(w).rejects.toThrow(CollectiveAbortedError);
      await expect(w).rejects.toThrow(/rank 2 failed/);
    }
    await expect(failing.barrier()).rejects.toThrow(/rank 2 failed/);
  });

  it('an abort from the parent stops ranks blocked in a reduction', async () => {
    const handle = createCollective(2, 64);
    const blocked = new Collective(handle, 0).allReduceSum(new Float32Array(100));
    setTimeout(() => abortCollective(handle), 10);
    await expect(blocked).rejects.toThrow(/aborted/);
  });

  it('rejects bad sizes and ranks', () => {
    expect(() => createCollective(0)).toThrow(/worldSize/);
    expect(() => createCollective(2, 60)).toThrow(/slotBytes/);
    expect(() => new Collective(createCollective(2, 64), 2)).toThrow(/rank 2 outside 0..1/);
  });
});
