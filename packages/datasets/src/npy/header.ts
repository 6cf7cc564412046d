import { descrOf, type NpyDtype, parseDescr } from './dtype.js';

/** The 6-byte magic string `\x93NUMPY` every `.npy` file starts with. */
export const MAGIC = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
/** NumPy aligns the start of the data to 64 bytes so it can be memory-mapped. */
export const ALIGN = 64;

/**
 * Longest header dict this reader accepts. NumPy's own reader stops at 10,000 bytes; this
 * allows far more, yet a corrupt length field cannot make a reader allocate gigabytes.
 */
export const MAX_HEADER_LEN = 1 << 20;

/** What a `.npy` header says about the array. */
export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the data from the start of the file. */
  dataOffset: number;
  /** Format major version (1, 2 or 3). */
  version: number;
}

/**
 * Parses the fixed prefix and the Python-literal header dict. Returns a string describing
 * the problem instead of throwing, so callers can add the file name.
 */
export function parseHeader(
  prefix: Uint8Array,
  readMore: (len: number) => Uint8Array,
): NpyHeader | string {
  if (prefix.length < 10) return 'file too short for a .npy header (truncated?)';
  for (let i = 0; i < MAGIC.length; i++) {
    if (prefix[i] !== MAGIC[i]) return 'not a .npy file (bad magic string)';
  }
  const major = prefix[6]!;
  let headerLen: number;
  let headerStart: number;
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (prefix.length < 12) return 'file too short for a .npy header (truncated?)';
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return `unsupported .npy format version ${major}.${prefix[7]} (supported: 1.0, 2.0, 3.0)`;
  }
  if (headerLen > MAX_HEADER_LEN)
    return `header length ${headerLen} is larger than any .npy header (at most ${MAX_HEADER_LEN}); the file is corrupt`;
  const raw = readMore(headerStart + headerLen);
  if (raw.length < headerStart + headerLen) return 'header is truncated';
  const bytes = raw.subarray(headerStart, headerStart + headerLen);
  // Versions 1 and 2 are latin-1; version 3 is UTF-8. Keys and values are ASCII in practice.
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes);
  let dict: Record<string, PyValue>;
  try {
    const v = new PyLiteralParser(text).parseTop();
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof PyTuple) {
      return `header is not a dict: ${text.trim()}`;
    }
    dict = v as Record<string, PyValue>;
  } catch (e) {
    return `cannot parse header ${JSON.stringify(text.trim())}: ${(e as Error).message}`;
  }
  const descr = dict.descr;
  if (typeof descr !== 'string') return `header has no string 'descr': ${text.trim()}`;
  const parsed = parseDescr(descr);
  if ('error' in parsed) return parsed.error;
  if (dict.fortran_order !== false) {
    return dict.fortran_order === true
      ? 'Fortran-order arrays are not supported; save with np.ascontiguousarray'
      : `header has no boolean 'fortran_order': ${text.trim()}`;
  }
  const shape = dict.shape;
  if (
    !(shape instanceof PyTuple) ||
    !shape.items.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)
  ) {
    return `header 'shape' is not a tuple of non-negative integers: ${text.trim()}`;
  }
  return {
    dtype: parsed.dtype,
    shape: shape.items as number[],
    dataOffset: headerStart + headerLen,
    version: major,
  };
}

/**
 * Builds a complete header (magic through the padding newline). `minTotal` reserves room so
 * that a streaming writer can later rewrite the header with a larger shape in place.
 */
export function buildHeader(dtype: NpyDtype, shape: readonly number[], minTotal = 0): Uint8Array {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descrOf(dtype)}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  let version = 1;
  let prefixLen = 10;
  // +1 for the terminating newline.
  let total = Math.ceil(Math.max(prefixLen + dict.length + 1, minTotal) / ALIGN) * ALIGN;
  if (total - prefixLen > 0xffff) {
    version = 2;
    prefixLen = 12;
    total = Math.ceil(Math.max(prefixLen + dict.length + 1, minTotal) / ALIGN) * ALIGN;
  }
  const headerLen = total - prefixLen;
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  const padded = `${dict.padEnd(headerLen - 1, ' ')}\n`;
  for (let i = 0; i < padded.length; i++) out[prefixLen + i] = padded.charCodeAt(i);
  return out;
}

class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
type PyValue = string | number | boolean | null | PyTuple | PyValue[] | { [k: string]: PyValue };

/** A parser for the tiny subset of Python literals that `.npy` headers use. */
class PyLiteralParser {
  private pos = 0;
  constructor(private readonly s: string) {}

  parseTop(): PyValue {
    const v = this.value();
    this.ws();
    if (this.pos !== this.s.length)
      throw new Error(`unexpected '${this.s[this.pos]}' at ${this.pos}`);
    return v;
  }

  private ws(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos]!)) this.pos++;
  }

  private value(): PyValue {
    this.ws();
    const c = this.s[this.pos];
    if (c === '{') return this.dict();
    if (c === '(') return new PyTuple(this.seq(')'));
    if (c === '[') return this.seq(']');
    if (c === "'" || c === '"') return this.str();
    const m = /^(True|False|None|-?\d+L?)/.exec(this.s.slice(this.pos));
    if (!m) throw new Error(`unexpected '${c ?? 'end of header'}' at ${this.pos}`);
    this.pos += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number.parseInt(m[0], 10);
  }

  private str(): string {
    const q = this.s[this.pos++];
    const end = this.s.indexOf(q!, this.pos);
    if (end < 0) throw new Error('unterminated string');
    const v = this.s.slice(this.pos, end);
    this.pos = end + 1;
    return v;
  }

  private seq(close: string): PyValue[] {
    this.pos++;
    const items: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value());
      this.ws();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== close)
        throw new Error(`expected ',' or '${close}' at ${this.pos}`);
    }
  }

  private dict(): { [k: string]: PyValue } {
    this.pos++;
    const out: { [k: string]: PyValue } = {};
    for (;;) {
      this.ws();
      if (this.s[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const k = this.value();
      if (typeof k !== 'string') throw new Error('dict keys must be strings');
      this.ws();
      if (this.s[this.pos++] !== ':') throw new Error(`expected ':' at ${this.pos - 1}`);
      out[k] = this.value();
      this.ws();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== '}') throw new Error(`expected ',' or '}' at ${this.pos}`);
    }
  }
}
