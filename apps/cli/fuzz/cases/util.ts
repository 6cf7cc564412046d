/** Small builders the case files share: commands, dataset copies and raw `.npy` bytes. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NpyDtype, readNpy, writeNpy } from '@trm/datasets';
import { copyInto, type Fixtures, TINY_ARCH } from '../lib/fixtures.js';
import type { CaseDir } from '../lib/harness.js';

/** `trm eval` of the fixture checkpoint (or `ckpt`) on `dataset`, writing into `out/`. */
export const evalArgs = (f: Fixtures, dataset: string, ckpt = f.checkpoint, ...more: string[]) => [
  'eval',
  '--checkpoint',
  ckpt,
  '--dataset',
  dataset,
  '--outdir',
  'out',
  ...more,
];

/** `trm train` on `dataset` with the tiny architecture, its run directory inside the case. */
export const trainArgs = (dataset: string, ...more: string[]) => [
  'train',
  `data_paths=[${dataset}]`,
  'checkpoint_path=run',
  'global_batch_size=8',
  'epochs=1',
  'eval_interval=1',
  ...TINY_ARCH,
  ...more,
];

/** A private copy of the fixture dataset at `<case>/ds`. */
export function dataset(ws: CaseDir, f: Fixtures, from = f.dataset): string {
  return copyInto(from, ws.path('ds'));
}

/** Rewrites one array of a dataset copy through `edit` (same dtype unless `descr` is given). */
export function mutateArray(
  dir: string,
  split: 'train' | 'test',
  field: string,
  edit: (data: number[], shape: number[]) => { data: number[]; shape?: number[] } | undefined,
  dtype?: NpyDtype,
): string {
  const file = join(dir, split, `all__${field}.npy`);
  const arr = readNpy(file);
  const data = Array.from(arr.data as ArrayLike<number | bigint>, Number);
  const r = edit(data, [...arr.shape]) ?? { data };
  const shape = r.shape ?? [...arr.shape];
  const typed = {
    i8: () => BigInt64Array.from(r.data, (x) => BigInt(x)),
    u1: () => Uint8Array.from(r.data),
    i1: () => Int8Array.from(r.data),
    u2: () => Uint16Array.from(r.data),
    i2: () => Int16Array.from(r.data),
    u4: () => Uint32Array.from(r.data),
    i4: () => Int32Array.from(r.data),
    f4: () => Float32Array.from(r.data),
    f8: () => Float64Array.from(r.data),
  }[dtype ?? arr.dtype]();
  writeNpy(file, typed, shape);
  return file;
}

/** Edits a split's dataset.json. */
export function mutateMeta(
  dir: string,
  split: 'train' | 'test',
  edit: (m: Record<string, unknown>) => unknown,
): string {
  const file = join(dir, split, 'dataset.json');
  const m = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const out = edit(m) ?? m;
  writeFileSync(file, typeof out === 'string' ? out : JSON.stringify(out));
  return file;
}

/** Raw `.npy` bytes with every header field under the case's control. */
export function npyBytes(opts: {
  header?: string;
  descr?: string;
  shape?: string;
  fortran?: string;
  data?: Uint8Array;
  magic?: Uint8Array;
  version?: [number, number];
  /** Overrides the header-length field. */
  headerLen?: number;
}): Buffer {
  const header =
    opts.header ??
    `{'descr': '${opts.descr ?? '<i4'}', 'fortran_order': ${opts.fortran ?? 'False'}, 'shape': ${opts.shape ?? '(4,)'}, }`;
  const magic = Buffer.from(opts.magic ?? Buffer.from('\x93NUMPY', 'latin1'));
  const [major, minor] = opts.version ?? [1, 0];
  let h = Buffer.from(header, 'latin1');
  const pad = 64 - ((magic.length + 4 + h.length + 1) % 64);
  h = Buffer.concat([h, Buffer.alloc(pad % 64, 0x20), Buffer.from('\n')]);
  const len = Buffer.alloc(2);
  len.writeUInt16LE(opts.headerLen ?? h.length);
  return Buffer.concat([
    magic,
    Buffer.of(major, minor),
    len,
    h,
    Buffer.from(opts.data ?? new Uint8Array(16)),
  ]);
}

/** Writes `bytes` over one array file of a dataset copy; returns the file. */
export function replaceArray(dir: string, split: 'train' | 'test', field: string, bytes: Buffer) {
  const file = join(dir, split, `all__${field}.npy`);
  writeFileSync(file, bytes);
  return file;
}
