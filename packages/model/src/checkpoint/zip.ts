/**
 * A minimal read-only zip reader for `torch.save` archives: the end-of-central-directory record
 * (zip64 included), the central directory, and stored or deflated entries, CRC-checked.
 */
import * as zlib from 'node:zlib';
import { CheckpointFormatError } from './errors.js';
import { inflateRawInto } from './inflate.js';
import type { ByteSource } from './source.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const MAX_ENTRIES = 1_000_000;

/** Reads the central directory of the zip archive in `src`. */
export async function readZipDirectory(src: ByteSource): Promise<Map<string, ZipEntry>> {
  const file = src.name;
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(file, `corrupt zip archive: ${msg}`);
  };
  if (src.size < 22) fail(`${src.size} bytes is too short for a zip archive (truncated?)`);
  const tailLen = Math.min(src.size, 22 + 0xffff);
  const tailStart = src.size - tailLen;
  const tail = await src.read(tailStart, tailLen);
  const tv = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === SIG_EOCD && i + 22 + tv.getUint16(i + 20, true) <= tailLen) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record (truncated file?)');
  let total = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  const eocdAbs = tailStart + eocd;
  if (eocdAbs >= 20) {
    const loc = await src.read(eocdAbs - 20, 20);
    const lv = new DataView(loc.buffer);
    if (lv.getUint32(0, true) === SIG_ZIP64_LOCATOR) {
      const z64Offset = readU64(lv, 8, file);
      if (z64Offset + 56 > eocdAbs) fail('zip64 end-of-central-directory offset out of range');
      const z = new DataView((await src.read(z64Offset, 56)).buffer);
      if (z.getUint32(0, true) !== SIG_ZIP64_EOCD)
        fail('bad zip64 end-of-central-directory signature');
      total = readU64(z, 32, file);
      cdSize = readU64(z, 40, file);
      cdOffset = readU64(z, 48, file);
    }
  }
  if (total > MAX_ENTRIES) fail(`${total} entries is over the limit of ${MAX_ENTRIES}`);
  if (cdOffset + cdSize > src.size) {
    fail(`central directory (${cdOffset}+${cdSize}) lies beyond the end of the file (truncated?)`);
  }
  const cd = await src.read(cdOffset, cdSize);
  const v = new DataView(cd.buffer);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let p = 0;
  for (let i = 0; i < total; i++) {
    if (p + 46 > cdSize || v.getUint32(p, true) !== SIG_CENTRAL) {
      fail(`bad central directory entry ${i}`);
    }
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    const crc32 = v.getUint32(p + 16, true);
    let compressedSize = v.getUint32(p + 20, true);
    let uncompressedSize = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    let localHeaderOffset = v.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdSize) fail(`central directory entry ${i} overruns the directory`);
    const name = decoder.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended information: the 0xFFFFFFFF fields, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = v.getUint16(e, true);
      const size = v.getUint16(e + 2, true);
      if (e + 4 + size > extraEnd) {
        fail(`extra field of "${name}" claims ${size} bytes, more than the entry has`);
      }
      if (id === 0x0001) {
        let q = e + 4;
        const take = (): number => {
          if (q + 8 > e + 4 + size) fail(`short zip64 extra field in "${name}"`);
          const x = readU64(v, q, file);
          q += 8;
          return x;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      e += 4 + size;
    }
    if (flags & 1) fail(`entry "${name}" is encrypted`);
    entries.set(name, {
      name,
      method,
      flags,
      crc32,
      compressedSize,
      uncompressedSize,
      localHeaderOffset,
    });
    p = end;
  }
  return entries;
}

/** Options of {@link readZipEntry}. */
export interface ReadZipEntryOptions {
  /** Check the CRC-32 of the entry (default true). */
  verifyCrc?: boolean;
  /**
   * Most bytes the entry may hold uncompressed: what the caller legitimately needs from it. A
   * larger declared size is refused before anything is read or inflated.
   */
  maxSize?: number;
}

/**
 * Reads and (if needed) inflates one entry, checking sizes and, by default, its CRC-32. The
 * output buffer is allocated once at the declared size; a deflate stream that inflates to more
 * is refused while streaming, before any further allocation.
 */
export async function readZipEntry(
  src: ByteSource,
  entry: ZipEntry,
  options: ReadZipEntryOptions = {},
): Promise<Uint8Array> {
  const file = src.name;
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(file, `corrupt zip entry "${entry.name}": ${msg}`);
  };
  const { verifyCrc = true, maxSize } = options;
  if (maxSize !== undefined && entry.uncompressedSize > maxSize) {
    fail(
      `declares ${entry.uncompressedSize} bytes uncompressed, more than the ${maxSize} it can legitimately hold`,
    );
  }
  if (entry.localHeaderOffset + 30 > src.size) fail('local header beyond the end of the file');
  const lh = new DataView((await src.read(entry.localHeaderOffset, 30)).buffer);
  if (lh.getUint32(0, true) !== SIG_LOCAL) fail('bad local header signature');
  const dataStart = entry.localHeaderOffset + 30 + lh.getUint16(26, true) + lh.getUint16(28, true);
  if (dataStart + entry.compressedSize > src.size) {
    fail(
      `data (${entry.compressedSize} bytes at ${dataStart}) runs past the end of the file (${src.size} bytes): truncated?`,
    );
  }
  let data: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.uncompressedSize) fail('stored entry with differing sizes');
    data = await src.read(dataStart, entry.compressedSize);
  } else if (entry.method === 8) {
    const out = await inflateRawInto(src, dataStart, entry.compressedSize, entry.uncompressedSize);
    if (!(out instanceof Uint8Array)) {
      return fail(
        out.kind === 'overflow'
          ? `inflates to more than its declared ${entry.uncompressedSize} bytes (a decompression bomb, or a corrupt archive)`
          : out.kind === 'short'
            ? `inflated to ${out.bytes} bytes, expected ${entry.uncompressedSize}`
            : `deflate data is corrupt (${out.reason})`,
      );
    }
    data = out;
  } else {
    return fail(`unsupported compression method ${entry.method} (only stored and deflate)`);
  }
  if (verifyCrc) {
    const crc = crc32(data);
    if (crc !== entry.crc32) {
      fail(`CRC-32 mismatch (0x${crc.toString(16)} != 0x${entry.crc32.toString(16)})`);
    }
  }
  return data;
}

function readU64(v: DataView, offset: number, file: string): number {
  const x = v.getBigUint64(offset, true);
  if (x > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new CheckpointFormatError(file, `corrupt zip archive: 64-bit field ${x} is too large`);
  }
  return Number(x);
}

let table: Uint32Array | undefined;

/** CRC-32 (IEEE), via node:zlib when available (Node ≥ 20.15). */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (typeof native === 'function') return native(data) >>> 0;
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
