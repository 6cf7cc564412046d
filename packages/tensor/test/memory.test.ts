import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { bufferOf } from '../src/tensor.js';
import { useDefaultDevice } from './helpers.js';

const gpu = useDefaultDevice();

describe('memory', () => {
  it('1,000 forward/backward/update steps end with the live bytes and buffers they started with', async () => {
    const gen = new T.Generator(7);
    // A two-layer MLP regressing y = sum(x) on fixed data.
    const x = T.randn(gen, [16, 8]);
    const target = x.sum(1, true);
    const w1 = T.truncNormal(gen, [8, 32], { std: 1 / Math.sqrt(8) }).requireGrad();
    const b1 = T.zeros([32]).requireGrad();
    const w2 = T.truncNormal(gen, [32, 1], { std: 1 / Math.sqrt(32) }).requireGrad();
    const params = [w1, b1, w2];
    const lossOf = () => {
      const h = x.matmul(w1).add(b1).silu();
      return h.matmul(w2).sub(target).square().mean();
    };
    const first = T.tidy(() => lossOf());
    const firstLoss = await first.item();
    first.dispose();
    await gpu().sync();

    const start = T.memoryStats();
    const pooledAfter: number[] = [];
    for (let step = 0; step < 1000; step++) {
      T.tidy(() => {
        const loss = lossOf();
        loss.backward();
        T.noGrad(() => {
          for (const p of params) p.assign(p.sub(p.grad!.mul(0.05)));
        });
      });
      T.zeroGrad(params);
      if (step % 100 === 99) {
        await gpu().sync();
        pooledAfter.push(T.memoryStats().pooledBytes);
      }
    }
    const end = T.memoryStats();
    const lastLoss = await T.tidy(() => lossOf()).item();

    expect(end.liveBytes).toBe(start.liveBytes);
    expect(end.liveBuffers).toBe(start.liveBuffers);
    // The pool reached its working set in the first 100 steps and never grew after that.
    expect(new Set(pooledAfter).size).toBe(1);
    expect(end.peakBytes).toBeLessThan(start.liveBytes + 64 * 1024);
    expect(lastLoss).toBeLessThan(firstLoss * 0.1);
    console.log(
      `memory: start ${JSON.stringify(start)} end ${JSON.stringify(end)}; loss ${firstLoss.toFixed(4)} → ${lastLoss.toFixed(6)}`,
    );
  });

  it('tidy frees everything except returned (nested) tensors and kept tensors; dispose is idempotent', () => {
    const before = T.memoryStats();
    let kept: T.Tensor | undefined;
    const out = T.tidy(() => {
      const a = T.ones([4]);
      const b = a.add(1);
      kept = T.zeros([2]).keep();
      a.mul(3);
      return { pair: [b, a.mul(2)], other: new Map([['x', T.full([1], 5)]]) };
    });
    const during = T.memoryStats();
    expect(during.liveBuffers).toBe(before.liveBuffers + 4);
    T.dispose(out);
    out.pair[0]!.dispose();
    kept!.dispose();
    expect(T.memoryStats().liveBuffers).toBe(before.liveBuffers);
    expect(T.memoryStats().liveBytes).toBe(before.liveBytes);
  });

  it('views share a buffer that is freed when the last view is disposed', () => {
    const before = T.memoryStats().liveBuffers;
    const a = T.ones([2, 3]);
    const v = a.reshape([6]);
    const d = v.detach();
    expect(T.memoryStats().liveBuffers).toBe(before + 1);
    a.dispose();
    v.dispose();
    expect(T.memoryStats().liveBuffers).toBe(before + 1);
    d.dispose();
    expect(T.memoryStats().liveBuffers).toBe(before);
  });

  it('a pooled buffer reused right after dispose never clobbers pending work that reads it', async () => {
    const a = T.tensor([1, 2, 3, 4]);
    const b = a.mul(10); // encoded, not yet run
    const buffer = bufferOf(a);
    a.dispose();
    const c = T.tensor([7, 7, 7, 7]); // reuses a's buffer through the pool
    expect(bufferOf(c)).toBe(buffer);
    const d = T.full([4], 9); // and a kernel write into another reused buffer
    expect(await b.toArray()).toEqual([10, 20, 30, 40]);
    expect(await c.toArray()).toEqual([7, 7, 7, 7]);
    expect(await d.toArray()).toEqual([9, 9, 9, 9]);
  });

  it('after a read, free buffers are handed out oldest first whatever order they were freed in', async () => {
    // A size class no other test uses: 3 buffers of 1 MiB + 4 bytes (2 MiB class).
    const n = 262_145;
    const [a, b, c] = [T.zeros([n]), T.zeros([n]), T.zeros([n])];
    const made = [bufferOf(a), bufferOf(b), bufferOf(c)];
    for (const t of [b, c, a]) t.dispose(); // LIFO alone would hand out a, c, b next
    await T.tensor([1]).data(); // the host waits: the pool puts its free lists in order
    const again = [T.zeros([n]), T.zeros([n]), T.zeros([n])];
    // Buffers compare by identity (toEqual would find any two GPUBuffers equal).
    expect(again.map((t) => made.indexOf(bufferOf(t)))).toEqual([0, 1, 2]);
    for (const t of again) t.dispose();
  });

  it('backward frees its intermediate gradients', () => {
    const w = T.ones([3, 3]).requireGrad();
    const x = T.ones([2, 3]);
    const before = T.memoryStats();
    T.tidy(() => {
      const loss = x.matmul(w).silu().softmax().sum();
      const mid = T.memoryStats();
      loss.backward();
      // Only w.grad was added.
      expect(T.memoryStats().liveBuffers).toBe(mid.liveBuffers + 1);
    });
    w.grad = null;
    expect(T.memoryStats().liveBuffers).toBe(before.liveBuffers);
  });

  it('ops used outside tidy() leave nothing behind once their results are disposed', async () => {
    const x = T.tensor([
      [0.5, -1, 2],
      [1.5, 0.25, -0.75],
    ]);
    const v = T.tensor([1, 2, 3]);
    const u = T.tensor([1, 2]);
    const mask = x.gt(0);
    const row = v.reshape([1, 3]);
    const ops: [string, (t: T.Tensor) => T.Tensor][] = [
      ['vector·matrix', (t) => T.matmul(u, t)],
      ['matrix·vector', (t) => T.matmul(t, v)],
      ['stack', (t) => T.stack([t, t], 1)],
      ['atan2 with a number', (t) => T.atan2(t, 2)],
      ['pow with a number base', (t) => T.pow(2, t)],
      ['where with numbers', (t) => T.where(mask, t, 0)],
      ['max of all', (t) => t.max()],
      ['sum of all', (t) => t.sum()],
      ['mean over axes', (t) => t.mean([0, 1], true)],
      ['broadcast add', (t) => t.add(row)],
      ['softmax', (t) => t.softmax(0)],
    ];
    for (const [name, op] of ops) {
      for (const withGrad of [false, true]) {
        const before = T.memoryStats();
        const t = x.clone();
        if (withGrad) t.requiresGrad = true;
        const y = op(t);
        if (withGrad) {
          const loss = y.sum();
          loss.backward();
          loss.dispose();
          expect(t.grad, name).not.toBeNull();
        }
        y.dispose();
        t.dispose();
        await gpu().sync();
        const after = T.memoryStats();
        expect([name, withGrad, after.liveBuffers]).toEqual([name, withGrad, before.liveBuffers]);
      }
    }
  });
});
