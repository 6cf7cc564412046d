/**
 * Hostile and broken checkpoints: safetensors headers and data, `torch.save` zips and their
 * pickles (refused globals, decompression bombs, zero-stride views, deep nesting, huge
 * opcodes), files that are not files, and checkpoints that do not fit the model. Tried
 * through `trm eval --checkpoint` and `trm train load_checkpoint=…`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, createDeflateRaw } from 'node:zlib';
import { loadCheckpoint } from '@trm/model';
import type { Fixtures } from '../lib/fixtures.js';
import type { CaseDir, FuzzCase, Run } from '../lib/harness.js';
import {
  PICKLE_OP as OP,
  PickleBuilder,
  type PtTensor,
  stateDictPickle,
  torchSave,
  zipArchive,
} from '../lib/torch-writer.js';
import { evalArgs, trainArgs } from './util.js';

/**
 * The fixture's weights as `{name, shape, data}`, read once. The promise is cached, not the
 * map being filled: cases run concurrently, and one that arrived during the read used to see
 * an empty map.
 */
let weightsRead: Promise<Map<string, { shape: number[]; data: Float32Array }>> | undefined;
function weights(f: Fixtures) {
  weightsRead ??= loadCheckpoint(f.checkpoint).then((ckpt) => {
    const map = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, t] of ckpt.tensors)
      if (t.data instanceof Float32Array) map.set(name, { shape: t.shape, data: t.data });
    if (map.size < 2) throw new Error(`fixture checkpoint ${f.checkpoint} has no f32 weights`);
    return map;
  });
  return weightsRead;
}

/** Safetensors bytes from a header object and a data section. */
function safetensors(header: unknown, data: Uint8Array, lenOverride?: bigint): Buffer {
  const h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lenOverride ?? BigInt(h.length));
  return Buffer.concat([len, h, Buffer.from(data)]);
}

/** A safetensors file of the fixture weights, with `edit` applied to the header entries. */
/** A safetensors header, untyped on purpose: the cases put wrong values in it. */
// biome-ignore lint/suspicious/noExplicitAny: hostile test data has no type to check.
type LooseHeader = Record<string, any>;

async function editedSafetensors(
  f: Fixtures,
  edit: (h: LooseHeader, names: string[]) => void,
  metadata: Record<string, string> = {},
): Promise<Buffer> {
  const w = await weights(f);
  const header: LooseHeader = { __metadata__: metadata };
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of w) {
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  edit(header, [...w.keys()]);
  return safetensors(header, Buffer.concat(parts));
}

/** Runs a checkpoint file through eval (and, for some, train's load_checkpoint). */
function ckptCase(
  klass: 'safetensors' | 'pt',
  id: string,
  make: (f: Fixtures, ws: CaseDir) => Promise<Buffer | string> | Buffer | string,
  opts: {
    names?: (string | RegExp)[];
    via?: ('eval' | 'train')[];
    memLimitMiB?: number;
    maxSeconds?: number;
    ext?: string;
  } = {},
): (f: Fixtures) => FuzzCase[] {
  return (f) =>
    (opts.via ?? ['eval']).map((via) => ({
      id: `${klass}/${id}/${via}`,
      klass,
      async arrange(ws: CaseDir): Promise<Run> {
        const made = await make(f, ws);
        let path: string;
        if (typeof made === 'string') path = made;
        else {
          path = ws.path(`bad.${opts.ext ?? (klass === 'pt' ? 'pt' : 'safetensors')}`);
          writeFileSync(path, made);
        }
        // As users keep them: the run's all_config.yaml beside the checkpoint (its architecture).
        copyFileSync(join(f.run, 'all_config.yaml'), ws.path('all_config.yaml'));
        const argv =
          via === 'eval'
            ? evalArgs(f, f.dataset, path)
            : trainArgs(f.dataset, `load_checkpoint=${path}`);
        return {
          argv,
          code: 2,
          names: opts.names ?? [path.split('/').pop()!],
          ...(opts.memLimitMiB ? { memLimitMiB: opts.memLimitMiB } : {}),
          maxSeconds: opts.maxSeconds ?? 60,
        };
      },
    }));
}

const safetensorsCases = [
  ckptCase('safetensors', 'empty-file', () => Buffer.alloc(0), { via: ['eval', 'train'] }),
  ckptCase('safetensors', 'header-len-huge', () => safetensors('{}', new Uint8Array(0), 2n ** 40n)),
  ckptCase('safetensors', 'header-len-past-eof', () => safetensors('{}', new Uint8Array(0), 5000n)),
  ckptCase('safetensors', 'header-not-json', () => safetensors('{"a": [1, 2', new Uint8Array(0))),
  ckptCase('safetensors', 'header-array', () => safetensors('[1,2,3]', new Uint8Array(0))),
  ckptCase('safetensors', 'dtype-unknown', async (f) =>
    editedSafetensors(f, (h, n) => {
      h[n[0]!].dtype = 'F128';
    }),
  ),
  ckptCase('safetensors', 'shape-negative', async (f) =>
    editedSafetensors(f, (h, n) => {
      h[n[0]!].shape = [-1, 4];
    }),
  ),
  ckptCase('safetensors', 'offsets-past-end', async (f) =>
    editedSafetensors(f, (h, n) => {
      h[n[1]!].data_offsets = [0, 1e9];
    }),
  ),
  ckptCase('safetensors', 'offsets-overlap', async (f) =>
    editedSafetensors(f, (h, n) => {
      h[n[1]!].data_offsets = h[n[0]!].data_offsets;
      h[n[1]!].shape = h[n[0]!].shape;
    }),
  ),
  ckptCase('safetensors', 'size-mismatch', async (f) =>
    editedSafetensors(f, (h, n) => {
      h[n[0]!].shape = [3, 3, 3, 3];
    }),
  ),
  ckptCase(
    'safetensors',
    'i64-weight',
    async (f) =>
      editedSafetensors(f, (h, n) => {
        const e = h[n[0]!];
        const numel = (e.data_offsets[1] - e.data_offsets[0]) / 8;
        e.dtype = 'I64';
        e.shape = [numel];
      }),
    { names: ['bad.safetensors', /I64/] },
  ),
  ckptCase(
    'safetensors',
    'nan-weights',
    async (f) => {
      const w = await weights(f);
      const first = [...w.keys()][0]!;
      const saved = w.get(first)!.data.slice();
      w.get(first)!.data.fill(Number.NaN);
      const out = await editedSafetensors(f, () => {});
      w.get(first)!.data.set(saved);
      return out;
    },
    { names: ['bad.safetensors', /NaN|non-finite/] },
  ),
  ckptCase('safetensors', 'metadata-config-not-json', async (f) =>
    editedSafetensors(f, () => {}, { format: 'trm', config: '{"hidden_size": 16,' }),
  ),
  ckptCase('safetensors', 'metadata-not-strings', async (f) =>
    editedSafetensors(f, (h) => {
      h.__metadata__ = { format: 5 };
    }),
  ),
  ckptCase('safetensors', 'truncated', async (f) => readFileSync(f.checkpoint).subarray(0, 300), {
    via: ['eval', 'train'],
  }),
  ckptCase(
    'safetensors',
    'wrong-shapes',
    async (f) =>
      editedSafetensors(f, (h, n) => {
        const name = n.find((k) => /embed_tokens/.test(k)) ?? n[0]!;
        const e = h[name];
        const numel = (e.data_offsets[1] - e.data_offsets[0]) / 4;
        e.shape = [numel];
      }),
    { names: ['bad.safetensors'], via: ['eval', 'train'] },
  ),
  ckptCase('safetensors', 'missing-tensor', async (f) =>
    editedSafetensors(f, (h, n) => {
      delete h[n[0]!];
    }),
  ),
];

/** Pickle bytes with `body` between PROTO and STOP. */
const pickle = (body: (p: PickleBuilder) => void) => {
  const p = new PickleBuilder().op(OP.PROTO).op(2);
  body(p);
  return p.op(OP.STOP).bytes();
};

/** A `.pt` holding `pkl` and one 4-byte storage. */
const pt = (pkl: Uint8Array, storage: Uint8Array = new Uint8Array(4)) =>
  torchSave(pkl, new Map([['0', storage]]));

/** A real-looking `.pt` of the fixture weights with `edit` applied to the tensor records. */
async function editedPt(f: Fixtures, edit: (ts: PtTensor[]) => void): Promise<Buffer> {
  const refs: PtTensor[] = [];
  const storages = new Map<string, Uint8Array>();
  let key = 0;
  for (const [name, t] of await weights(f)) {
    const k = String(key++);
    refs.push({ name, key: k, numel: t.data.length, shape: t.shape });
    storages.set(k, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  edit(refs);
  return torchSave(stateDictPickle(refs), storages);
}

/** 1 GiB of zeros deflated (about 1 MiB), made once per run. */
let bombCache: { bytes: Buffer; crc: number } | undefined;
async function gibOfZeros(): Promise<{ bytes: Buffer; crc: number }> {
  if (bombCache) return bombCache;
  const chunk = Buffer.alloc(1 << 20);
  const deflate = createDeflateRaw({ level: 1 });
  const out: Buffer[] = [];
  deflate.on('data', (b: Buffer) => out.push(b));
  const done = new Promise((r) => deflate.on('end', r));
  let crc = 0;
  for (let i = 0; i < 1024; i++) {
    crc = crc32(chunk, crc);
    if (!deflate.write(chunk)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  bombCache = { bytes: Buffer.concat(out), crc };
  return bombCache;
}

const GIB = 1 << 30;

const ptCases = [
  ckptCase(
    'pt',
    'global-os-system',
    () =>
      pt(
        pickle((p) =>
          p.global('os', 'system').op(OP.MARK).str('touch PWNED').op(OP.TUPLE).op(OP.REDUCE),
        ),
      ),
    { via: ['eval', 'train'], names: ['bad.pt', /os\.system|posix\.system/] },
  ),
  ckptCase(
    'pt',
    'global-builtins-eval',
    () =>
      pt(
        pickle((p) =>
          p.global('builtins', 'eval').op(OP.MARK).str('1+1').op(OP.TUPLE).op(OP.REDUCE),
        ),
      ),
    { names: ['bad.pt', /builtins\.eval/] },
  ),
  ckptCase(
    'pt',
    'global-subprocess',
    () => pt(pickle((p) => p.global('subprocess', 'Popen').op(OP.EMPTY_TUPLE).op(OP.REDUCE))),
    { names: ['bad.pt', /subprocess/] },
  ),
  ckptCase(
    'pt',
    'deflate-bomb-declared',
    async () => {
      const z = await gibOfZeros();
      const pkl = stateDictPickle([
        { name: 'model.inner.H_init', key: '0', numel: GIB / 4, shape: [GIB / 4] },
      ]);
      return torchSave(
        pkl,
        new Map([
          [
            '0',
            {
              name: '',
              data: new Uint8Array(0),
              precompressed: { bytes: z.bytes, uncompressedSize: GIB, crc: z.crc },
            },
          ],
        ]),
      );
    },
    { memLimitMiB: 512, maxSeconds: 30, via: ['eval', 'train'] },
  ),
  ckptCase(
    'pt',
    'deflate-bomb-lying',
    async () => {
      const z = await gibOfZeros();
      const pkl = stateDictPickle([
        { name: 'model.inner.H_init', key: '0', numel: 16, shape: [16] },
      ]);
      return torchSave(
        pkl,
        new Map([
          [
            '0',
            {
              name: '',
              data: new Uint8Array(0),
              precompressed: { bytes: z.bytes, uncompressedSize: 64, crc: z.crc },
            },
          ],
        ]),
      );
    },
    { memLimitMiB: 512, maxSeconds: 30 },
  ),
  ckptCase(
    'pt',
    'zero-stride-25000sq',
    () =>
      pt(
        stateDictPickle([
          { name: 'model.inner.H_init', key: '0', numel: 1, shape: [25000, 25000], stride: [0, 0] },
        ]),
      ),
    { memLimitMiB: 512, maxSeconds: 30, via: ['eval', 'train'] },
  ),
  ckptCase('pt', 'stride-past-storage', () =>
    pt(
      stateDictPickle([
        { name: 'model.inner.H_init', key: '0', numel: 1, shape: [4, 4], stride: [4, 1] },
      ]),
    ),
  ),
  ckptCase('pt', 'negative-stride', () =>
    pt(
      stateDictPickle([
        { name: 'model.inner.H_init', key: '0', numel: 1, shape: [2], stride: [-1] },
      ]),
    ),
  ),
  ckptCase('pt', 'offset-past-storage', () =>
    pt(
      stateDictPickle([
        { name: 'model.inner.H_init', key: '0', numel: 1, offset: 1e6, shape: [1] },
      ]),
    ),
  ),
  ckptCase(
    'pt',
    'numel-2^40',
    () =>
      pt(
        stateDictPickle([
          { name: 'model.inner.H_init', key: '0', numel: 2 ** 40, shape: [2 ** 20, 2 ** 20] },
        ]),
      ),
    { memLimitMiB: 512 },
  ),
  ckptCase('pt', 'missing-storage-entry', () =>
    torchSave(
      stateDictPickle([{ name: 'model.inner.H_init', key: '7', numel: 1, shape: [1] }]),
      new Map(),
    ),
  ),
  ckptCase(
    'pt',
    'appends-1e6',
    () =>
      pt(
        pickle((p) => {
          p.op(OP.EMPTY_LIST).op(OP.MARK);
          const one = Buffer.of(0x4b, 1); // BININT1 1
          p.raw(Buffer.concat(Array.from({ length: 1_000_000 }, () => one)));
          p.op(OP.APPENDS);
        }),
      ),
    { memLimitMiB: 512 },
  ),
  ckptCase(
    'pt',
    'nesting-1e5',
    () =>
      pt(
        pickle((p) => {
          p.raw(Buffer.alloc(100_000, OP.EMPTY_LIST));
          p.raw(Buffer.alloc(99_999, 0x61)); // APPEND
        }),
      ),
    { memLimitMiB: 512 },
  ),
  ckptCase('pt', 'mark-nesting-1e5', () =>
    pt(
      pickle((p) => {
        p.raw(Buffer.alloc(100_000, OP.MARK));
        p.raw(Buffer.alloc(100_000, OP.TUPLE));
      }),
    ),
  ),
  ckptCase('pt', 'binunicode-4gib', () =>
    pt(pickle((p) => p.raw(Buffer.from([0x58, 0xff, 0xff, 0xff, 0xff, 0x41])))),
  ),
  ckptCase('pt', 'long4-huge', () =>
    pt(pickle((p) => p.raw(Buffer.from([0x8b, 0xff, 0xff, 0xff, 0x7f, 0x01])))),
  ),
  ckptCase('pt', 'memo-get-missing', () => pt(pickle((p) => p.raw(Buffer.from([0x68, 0x07]))))),
  ckptCase('pt', 'unknown-opcode', () => pt(pickle((p) => p.raw(Buffer.from([0xfe]))))),
  ckptCase('pt', 'stack-underflow', () => pt(pickle((p) => p.op(OP.REDUCE)))),
  ckptCase('pt', 'no-data-pkl', () =>
    zipArchive([{ name: 'archive/data/0', data: new Uint8Array(4) }]),
  ),
  ckptCase('pt', 'torchscript', () =>
    zipArchive([
      { name: 'archive/data.pkl', data: pickle((p) => p.op(OP.EMPTY_DICT)) },
      { name: 'archive/constants.pkl', data: pickle((p) => p.op(OP.EMPTY_TUPLE)) },
    ]),
  ),
  ckptCase('pt', 'legacy-format', () => pickle((p) => p.op(OP.EMPTY_DICT))),
  ckptCase('pt', 'truncated-zip', async (f) => readFileSync(f.pt).subarray(0, 200), {
    via: ['eval', 'train'],
  }),
  ckptCase('pt', 'bad-crc', async (f) => {
    const b = Buffer.from(readFileSync(f.pt));
    // Flip a byte of the first storage (after the pickle entry).
    const at = b.indexOf('archive/data/0') + 'archive/data/0'.length;
    b[at] = b[at]! ^ 0xff;
    return b;
  }),
  ckptCase(
    'pt',
    'i64-weights',
    async (f) =>
      editedPt(f, (ts) => {
        ts[0]!.storageClass = 'torch.LongStorage';
        ts[0]!.numel = Math.floor(ts[0]!.numel / 2);
        ts[0]!.shape = [ts[0]!.numel];
      }),
    { names: ['bad.pt', /I64|int64|Long/] },
  ),
  ckptCase(
    'pt',
    'wrong-shapes',
    async (f) =>
      editedPt(f, (ts) => {
        const t = ts.find((x) => /embed_tokens/.test(x.name)) ?? ts[0]!;
        t.shape = [t.numel];
      }),
    { via: ['eval', 'train'] },
  ),
  ckptCase('pt', 'not-a-dict', () => pt(pickle((p) => p.op(OP.EMPTY_LIST)))),
  ckptCase('pt', 'tensor-storage-class-refused', async () =>
    pt(
      stateDictPickle([
        { name: 'model.x', key: '0', numel: 1, shape: [1], storageClass: 'torch.ObjectStorage' },
      ]),
    ),
  ),
];

/** Checkpoint paths that are not regular files. */
const notFiles = (f: Fixtures): FuzzCase[] => {
  const kinds: [string, (ws: CaseDir) => string][] = [
    [
      'directory',
      (ws) => {
        mkdirSync(ws.path('ck.safetensors'));
        return ws.path('ck.safetensors');
      },
    ],
    ['dev-null', () => '/dev/null'],
    [
      'fifo',
      (ws) => {
        execFileSync('mkfifo', [ws.path('ck.pt')]);
        return ws.path('ck.pt');
      },
    ],
    ['missing', (ws) => ws.path('nope.safetensors')],
  ];
  const out: FuzzCase[] = [];
  for (const [id, make] of kinds) {
    for (const via of ['eval', 'train'] as const) {
      out.push({
        id: `pt/not-a-file-${id}/${via}`,
        klass: 'pt',
        arrange(ws) {
          const path = make(ws);
          copyFileSync(join(f.run, 'all_config.yaml'), ws.path('all_config.yaml'));
          const argv =
            via === 'eval'
              ? evalArgs(f, f.dataset, path)
              : trainArgs(f.dataset, `load_checkpoint=${path}`);
          return { argv, code: 2, names: [path.split('/').pop()!], maxSeconds: 30 };
        },
      });
    }
  }
  return out;
};

export function checkpointCases(f: Fixtures): FuzzCase[] {
  return [...safetensorsCases, ...ptCases].flatMap((c) => c(f)).concat(notFiles(f));
}
