/**
 * A writer of uncompressed ("stored") zip archives laid out as PyTorch's `PyTorchStreamWriter`
 * lays them out: every entry's data starts at a multiple of 64 bytes, padded with an extra
 * field of id `FB` filled with `Z`, so that a reader can map storages straight from the file.
 */
import { CheckpointError } from './errors.js';
import { crc32 } from './zip.js';

/** One file of an archive. */
export interface ZipWriteEntry {
  /** Path inside the archive (UTF-8, `/`-separated). */
  name: string;
  data: Uint8Array;
}

/** Where each entry's data begins, as torch writes it. */
export const TORCH_ZIP_ALIGNMENT = 64;

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
/** Zip spec version 2.0: stored entries, no zip64. */
const VERSION = 20;
/** DOS date 1980-01-01, time 00:00: a fixed timestamp keeps the output reproducible. */
const DOS_DATE = 0x21;
/** General-purpose flag bit 11: names are UTF-8. */
const FLAG_UTF8 = 0x0800;
/** Largest size or offset of a classic (non-zip64) archive. */
const MAX_U32 = 0xffffffff;

/**
 * Encodes `entries` as a stored zip archive whose entry data are aligned to `alignment` bytes
 * (default {@link TORCH_ZIP_ALIGNMENT}). Returns the archive as chunks (headers, padding and
 * the entries' own bytes, which are not copied), to be written in order.
 *
 * @param file - the archive being written, for error messages.
 * @throws CheckpointError for duplicate names, or an archive too large for the classic
 *   (non-zip64) format (4 GiB).
 */
export function encodeZip(
  entries: readonly ZipWriteEntry[],
  file = '<memory>',
  alignment = TORCH_ZIP_ALIGNMENT,
): Uint8Array[] {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const { name, data } of entries) {
    if (seen.has(name)) throw new CheckpointError(file, `duplicate zip entry "${name}"`);
    seen.add(name);
    const nameBytes = encoder.encode(name);
    // Data starts after the 30-byte local header, the name and the padding field (4 + pad).
    const start = offset + 30 + nameBytes.length + 4;
    const pad = (alignment - (start % alignment)) % alignment;
    const extra = new Uint8Array(4 + pad).fill(0x5a); // 'Z'
    extra[0] = 0x46; // 'F'
    extra[1] = 0x42; // 'B'
    extra[2] = pad & 0xff;
    extra[3] = pad >> 8;
    const crc = crc32(data);
    if (offset + 30 + nameBytes.length + extra.length + data.byteLength > MAX_U32) {
      throw new CheckpointError(
        file,
        'the archive would be larger than 4 GiB, which needs zip64 records this writer does not produce',
      );
    }
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, SIG_LOCAL, true);
    local.setUint16(4, VERSION, true);
    local.setUint16(6, FLAG_UTF8, true);
    local.setUint16(8, 0, true); // method: stored
    local.setUint16(10, 0, true); // time
    local.setUint16(12, DOS_DATE, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, data.byteLength, true);
    local.setUint32(22, data.byteLength, true);
    local.setUint16(26, nameBytes.length, true);
    local.setUint16(28, extra.length, true);
    chunks.push(new Uint8Array(local.buffer), nameBytes, extra, data);

    const cd = new DataView(new ArrayBuffer(46));
    cd.setUint32(0, SIG_CENTRAL, true);
    cd.setUint16(4, VERSION, true); // made by
    cd.setUint16(6, VERSION, true); // needed
    cd.setUint16(8, FLAG_UTF8, true);
    cd.setUint16(10, 0, true);
    cd.setUint16(12, 0, true);
    cd.setUint16(14, DOS_DATE, true);
    cd.setUint32(16, crc, true);
    cd.setUint32(20, data.byteLength, true);
    cd.setUint32(24, data.byteLength, true);
    cd.setUint16(28, nameBytes.length, true);
    // extra, comment, disk, internal and external attributes: none.
    cd.setUint32(42, offset, true);
    central.push(new Uint8Array(cd.buffer), nameBytes);
    offset += 30 + nameBytes.length + extra.length + data.byteLength;
  }
  const cdSize = central.reduce((n, c) => n + c.byteLength, 0);
  if (entries.length > 0xffff || offset + cdSize + 22 > MAX_U32) {
    throw new CheckpointError(
      file,
      'the archive would be larger than 4 GiB or hold more than 65535 entries, which needs zip64 records this writer does not produce',
    );
  }
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, SIG_END, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, cdSize, true);
  end.setUint32(16, offset, true);
  return [...chunks, ...central, new Uint8Array(end.buffer)];
}
