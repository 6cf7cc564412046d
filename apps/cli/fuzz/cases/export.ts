/**
 * `trm export --to pt`: checkpoints that are missing, corrupt, truncated or hold no weights,
 * flags that are wrong, and `--out` paths that are taken — every one a clean exit 2 that
 * writes nothing — and the runs that succeed, which write exactly the one file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readTorchCheckpoint } from '@trm/model';
import type { Fixtures } from '../lib/fixtures.js';
import type { CaseDir, FuzzCase, FuzzClass, Run, RunResult } from '../lib/harness.js';

const USER_TEXT = 'a file of the user that must survive\n';

const exportArgs = (ckpt: string, out = 'out.pt', ...more: string[]) => [
  'export',
  '--checkpoint',
  ckpt,
  '--to',
  'pt',
  '--out',
  out,
  ...more,
];

/** Passes when `rel` in the case directory is a torch.save file our reader accepts. */
const wroteTorchFile = (ws: CaseDir, rel: string) => async (r: RunResult) => {
  const bytes = readFileSync(ws.path(rel));
  if (bytes.subarray(0, 2).toString('latin1') !== 'PK') throw new Error(`${rel} is not a zip`);
  const tensors = await readTorchCheckpoint(ws.path(rel));
  if (tensors.size === 0) throw new Error(`${rel} holds no tensors`);
  if (![...tensors.keys()].every((k) => k.startsWith('model.')))
    throw new Error(`${rel} holds names that are not the reference's: ${[...tensors.keys()]}`);
  const others = [...r.after.keys()].filter(
    (p) => !r.before.has(p) && p !== rel && !rel.startsWith(`${p}/`),
  );
  if (others.length > 0) throw new Error(`left behind ${others.join(', ')}`);
};

/** Every `trm export` case. */
export function exportCases(f: Fixtures): FuzzCase[] {
  const c = (klass: FuzzClass, id: string, arrange: (ws: CaseDir) => Run): FuzzCase => ({
    id: `${klass}/export-${id}`,
    klass,
    arrange,
  });
  return [
    c('safetensors', 'ok-safetensors', (ws) => ({
      argv: exportArgs(f.checkpoint),
      code: 0,
      changes: 'any',
      check: wroteTorchFile(ws, 'out.pt'),
    })),
    c('pt', 'ok-pt', (ws) => ({
      argv: exportArgs(f.pt, 'nested/dir/out.pt'),
      code: 0,
      changes: 'any',
      check: (r) => {
        if (!r.after.has('nested/dir/out.pt')) throw new Error('nested/dir/out.pt not written');
        return wroteTorchFile(ws, 'nested/dir/out.pt')(r);
      },
    })),
    c('pt', 'missing-checkpoint', () => ({
      argv: exportArgs('nope.pt'),
      code: 2,
      names: ['--checkpoint', 'nope.pt'],
    })),
    c('pt', 'garbage-checkpoint', (ws) => {
      writeFileSync(ws.path('garbage.pt'), 'this is not a checkpoint at all, just text\n');
      return { argv: exportArgs('garbage.pt'), code: 2, names: ['garbage.pt'] };
    }),
    c('pt', 'truncated-pt', (ws) => {
      writeFileSync(ws.path('cut.pt'), readFileSync(f.pt).subarray(0, 200));
      return { argv: exportArgs('cut.pt'), code: 2, names: ['cut.pt'] };
    }),
    c('safetensors', 'truncated-safetensors', (ws) => {
      const bytes = readFileSync(f.checkpoint);
      writeFileSync(ws.path('cut.safetensors'), bytes.subarray(0, bytes.length - 10));
      return { argv: exportArgs('cut.safetensors'), code: 2, names: ['cut.safetensors'] };
    }),
    c('safetensors', 'no-model-weights', (ws) => {
      // 8-byte header length, then a header of one non-weight tensor.
      const header = Buffer.from(
        JSON.stringify({ 'adam/m/x': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }),
      );
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(header.length));
      writeFileSync(ws.path('state.safetensors'), Buffer.concat([len, header, Buffer.alloc(4)]));
      return {
        argv: exportArgs('state.safetensors'),
        code: 2,
        names: ['state.safetensors', /no model weights/],
      };
    }),
    c('flags', 'unknown-to', () => ({
      argv: ['export', '--checkpoint', f.pt, '--to', 'onnx', '--out', 'out.pt'],
      code: 2,
      names: ['--to', 'onnx'],
    })),
    c('flags', 'missing-out', () => ({
      argv: ['export', '--checkpoint', f.pt, '--to', 'pt'],
      code: 2,
      names: ['--out'],
    })),
    c('output-paths', 'out-exists', (ws) => {
      writeFileSync(ws.path('mine.pt'), USER_TEXT);
      return { argv: exportArgs(f.pt, 'mine.pt'), code: 2, names: ['mine.pt', '--overwrite'] };
    }),
    c('output-paths', 'out-exists-overwrite', (ws) => {
      writeFileSync(ws.path('mine.pt'), USER_TEXT);
      return {
        argv: exportArgs(f.pt, 'mine.pt', '--overwrite'),
        code: 0,
        changes: 'any',
        check: wroteTorchFile(ws, 'mine.pt'),
      };
    }),
    c('output-paths', 'out-is-directory', (ws) => {
      writeFileSync(ws.path('keep.txt'), USER_TEXT);
      return { argv: exportArgs(f.pt, '.', '--overwrite'), code: 2, names: ['--out', 'directory'] };
    }),
    c('output-paths', 'out-under-a-file', (ws) => {
      writeFileSync(ws.path('afile'), USER_TEXT);
      return { argv: exportArgs(f.pt, 'afile/out.pt'), code: 2, names: ['afile'] };
    }),
    c('output-paths', 'out-is-the-checkpoint', (ws) => {
      writeFileSync(ws.path('w.pt'), readFileSync(f.pt));
      return { argv: exportArgs('w.pt', 'w.pt', '--overwrite'), code: 2, names: ['w.pt'] };
    }),
  ];
}
