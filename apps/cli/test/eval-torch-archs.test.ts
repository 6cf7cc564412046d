import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy } from '@trm/datasets';
import { afterAll, describe, expect, it } from 'vitest';
import { trm } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fixtures/torch-eval');
const work = mkdtempSync(join(tmpdir(), 'trm-eval-torch-archs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The trm family and hrm at the shapes of make_parity.py's ARCH_VARIANTS. */
const small = ['hidden_size=32', 'num_heads=2', 'expansion=4', 'H_cycles=2', 'L_cycles=2'];
const trmFamily = [...small, 'L_layers=1', 'puzzle_emb_len=2', 'halt_max_steps=2'];
const baseline = ['hidden_size=32', 'num_heads=3', 'H_layers=2'];

/**
 * `trm eval` on the torch.save checkpoints of make_arch_fixtures.py: the architecture comes
 * from `arch=<group>` and overrides, as in the reference, and the predictions must be
 * PyTorch's.
 */
const CASES: [string, string, string, string[]][] = [
  ['trm_singlez', 'singlez_rope', 'singlez_rope', trmFamily],
  [
    'trm_hier6',
    'hier6_learned_continue',
    'hier6_learned_continue',
    [...trmFamily.filter((a) => !a.startsWith('L_cycles')), 'L_cycles=4', 'pos_encodings=learned'],
  ],
  ['hrm', 'hrm_rope', 'hrm_rope', [...small, 'H_layers=1', 'L_layers=1', 'halt_max_steps=2']],
  ['transformers_baseline', 'baseline_act', 'baseline_act', [...baseline, 'halt_max_steps=2']],
  // act_inference: each row keeps the predictions of the step its Q head halts it
  [
    'transformers_baseline',
    'baseline_act',
    'baseline_act_inference',
    [...baseline, 'halt_max_steps=4', '+act_inference=true'],
  ],
];

/** `trm eval` of `archs/<checkpoint>.pt` on the fixture's test set, into `work/<outdir>`. */
function evalTorch(checkpoint: string, outdir: string, args: string[]) {
  return trm(
    [
      'eval',
      '--checkpoint',
      join(fixture, 'archs', `${checkpoint}.pt`),
      '--dataset',
      join(fixture, 'dataset'),
      '--outdir',
      join(work, outdir),
      '--global-batch-size',
      '6',
      'evaluators=[]',
      ...args,
    ],
    { cwd: work, env: { HF_HOME: '/nonexistent-hf-home' } },
  );
}

describe('trm eval on PyTorch checkpoints of the other architectures', () => {
  it.each(CASES)(
    'arch=%s: %s.pt gives the predictions of %s',
    async (group, checkpoint, expected, arch) => {
      const r = await evalTorch(checkpoint, expected, [
        `arch=${group}`,
        // The fixtures are PyTorch's f32 predictions; the groups' default bfloat16 would
        // compute in f16 on an adapter with shader-f16.
        'arch.forward_dtype=float32',
        ...arch.map((a) => (a.startsWith('+') ? `+arch.${a.slice(1)}` : `arch.${a}`)),
      ]);
      const outdir = join(work, expected);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/\(torch\)/);
      const got = readNpy(join(outdir, 'preds.npy'));
      const want = readNpy(join(fixture, 'archs', `${expected}_preds.npy`));
      expect(got.shape).toEqual(want.shape);
      expect(Array.from(got.data as Int32Array)).toEqual(Array.from(want.data as Int32Array));
      if (expected === 'baseline_act_inference') expect(r.stdout).toMatch(/act inference/);
    },
    120_000,
  );

  it('a checkpoint of another architecture is an input error that names its group', async () => {
    const r = await evalTorch(
      'hrm_rope',
      'wrong-arch',
      small.map((a) => `arch.${a}`),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Its tensors are those of the hrm architecture: pass arch=hrm/);
  }, 120_000);
});
