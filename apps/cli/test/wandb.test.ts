import { describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../src/config/index.js';
import { createWandbSink, wandbRequested } from '../src/train/wandb.js';
import { Capture, tempDir, trm } from './helpers.js';

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

  it('a missing @wandb/sdk (an optional peer dependency) says how to install it', async () => {
    // What Node throws for an import of a package that is not installed.
    const missing = Object.assign(
      new Error("Cannot find package '@wandb/sdk' imported from /x/dist/chunk.js"),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
    const load = () => Promise.reject(missing);
    const asked = io();
    expect(
      await createWandbSink({
        io: asked,
        requested: true,
        project: 'p',
        run: 'r',
        config: {},
        load,
      }),
    ).toBeNull();
    expect(asked.stderr.text).toBe(
      'warning: Weights & Biases logging is off: logger=wandb needs the optional package ' +
        '@wandb/sdk, which is not installed: install it where @trm/cli is installed ' +
        '(npm install @wandb/sdk; npm install -g @wandb/sdk for a global trm). Training continues.\n',
    );
    const byKey = io({ WANDB_API_KEY: 'k' });
    await createWandbSink({
      io: byKey,
      requested: false,
      project: 'p',
      run: 'r',
      config: {},
      load,
    });
    expect(byKey.stderr.text).toMatch(/WANDB_API_KEY is set, but W&B logging needs the optional/);
    // Any other failure to load is reported as it is.
    const broken = io();
    await createWandbSink({
      io: broken,
      requested: true,
      project: 'p',
      run: 'r',
      config: {},
      load: () => Promise.reject(new SyntaxError('Unexpected token')),
    });
    expect(broken.stderr.text).toMatch(/could not be loaded \(Unexpected token\)/);
  });

  it('uses the default export of the module it loads, and refuses an unknown API', async () => {
    const calls: string[] = [];
    const api = {
      init: async () => void calls.push('init'),
      log: () => void calls.push('log'),
      finish: async () => void calls.push('finish'),
    };
    const sink = await createWandbSink({
      io: io(),
      requested: true,
      project: 'p',
      run: 'r',
      config: {},
      load: async () => ({ default: api, wandb: api }),
    });
    sink!.log(1, { a: 1 });
    await sink!.finish();
    expect(calls).toEqual(['init', 'log', 'finish']);
    const odd = io();
    expect(
      await createWandbSink({
        io: odd,
        requested: true,
        project: 'p',
        run: 'r',
        config: {},
        load: async () => ({ default: {} }),
      }),
    ).toBeNull();
    expect(odd.stderr.text).toMatch(/has no init\/log\/finish/);
  });

  it('the @wandb/sdk this workspace installs (a devDependency) has that API', async () => {
    // Fails when @wandb/sdk changes the shape trm calls (default export with init/log/finish).
    const mod = (await import('@wandb/sdk' as string)) as { default: Record<string, unknown> };
    for (const fn of ['init', 'log', 'finish']) expect(typeof mod.default[fn]).toBe('function');
  });
});

describe('logger=wandb', () => {
  const logger = (overrides: string[]) =>
    resolveTrainConfig(overrides, { cwd: tempDir() }).config.logger;

  it('is a config key: logger=wandb, +logger=wandb and ++logger=wandb all ask for W&B', () => {
    expect(logger([])).toBeNull();
    for (const spelling of ['logger=wandb', '+logger=wandb', '++logger=wandb']) {
      expect(logger([spelling]), spelling).toBe('wandb');
      expect(wandbRequested({ logger: logger([spelling]) }, {}), spelling).toBe(true);
    }
    expect(wandbRequested({ logger: null }, {})).toBe(false);
    expect(wandbRequested({ logger: null }, { TRM_LOGGER: 'wandb' })).toBe(true);
    // WANDB_API_KEY alone is handled by createWandbSink (see above), not here.
    expect(wandbRequested({ logger: null }, { WANDB_API_KEY: 'k' })).toBe(false);
  });

  it('rejects any other logger with the allowed values', () => {
    expect(() => logger(['logger=tensorboard'])).toThrow(/logger.*one of wandb/s);
  });

  it('trm train --print-config shows it, and a bad value is a usage error (exit code 2)', async () => {
    const cwd = tempDir();
    const ok = await trm(['train', 'logger=wandb', '--print-config'], { cwd });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^logger: wandb$/m);
    const bad = await trm(['train', 'logger=tensorboard', '--print-config'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/logger/);
  });
});
