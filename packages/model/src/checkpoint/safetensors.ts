import {
  applyReadOptions,
  DTYPE_SIZE,
  dataMatchesDType,
  f32ToHalfBits,
  isDType,
  numelOf,
  readElementSize,
  viewAs,
} from './dtype.js';
import { CheckpointError, CheckpointFormatError } from './errors.js';
import { joinChunks } from './join-chunks.js';
import type { ByteSource } from './source.js';
import {
  type CheckpointDType,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_TENSOR_BYTES,
  type HostTensor,
  type HostTensorData,
  type ReadOptions,
  type TensorMap,
} from './types.js';

/** One entry of a safetensors header. */
export interface SafetensorsEntry {
  dtype: CheckpointDType;
  shape: number[];
  /** `[begin, end)` byte offsets into the data section. */
  dataOffsets: [number, number];
}

/** A parsed and validated safetensors header. */
export interface SafetensorsHeader {
  /** Entries in data order (by offset). */
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** File offset of the data section: 8 + header length. */
  dataStart: number;
}

/** Tensors and metadata of a safetensors file. */
export interface SafetensorsContents {
  tensors: TensorMap;
  metadata: Record<string, string>;
}

/**
 * A tensor to write. Besides a {@link HostTensor} whose data matches its dtype, an `F16`/`BF16`
 * tensor may carry `Float32Array` data: it is rounded to nearest even on write. (Named apart
 * from `@trm/tensor`'s `TensorInput`, the values a GPU tensor is created from. Called
 * `TensorInput` before 0.1.)
 */
export type HostTensorInput =
  | HostTensor
  | { dtype: 'F16' | 'BF16'; shape: number[]; data: Float32Array };

const METADATA_KEY = '__metadata__';

/**
 * The order of the reference library's `Dtype` enum: it writes tensors by descending rank, then
 * by name, which keeps every tensor aligned to its element size.
 */
const DTYPE_RANK: Readonly<Record<CheckpointDType, number>> = {
  BOOL: 0,
  U8: 1,
  I8: 2,
  F8_E5M2: 3,
  F8_E4M3: 4,
  I16: 5,
  U16: 6,
  F16: 7,
  BF16: 8,
  I32: 9,
  U32: 10,
  F32: 11,
  F64: 12,
  I64: 13,
  U64: 14,
};

/** Reads the 8-byte length and JSON header of a safetensors source, validating everything. */
export async function readSafetensorsHeader(
  src: ByteSource,
  maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES,
): Promise<SafetensorsHeader> {
  const file = src.name;
  if (src.size < 8) {
    throw new CheckpointFormatError(
      file,
      `truncated: ${src.size} bytes, too short for the 8-byte safetensors header length`,
    );
  }
  const lenBytes = await src.read(0, 8);
  // Compared as a double: exact for any sane limit, and a fractional or infinite limit cannot
  // make BigInt() throw.
  const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (Number(n) > maxHeaderBytes) {
    throw new CheckpointFormatError(
      file,
      `safetensors header length ${n} is over the limit of ${maxHeaderBytes} bytes (corrupt file, or raise maxHeaderBytes)`,
    );
  }
  const headerLen = Number(n);
  if (8 + headerLen > src.size) {
    throw new CheckpointFormatError(
      file,
      `safetensors header length ${headerLen} overflows the file (${src.size} bytes): truncated or not a safetensors file`,
    );
  }
  const headerBytes = await src.read(8, headerLen);
  return parseSafetensorsHeader(file, headerBytes, src.size);
}

/**
 * Validates a safetensors JSON header (the bytes after the length prefix) against the file size:
 * known dtypes, integer shapes, byte sizes matching `prod(shape) · dtype size`, offsets in
 * bounds, non-overlapping and covering the data section exactly.
 */
export function parseSafetensorsHeader(
  file: string,
  headerBytes: Uint8Array,
  fileSize: number,
): SafetensorsHeader {
  const dataStart = 8 + headerBytes.byteLength;
  const dataLength = fileSize - dataStart;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new CheckpointFormatError(file, 'safetensors header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CheckpointFormatError(
      file,
      `safetensors header is not valid JSON (${(err as Error).message})`,
    );
  }
  if (!isPlainObject(json)) {
    throw new CheckpointFormatError(file, 'safetensors header is not a JSON object');
  }
  const metadata: Record<string, string> = {};
  const list: Array<[string, SafetensorsEntry]> = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === METADATA_KEY) {
      if (!isPlainObject(value)) {
        throw new CheckpointFormatError(file, '__metadata__ is not a JSON object');
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') {
          throw new CheckpointFormatError(file, `__metadata__ value "${k}" is not a string`);
        }
        metadata[k] = v;
      }
      continue;
    }
    list.push([name, parseEntry(file, name, value, dataLength)]);
  }
  list.sort(
    (a, b) =>
      a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1],
  );
  let expected = 0;
  let previous: string | undefined;
  for (const [name, entry] of list) {
    const [begin, end] = entry.dataOffsets;
    if (begin < expected) {
      throw new CheckpointFormatError(
        file,
        `data_offsets [${begin}, ${end}] overlap tensor "${previous}" (which ends at ${expected})`,
        name,
      );
    }
    if (begin > expected) {
      throw new CheckpointFormatError(
        file,
        `data_offsets [${begin}, ${end}] leave a gap: the previous tensor ends at ${expected}`,
        name,
      );
    }
    expected = end;
    previous = name;
  }
  if (expected !== dataLength) {
    throw new CheckpointFormatError(
      file,
      `the tensors cover ${expected} bytes but the data section has ${dataLength} bytes`,
    );
  }
  return { entries: new Map(list), metadata, dataStart };
}

function parseEntry(
  file: string,
  name: string,
  value: unknown,
  dataLength: number,
): SafetensorsEntry {
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(file, msg, name);
  };
  if (!isPlainObject(value)) return fail('header entry is not a JSON object');
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isDType(dtype)) return fail(`unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInt)) {
    return fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every(isNonNegativeInt) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    return fail(`data_offsets ${JSON.stringify(offsets)} is not [begin, end] with begin <= end`);
  }
  const begin = offsets[0] as number;
  const end = offsets[1] as number;
  if (end > dataLength) {
    return fail(
      `data_offsets [${begin}, ${end}] out of range: the data section has ${dataLength} bytes (truncated file?)`,
    );
  }
  const numel = numelOf(shape as number[]);
  const bytes = numel * DTYPE_SIZE[dtype];
  if (!Number.isSafeInteger(bytes) || bytes !== end - begin) {
    return fail(
      `data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${bytes}`,
    );
  }
  return { dtype, shape: [...(shape as number[])], dataOffsets: [begin, end] };
}

/** Reads a safetensors file from an open {@link ByteSource}. */
export async function readSafetensorsSource(
  src: ByteSource,
  options: ReadOptions = {},
): Promise<SafetensorsContents> {
  if (src.size > (options.maxBytes ?? DEFAULT_MAX_BYTES)) {
    throw new CheckpointFormatError(src.name, `${src.size} bytes is over the maxBytes limit`);
  }
  const header = await readSafetensorsHeader(src, options.maxHeaderBytes);
  // The budget is checked from the header, before any tensor is read. Tensors are kept as read
  // (one copy each) unless converted; a converted tensor's raw bytes live only while it is
  // converted, so the peak is every result plus the largest such raw read.
  const budget = options.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  let kept = 0;
  let transient = 0;
  for (const [name, entry] of header.entries) {
    const raw = entry.dataOffsets[1] - entry.dataOffsets[0];
    const size = readElementSize(entry.dtype, options);
    kept += numelOf(entry.shape) * size;
    if (size !== DTYPE_SIZE[entry.dtype]) transient = Math.max(transient, raw);
    if (kept + transient > budget)
      throw new CheckpointFormatError(
        src.name,
        `the tensors need more than ${budget} bytes of memory once read (the maxTensorBytes limit): too large for the model being loaded`,
        name,
      );
  }
  const tensors: TensorMap = new Map();
  for (const [name, entry] of header.entries) {
    const [begin, end] = entry.dataOffsets;
    const bytes = await src.read(header.dataStart + begin, end - begin);
    const raw: HostTensor = {
      dtype: entry.dtype,
      shape: entry.shape,
      data: viewAs(entry.dtype, bytes),
    };
    try {
      tensors.set(name, applyReadOptions(raw, options));
    } catch (err) {
      throw new CheckpointFormatError(src.name, (err as Error).message, name);
    }
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Serialises tensors to the safetensors format, as chunks (header, then each tensor's bytes).
 * Like the reference Python/Rust library, tensors are laid out by dtype (in the library's order,
 * widest first: U64, I64, F64, F32, …, BOOL) and then by name, so every tensor is aligned to its
 * element size; the JSON header lists `__metadata__` first, then the tensors in data order, and
 * is padded with spaces to a multiple of 8 bytes.
 */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, HostTensorInput> | Readonly<Record<string, HostTensorInput>>,
  metadata: Readonly<Record<string, string>> = {},
  file = '<memory>',
): Uint8Array[] {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const prepared: Array<{
    name: string;
    key: Uint8Array;
    dtype: CheckpointDType;
    shape: number[];
    bytes: Uint8Array;
  }> = [];
  const seen = new Set<string>();
  for (const [name, tensor] of entries) {
    if (name === METADATA_KEY)
      throw new CheckpointError(file, `"${METADATA_KEY}" is reserved`, name);
    if (seen.has(name)) throw new CheckpointError(file, 'duplicate tensor name', name);
    seen.add(name);
    const data = checkTensor(file, name, tensor);
    prepared.push({
      name,
      key: utf8.encode(name),
      dtype: tensor.dtype,
      shape: [...tensor.shape],
      bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
  }
  prepared.sort((a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareBytes(a.key, b.key));
  const parts: string[] = [];
  const metaEntries = Object.entries(metadata);
  if (metaEntries.length > 0) {
    for (const [k, v] of metaEntries) {
      if (typeof v !== 'string') {
        throw new CheckpointError(file, `metadata value "${k}" must be a string (got ${typeof v})`);
      }
    }
    parts.push(
      `${JSON.stringify(METADATA_KEY)}:{${metaEntries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`,
    );
  }
  let offset = 0;
  for (const t of prepared) {
    const end = offset + t.bytes.byteLength;
    parts.push(
      `${JSON.stringify(t.name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, end] })}`,
    );
    offset = end;
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  return [header, ...prepared.map((t) => t.bytes)];
}

/** {@link encodeSafetensors} into one buffer. */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, HostTensorInput> | Readonly<Record<string, HostTensorInput>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  return joinChunks(encodeSafetensors(tensors, metadata));
}

/**
 * Checks a tensor to write (known dtype, integer shape, data of the dtype's typed array and of
 * `prod(shape)` elements) and returns its data, half-precision `Float32Array`s rounded to bits.
 *
 * @throws CheckpointError naming `file` and the tensor.
 */
export function checkTensor(file: string, name: string, tensor: HostTensorInput): HostTensorData {
  const { dtype, shape } = tensor;
  let data: HostTensorData = tensor.data;
  if (!isDType(dtype))
    throw new CheckpointError(file, `unknown dtype ${JSON.stringify(dtype)}`, name);
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInt)) {
    throw new CheckpointError(
      file,
      `shape ${JSON.stringify(shape)} is not a list of non-negative integers`,
      name,
    );
  }
  if ((dtype === 'F16' || dtype === 'BF16') && data instanceof Float32Array) {
    data = f32ToHalfBits(dtype, data);
  }
  if (!dataMatchesDType(dtype, data)) {
    throw new CheckpointError(
      file,
      `${dtype} data must be a ${dtypeArrayName(dtype)}, got ${data?.constructor?.name ?? typeof data}`,
      name,
    );
  }
  const numel = numelOf(shape);
  if (data.length !== numel) {
    throw new CheckpointError(
      file,
      `shape [${shape.join(', ')}] has ${numel} elements but the data has ${data.length}`,
      name,
    );
  }
  return data;
}

function dtypeArrayName(dtype: CheckpointDType): string {
  return dtype === 'F16' || dtype === 'BF16'
    ? 'Uint16Array of raw bits (or a Float32Array to convert)'
    : viewAs(dtype, new Uint8Array(0)).constructor.name;
}

const utf8 = new TextEncoder();

/** Byte-wise order of two strings' UTF-8 encodings (the reference's order of tensor names). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
