import { Device, Generator, setDefaultDevice, zeros } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Linear, Module, SparsePuzzleEmbedding, StateDictError } from '../src/index.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
  setDefaultDevice(device);
});
afterAll(() => device?.destroy());

class Net extends Module {
  readonly a: Linear;
  readonly b: Linear;
  constructor() {
    super();
    const g = new Generator(0);
    this.a = this.registerModule('a', new Linear(3, 4, g, { bias: true }));
    this.b = this.registerModule('b', new Linear(4, 2, g));
    this.registerBuffer('running', zeros([2]));
    this.registerBuffer('table', zeros([2]), false);
  }
}

describe('Module', () => {
  it('names parameters and persistent buffers with dots, like PyTorch', () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias', 'b.weight']);
    expect([...net.stateDict().keys()]).toEqual(['a.weight', 'a.bias', 'b.weight', 'running']);
    expect(net.parameterCount()).toBe(12 + 4 + 8);
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
    net.eval();
    expect(net.a.training).toBe(false);
    net.dispose();
  });

  it('loads a state dict in place and round-trips it', async () => {
    const net = new Net();
    const weight = net.a.weight;
    const entries = await net.stateDictData();
    const patched = new Map(entries);
    patched.set('a.weight', {
      shape: [4, 3],
      data: Float32Array.from({ length: 12 }, (_, i) => i),
    });
    net.loadStateDict(patched);
    expect(net.a.weight).toBe(weight);
    expect([...(await net.a.weight.data())]).toEqual(Array.from({ length: 12 }, (_, i) => i));
    net.dispose();
  });

  it('lists every missing, unexpected and wrong-shaped key in one error; non-strict ignores the first two', async () => {
    const net = new Net();
    const entries = new Map(await net.stateDictData());
    entries.delete('b.weight');
    entries.set('c.weight', { shape: [1], data: new Float32Array(1) });
    entries.set('a.bias', { shape: [5], data: new Float32Array(5) });
    expect(() => net.loadStateDict(entries)).toThrow(StateDictError);
    expect(() => net.loadStateDict(entries)).toThrow(
      /missing keys: b\.weight\. unexpected keys: c\.weight\. wrong shapes: a\.bias: checkpoint \[5\], model \[4\]/,
    );
    entries.set('a.bias', { shape: [4], data: new Float32Array(4) });
    expect(() => net.loadStateDict(entries, { strict: false })).not.toThrow();
    net.dispose();
  });
});

describe('SparsePuzzleEmbedding', () => {
  it('trains through a batch-local copy and reads the table directly in eval', async () => {
    const emb = new SparsePuzzleEmbedding(4, 2);
    emb.weights.assign([0, 1, 10, 11, 20, 21, 30, 31]);
    const ids = Int32Array.of(2, 2, 0);
    const local = emb.forward(
      (await import('@trm/tensor')).tensor(ids, { dtype: 'i32', shape: [3] }),
      ids,
    );
    expect(local.isLeaf && local.requiresGrad).toBe(true);
    expect([...(await local.data())]).toEqual([20, 21, 20, 21, 0, 1]);
    expect(emb.sparseGrad()).toBeNull(); // no backward yet
    local.sum().backward();
    const sparse = emb.sparseGrad()!;
    expect([...sparse.ids]).toEqual([2, 2, 0]);
    expect([...(await sparse.rows.data())]).toEqual([1, 1, 1, 1, 1, 1]);
    expect(emb.namedParameters()).toEqual([]); // not seen by the dense optimiser
    emb.eval();
    const direct = emb.forward(
      (await import('@trm/tensor')).tensor(ids, { dtype: 'i32', shape: [3] }),
    );
    expect(direct.requiresGrad).toBe(false);
    emb.dispose();
  });
});
