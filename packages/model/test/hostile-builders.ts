/**
 * Builders of hostile and broken checkpoint bytes for the tests: pickle opcodes, a state-dict
 * pickle of one `_rebuild_tensor_v2` view, a zip writer that can lie about sizes and CRCs, and
 * a streamed deflate of many zeros (a bomb made without holding its expansion in memory).
 */
import { crc32, createDeflateRaw } from 'node:zlib';

/** Pickle opcodes, as bytes. */
export const op = {
  proto2: [0x80, 2],
  mark: [0x28],
  tuple: [0x74],
  emptyTuple: [0x29],
  emptyList: [0x5d],
  emptyDict: [0x7d],
  append: [0x61],
  appends: [0x65],
  reduce: [0x52],
  binpersid: [0x51],
  setitems: [0x75],
  stop: [0x2e],
  false: [0x89],
  global: (m: string, n: string) => [0x63, ...Buffer.from(`${m}\n${n}\n`)],
  str: (s: string) => {
    const b = Buffer.from(s);
    return [0x58, ...new Uint8Array(Uint32Array.of(b.length).buffer), ...b];
  },
  int: (n: number) => [0x4a, ...new Uint8Array(Int32Array.of(n).buffer)],
  /** LONG1 of 8 bytes: integers beyond int32. */
  long: (n: bigint) => [0x8a, 8, ...new Uint8Array(BigInt64Array.of(n).buffer)],
  ints: (xs: Array<number | bigint>) => [
    0x28,
    ...xs.flatMap((x) => (typeof x === 'bigint' ? op.long(x) : op.int(x))),
    0x74,
  ],
};

/** A pickle: PROTO 2, the `body` pieces in order, STOP. */
export function pickle(...body: ArrayLike<number>[]): Uint8Array {
  const parts = [op.proto2, ...body, op.stop];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One tensor of {@link tensorPickle}: a view of storage `key` (default `'0'`). */
export interface ViewSpec {
  numel: number;
  shape: Array<number | bigint>;
  stride: Array<number | bigint>;
  offset?: number;
  /** Storage class, e.g. `LongStorage` (default `FloatStorage`). */
  cls?: string;
  key?: string;
}

/** `OrderedDict({name: _rebuild_tensor_v2(storage, offset, shape, stride), …})` as a pickle. */
export function tensorPickle(tensors: Record<string, ViewSpec>): Uint8Array {
  const body: number[] = [
    ...op.global('collections', 'OrderedDict'),
    ...op.emptyTuple,
    ...op.reduce,
    ...op.mark,
  ];
  for (const [name, t] of Object.entries(tensors)) {
    body.push(
      ...op.str(name),
      ...op.global('torch._utils', '_rebuild_tensor_v2'),
      ...op.mark,
      ...op.mark,
      ...op.str('storage'),
      ...op.global('torch', t.cls ?? 'FloatStorage'),
      ...op.str(t.key ?? '0'),
      ...op.str('cpu'),
      ...(t.numel > 0x7fffffff ? op.long(BigInt(t.numel)) : op.int(t.numel)),
      ...op.tuple,
      ...op.binpersid,
      ...op.int(t.offset ?? 0),
      ...op.ints(t.shape),
      ...op.ints(t.stride),
      ...op.false,
      ...op.global('collections', 'OrderedDict'),
      ...op.emptyTuple,
      ...op.reduce,
      ...op.tuple,
      ...op.reduce,
    );
  }
  body.push(...op.setitems);
  return pickle(body);
}

/** A zip entry; `deflated` data comes precompressed, with a declared size and CRC. */
export interface ZipSpec {
  name: string;
  data?: Uint8Array;
  deflated?: Uint8Array;
  size?: number;
  crc?: number;
}

/** A zip archive of `entries`, trusting whatever sizes and CRCs they declare. */
export function zip(entries: ZipSpec[]): Uint8Array {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const body = Buffer.from(e.deflated ?? e.data!);
    const method = e.deflated ? 8 : 0;
    const size = e.size ?? e.data!.length;
    const crc = e.crc ?? crc32(e.data ?? new Uint8Array(0));
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(crc >>> 0, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(Math.min(size, 0xffffffff), 22);
    lh.writeUInt16LE(name.length, 26);
    // Sizes of 4 GiB and more go to a zip64 extra field, as the reader expects.
    const zip64 = size > 0xffffffff;
    const extra = Buffer.alloc(zip64 ? 20 : 0);
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2);
      extra.writeBigUInt64LE(BigInt(size), 4);
      extra.writeBigUInt64LE(BigInt(body.length), 12);
    }
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(crc >>> 0, 16);
    ch.writeUInt32LE(zip64 ? 0xffffffff : body.length, 20);
    ch.writeUInt32LE(zip64 ? 0xffffffff : size, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt16LE(extra.length, 30);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, body);
    central.push(ch, name, extra);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, end]));
}

/** A `torch.save` archive: `a/data.pkl` and storage `a/data/0` (plus `more` entries). */
export const torchFile = (
  pkl: Uint8Array,
  storage: Omit<ZipSpec, 'name'>,
  more: ZipSpec[] = [],
): Uint8Array =>
  zip([{ name: 'a/data.pkl', data: pkl }, { ...storage, name: 'a/data/0' }, ...more]);

/**
 * `mib` MiB of zeros, raw-deflated (about a thousandth of that), with their CRC-32. Streamed
 * a megabyte at a time, so making a 1 GiB bomb costs the test no memory.
 */
export async function deflatedZeros(mib: number): Promise<{ bytes: Uint8Array; crc: number }> {
  const chunk = Buffer.alloc(1 << 20);
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (b: Buffer) => out.push(b));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  let crc = 0;
  for (let i = 0; i < mib; i++) {
    crc = crc32(chunk, crc);
    if (!deflate.write(chunk)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  return { bytes: new Uint8Array(Buffer.concat(out)), crc };
}

/**
 * How much the process's peak resident set grew while `fn` ran, in MiB. The peak only ever
 * rises, so a transient allocation shows even if it was freed before `fn` returned; run these
 * first in a test file, while the peak so far is close to the current size.
 */
export async function peakGrowthMiB(fn: () => Promise<unknown>): Promise<number> {
  const before = process.resourceUsage().maxRSS;
  await fn();
  return (process.resourceUsage().maxRSS - before) / 1024;
}
