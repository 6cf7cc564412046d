import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy } from '@trm/datasets';
import { afterAll, describe, expect, it } from 'vitest';
import { trm } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fixtures/torch-eval');
// torch.save of the reference implementation's state dict (make_fixture.py), `_orig_mod.` keys.
const checkpoint = join(fixture, 'checkpoint.pt');
const work = mkdtempSync(join(tmpdir(), 'trm-eval-torch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('trm eval on a PyTorch checkpoint', () => {
  it('writes the predictions the PyTorch reference makes (make_fixture.py)', async () => {
    const outdir = join(work, 'out');
    // A .pt file carries no config: the architecture comes from overrides, as in the reference.
    const arch = [
      'hidden_size=64',
      'num_heads=2',
      'expansion=4',
      'L_layers=2',
      'H_cycles=2',
      'L_cycles=2',
      'puzzle_emb_len=4',
      'halt_max_steps=2',
      // make_fixture.py computed the reference predictions in f32.
      'forward_dtype=float32',
    ];
    const r = await trm(
      [
        'eval',
        '--checkpoint',
        checkpoint,
        '--dataset',
        join(fixture, 'dataset'),
        '--outdir',
        outdir,
        '--global-batch-size',
        '6',
        'evaluators=[]',
        ...arch.map((a) => `arch.${a}`),
      ],
      { cwd: work, env: { HF_HOME: '/nonexistent-hf-home' } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\(torch\)/);
    const got = readNpy(join(outdir, 'preds.npy'));
    const expected = readNpy(join(fixture, 'expected_preds.npy'));
    expect(got.shape).toEqual(expected.shape);
    expect(Array.from(got.data as Int32Array)).toEqual(Array.from(expected.data as Int32Array));
    expect(existsSync(join(outdir, 'inputs.npy'))).toBe(true);
  }, 120_000);
});
