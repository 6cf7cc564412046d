import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy } from '@trm/datasets';
import { type HostTensor, readTorchCheckpoint, saveSafetensors } from '@trm/model';
import { afterAll, describe, expect, it } from 'vitest';
import { trm } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fixtures/torch-eval');
// torch.save of the reference implementation's state dict (make_fixture.py), `_orig_mod.` keys.
const referencePt = join(fixture, 'checkpoint.pt');
const work = mkdtempSync(join(tmpdir(), 'trm-export-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const env = { HF_HOME: '/nonexistent-hf-home' };
const run = (argv: string[]) => trm(argv, { cwd: work, env });

const bytesOf = (t: HostTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('trm export --to pt', () => {
  it('writes a torch.save file of the weights under the reference names, bits unchanged', async () => {
    const src = join(work, 'ours.safetensors');
    const weights = new Map<string, HostTensor>([
      ['model.inner.w', { dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, -2, 0.5, 3) }],
      ['model.inner.b', { dtype: 'BF16', shape: [2], data: Uint16Array.of(0x3f80, 0xc000) }],
    ]);
    await saveSafetensors(
      src,
      new Map([...weights, ['adam/m/x', { dtype: 'F32', shape: [1], data: Float32Array.of(9) }]]),
      { format: 'trm' },
    );
    const r = await run([
      'export',
      '--checkpoint',
      'ours.safetensors',
      '--to',
      'pt',
      '--out',
      'sub/ours.pt',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote .*sub\/ours\.pt \(torch\.save, 2 tensors/);
    expect(r.stdout).toMatch(/left out 1 tensor .*adam\/m\/x/);
    const back = await readTorchCheckpoint(join(work, 'sub/ours.pt'), { float16: 'raw' });
    expect([...back.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [name, t] of weights) {
      expect(back.get(name)!.dtype).toBe(t.dtype);
      expect(back.get(name)!.shape).toEqual(t.shape);
      expect(bytesOf(back.get(name)!).equals(bytesOf(t)), name).toBe(true);
    }
  });

  it('a reference checkpoint exported and evaluated gives the reference predictions', async () => {
    const r = await run(['export', '--checkpoint', referencePt, '--to', 'pt', '--out', 'ref.pt']);
    expect(r.code, r.stderr).toBe(0);
    const exported = await readTorchCheckpoint(join(work, 'ref.pt'), { float16: 'raw' });
    const original = await readTorchCheckpoint(referencePt, { float16: 'raw' });
    expect([...exported.keys()]).toEqual(
      [...original.keys()].map((k) => k.replace(/^_orig_mod\./, '')),
    );
    const outdir = join(work, 'eval-ref');
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
    const e = await run([
      'eval',
      '--checkpoint',
      'ref.pt',
      '--dataset',
      join(fixture, 'dataset'),
      '--outdir',
      outdir,
      '--global-batch-size',
      '6',
      'evaluators=[]',
      ...arch.map((a) => `arch.${a}`),
    ]);
    expect(e.code, e.stderr).toBe(0);
    const got = readNpy(join(outdir, 'preds.npy'));
    const expected = readNpy(join(fixture, 'expected_preds.npy'));
    expect(Array.from(got.data as Int32Array)).toEqual(Array.from(expected.data as Int32Array));
  }, 120_000);

  it('refuses an existing --out without --overwrite (exit 2), replaces it with', async () => {
    writeFileSync(join(work, 'taken.pt'), 'mine');
    const r = await run(['export', '--checkpoint', referencePt, '--to', 'pt', '--out', 'taken.pt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/taken\.pt already exists\. Pass --overwrite/);
    expect(readFileSync(join(work, 'taken.pt'), 'utf8')).toBe('mine');
    const o = await run([
      'export',
      '--checkpoint',
      referencePt,
      '--to',
      'pt',
      '--out',
      'taken.pt',
      '--overwrite',
    ]);
    expect(o.code, o.stderr).toBe(0);
    expect(readFileSync(join(work, 'taken.pt')).subarray(0, 2).toString()).toBe('PK');
  });

  it('refuses a missing or corrupt checkpoint, an unknown --to and a directory --out (exit 2), writing nothing', async () => {
    writeFileSync(join(work, 'corrupt.pt'), readFileSync(referencePt).subarray(0, 300));
    mkdirSync(join(work, 'adir'), { recursive: true });
    const cases: Array<[string[], RegExp]> = [
      [
        ['--checkpoint', 'missing.pt', '--to', 'pt', '--out', 'x.pt'],
        /--checkpoint missing\.pt not found/,
      ],
      [
        ['--checkpoint', 'corrupt.pt', '--to', 'pt', '--out', 'x.pt'],
        /corrupt\.pt: corrupt zip archive/,
      ],
      [
        ['--checkpoint', referencePt, '--to', 'onnx', '--out', 'x.pt'],
        /--to must be one of pt, got 'onnx'/,
      ],
      [['--checkpoint', referencePt, '--to', 'pt', '--out', 'adir'], /--out adir is a directory/],
      [['--checkpoint', referencePt, '--out', 'x.pt'], /--to/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['export', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(() => readFileSync(join(work, 'x.pt'))).toThrow();
  });
});
