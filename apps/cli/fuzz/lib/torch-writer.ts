/**
 * Just enough of `torch.save` to write the fuzz suite's `.pt` files: a protocol-2 pickle of
 * an OrderedDict of tensors rebuilt by `torch._utils._rebuild_tensor_v2`, and a zip archive
 * holding it beside the raw storages. Every field can be overridden, so a case can lie about
 * sizes, strides, globals or compression exactly where it wants to.
 */
import { crc32, deflateRawSync } from 'node:zlib';

/** One tensor of the state dict, as the pickle describes it. */
export interface PtTensor {
  name: string;
  /** Storage key (the file `archive/data/<key>`). */
  key: string;
  /** `torch.FloatStorage`, `torch.LongStorage`, … */
  storageClass?: string;
  /** Elements the storage record declares. */
  numel: number;
  offset?: number;
  shape: number[];
  stride?: number[];
}

/** Pickle opcodes used here. */
const OP = {
  PROTO: 0x80,
  GLOBAL: 0x63,
  EMPTY_TUPLE: 0x29,
  REDUCE: 0x52,
  MARK: 0x28,
  TUPLE: 0x74,
  BINPERSID: 0x51,
  BINUNICODE: 0x58,
  BININT: 0x4a,
  LONG1: 0x8a,
  NEWFALSE: 0x89,
  SETITEMS: 0x75,
  STOP: 0x2e,
  EMPTY_LIST: 0x5d,
  APPENDS: 0x65,
  EMPTY_DICT: 0x7d,
} as const;

/** A byte sink for pickle opcodes. */
export class PickleBuilder {
  private parts: Buffer[] = [];

  op(code: number): this {
    this.parts.push(Buffer.of(code));
    return this;
  }

  global(module: string, name: string): this {
    this.parts.push(Buffer.from([OP.GLOBAL]), Buffer.from(`${module}\n${name}\n`, 'latin1'));
    return this;
  }

  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    this.parts.push(Buffer.of(OP.BINUNICODE), len, b);
    return this;
  }

  int(n: number | bigint): this {
    const v = BigInt(n);
    if (v >= -(2n ** 31n) && v < 2n ** 31n) {
      const b = Buffer.alloc(5);
      b[0] = OP.BININT;
      b.writeInt32LE(Number(v), 1);
      this.parts.push(b);
      return this;
    }
    const bytes: number[] = [];
    let x = v;
    for (let i = 0; i < 16; i++) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
      if ((x === 0n && (bytes.at(-1)! & 0x80) === 0) || (x === -1n && (bytes.at(-1)! & 0x80) !== 0))
        break;
    }
    this.parts.push(Buffer.of(OP.LONG1, bytes.length), Buffer.from(bytes));
    return this;
  }

  tuple(items: (number | bigint)[]): this {
    this.op(OP.MARK);
    for (const i of items) this.int(i);
    return this.op(OP.TUPLE);
  }

  raw(bytes: Uint8Array): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** The opcodes of one `_rebuild_tensor_v2(storage, offset, shape, stride, False, OrderedDict())`. */
export function pickleTensor(p: PickleBuilder, t: PtTensor): void {
  const stride = t.stride ?? contiguousStride(t.shape);
  const [module, cls] = splitGlobal(t.storageClass ?? 'torch.FloatStorage');
  p.global('torch._utils', '_rebuild_tensor_v2').op(OP.MARK);
  p.op(OP.MARK).str('storage').global(module, cls).str(t.key).str('cpu').int(t.numel);
  p.op(OP.TUPLE).op(OP.BINPERSID);
  p.int(t.offset ?? 0)
    .tuple(t.shape)
    .tuple(stride)
    .op(OP.NEWFALSE);
  p.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE);
  p.op(OP.TUPLE).op(OP.REDUCE);
}

/** A whole state-dict pickle: `OrderedDict([(name, tensor), …])`. */
export function stateDictPickle(tensors: readonly PtTensor[]): Buffer {
  const p = new PickleBuilder().op(OP.PROTO).op(2);
  p.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE).op(OP.MARK);
  for (const t of tensors) {
    p.str(t.name);
    pickleTensor(p, t);
  }
  return p.op(OP.SETITEMS).op(OP.STOP).bytes();
}

export { OP as PICKLE_OP };

function splitGlobal(full: string): [string, string] {
  const i = full.lastIndexOf('.');
  return [full.slice(0, i), full.slice(i + 1)];
}

export function contiguousStride(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i]!;
  }
  return out;
}

/** One zip entry. `declaredSize` lets a case lie about the uncompressed size. */
export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** Deflate the data (method 8) instead of storing it. */
  deflate?: boolean;
  /** Already-deflated bytes to store as this entry's data (with `uncompressedSize`). */
  precompressed?: { bytes: Uint8Array; uncompressedSize: number; crc: number };
  declaredSize?: number;
}

/** A plain zip archive (no zip64), as `torch.save` writes one. */
export function zipArchive(entries: readonly ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const method = e.precompressed || e.deflate ? 8 : 0;
    const body = e.precompressed
      ? Buffer.from(e.precompressed.bytes)
      : e.deflate
        ? deflateRawSync(e.data)
        : Buffer.from(e.data);
    const crc = e.precompressed?.crc ?? crc32(e.data);
    const size = e.declaredSize ?? e.precompressed?.uncompressedSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size >>> 0, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size >>> 0, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A complete `.pt`: the pickle plus one storage entry per distinct key. */
export function torchSave(
  pickle: Uint8Array,
  storages: ReadonlyMap<string, Uint8Array | ZipInput>,
  archive = 'archive',
): Buffer {
  const entries: ZipInput[] = [{ name: `${archive}/data.pkl`, data: pickle }];
  for (const [key, s] of storages) {
    entries.push(
      s instanceof Uint8Array
        ? { name: `${archive}/data/${key}`, data: s }
        : { ...s, name: `${archive}/data/${key}` },
    );
  }
  entries.push({ name: `${archive}/byteorder`, data: Buffer.from('little') });
  entries.push({ name: `${archive}/version`, data: Buffer.from('3\n') });
  return zipArchive(entries);
}

/** A `.pt` state dict of f32 tensors, one storage each, as PyTorch would save it. */
export function torchSaveF32(
  tensors: ReadonlyMap<string, { shape: number[]; data: Float32Array }>,
) {
  const refs: PtTensor[] = [];
  const storages = new Map<string, Uint8Array>();
  let key = 0;
  for (const [name, t] of tensors) {
    const k = String(key++);
    refs.push({ name, key: k, numel: t.data.length, shape: t.shape });
    storages.set(k, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return torchSave(stateDictPickle(refs), storages);
}
