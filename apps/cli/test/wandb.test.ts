import { describe, expect, it } from 'vitest';
import { createWandbSink } from '../src/train/wandb.js';
import { Capture } from './helpers.js';

const io = (env: NodeJS.ProcessEnv = {}) => ({
  stdout: new Capture(),
  stderr: new Capture(),
  cwd: '/',
  env,
});

describe('Weights & Biases logging', () => {
  it('is off without WANDB_API_KEY or logger=wandb', async () => {
    expect(
      await createWandbSink({ io: io(), requested: false, project: 'p', run: 'r', config: {} }),
    ).toBeNull();
  });

  it('sends config, metrics and the finish to the client', async () => {
    const calls: unknown[] = [];
    const module = {
      init: async (o: unknown) => calls.push(['init', o]),
      log: (m: unknown, o: unknown) => calls.push(['log', m, o]),
      finish: async () => void calls.push(['finish']),
    };
    const sink = await createWandbSink({
      io: io({ WANDB_API_KEY: 'k' }),
      requested: false,
      project: 'P',
      run: 'R',
      config: { lr: 1 },
      module,
    });
    sink!.log(3, { 'train/lm_loss': 0.5 });
    await sink!.finish();
    expect(calls).toEqual([
      ['init', { project: 'P', name: 'R', config: { lr: 1 } }],
      ['log', { 'train/lm_loss': 0.5 }, { step: 3 }],
      ['finish'],
    ]);
  });

  it('a failing client only warns, and training goes on', async () => {
    const out = io();
    const failingInit = {
      init: async () => Promise.reject(new Error('network down')),
      log() {},
      finish: async () => {},
    };
    expect(
      await createWandbSink({
        io: out,
        requested: true,
        project: 'p',
        run: 'r',
        config: {},
        module: failingInit,
      }),
    ).toBeNull();
    expect(out.stderr.text).toMatch(
      /warning: Weights & Biases logging is off: wandb.init failed \(network down\)\. Training continues\./,
    );
    const failingLog = {
      init: async () => {},
      log() {
        throw new Error('quota');
      },
      finish: async () => {},
    };
    const sink = await createWandbSink({
      io: out,
      requested: true,
      project: 'p',
      run: 'r',
      config: {},
      module: failingLog,
    });
    expect(() => sink!.log(1, { a: 1 })).not.toThrow();
    expect(() => sink!.log(2, { a: 1 })).not.toThrow();
    expect(out.stderr.text).toMatch(/wandb.log failed \(quota\)/);
  });
});
