/**
 * A minimal writer of pickle protocol 2: exactly the opcodes a `torch.save` state dict needs
 * (globals, persistent ids, tuples, strings, integers, booleans, dict items) and no more. The
 * output is what Python's own pickler writes for the same values, minus memoisation of strings,
 * so any unpickler (Python's, PyTorch's weights-only one, ours) reads it.
 */

/** Opcodes of protocol 2 (names as in Python's `pickletools`). */
const OP = {
  PROTO: 0x80,
  STOP: 0x2e,
  MARK: 0x28,
  GLOBAL: 0x63,
  REDUCE: 0x52,
  BINPERSID: 0x51,
  EMPTY_TUPLE: 0x29,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  SETITEMS: 0x75,
  BINUNICODE: 0x58,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  LONG1: 0x8a,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  BINGET: 0x68,
  LONG_BINGET: 0x6a,
} as const;

/** How many dict items go into one `SETITEMS`, as in Python's pickler. */
const BATCH_SIZE = 1000;

/**
 * Builds a protocol-2 pickle opcode by opcode. Values are pushed on the unpickler's stack in
 * the order the methods are called; {@link PickleWriter.finish} appends `STOP`.
 *
 * Globals are memoised (written once, then fetched with `BINGET`), as Python does; everything
 * else is written in full.
 */
export class PickleWriter {
  private readonly bytes: number[] = [OP.PROTO, 2];
  private readonly memo = new Map<string, number>();

  /** Pushes the global `module.name` (a class or function). */
  global(module: string, name: string): this {
    const key = `${module}\n${name}\n`;
    const at = this.memo.get(key);
    if (at !== undefined) {
      if (at < 256) this.bytes.push(OP.BINGET, at);
      else this.bytes.push(OP.LONG_BINGET, ...u32(at));
      return this;
    }
    this.bytes.push(OP.GLOBAL, ...ascii(key));
    const index = this.memo.size;
    this.memo.set(key, index);
    if (index < 256) this.bytes.push(OP.BINPUT, index);
    else this.bytes.push(OP.LONG_BINPUT, ...u32(index));
    return this;
  }

  /** Pushes a `str`. */
  string(value: string): this {
    const utf8 = new TextEncoder().encode(value);
    this.bytes.push(OP.BINUNICODE, ...u32(utf8.length));
    for (const b of utf8) this.bytes.push(b);
    return this;
  }

  /** Pushes an `int` (any safe integer). */
  int(value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`pickle: ${value} is not an integer`);
    if (value >= 0 && value < 0x100) this.bytes.push(OP.BININT1, value);
    else if (value >= 0 && value < 0x10000) this.bytes.push(OP.BININT2, value & 0xff, value >> 8);
    else if (value >= -0x80000000 && value <= 0x7fffffff) this.bytes.push(OP.BININT, ...u32(value));
    else {
      // LONG1: little-endian two's complement, as short as the sign allows.
      const out: number[] = [];
      let v = BigInt(value);
      for (;;) {
        const byte = Number(v & 0xffn);
        out.push(byte);
        v >>= 8n;
        if ((v === 0n && byte < 0x80) || (v === -1n && byte >= 0x80)) break;
      }
      this.bytes.push(OP.LONG1, out.length, ...out);
    }
    return this;
  }

  /** Pushes `True` or `False`. */
  bool(value: boolean): this {
    this.bytes.push(value ? OP.NEWTRUE : OP.NEWFALSE);
    return this;
  }

  /** Pushes a `MARK` (the start of a tuple or of a batch of dict items). */
  mark(): this {
    this.bytes.push(OP.MARK);
    return this;
  }

  /** Pops everything since the last {@link mark} into a tuple. */
  tupleFromMark(): this {
    this.bytes.push(OP.TUPLE);
    return this;
  }

  /** Pushes a tuple of integers (`()` for none), with `TUPLE1`–`TUPLE3` where they fit. */
  intTuple(values: readonly number[]): this {
    if (values.length === 0) {
      this.bytes.push(OP.EMPTY_TUPLE);
      return this;
    }
    if (values.length > 3) this.mark();
    for (const v of values) this.int(v);
    const ops = [OP.TUPLE1, OP.TUPLE2, OP.TUPLE3];
    this.bytes.push(values.length > 3 ? OP.TUPLE : ops[values.length - 1]!);
    return this;
  }

  /** Pushes `()`. */
  emptyTuple(): this {
    this.bytes.push(OP.EMPTY_TUPLE);
    return this;
  }

  /** Pops an argument tuple and a callable, pushes `callable(*args)`. */
  reduce(): this {
    this.bytes.push(OP.REDUCE);
    return this;
  }

  /** Pops a value and pushes what the unpickler's `persistent_load` makes of it. */
  persistentId(): this {
    this.bytes.push(OP.BINPERSID);
    return this;
  }

  /** Pops key/value pairs down to the last {@link mark} and sets them on the dict below. */
  setItems(): this {
    this.bytes.push(OP.SETITEMS);
    return this;
  }

  /**
   * Sets `count` items on the dict on top of the stack, `writeItem(i)` pushing the key and the
   * value of item `i`, in batches of 1000 as Python does (nothing for an empty dict).
   */
  dictItems(count: number, writeItem: (i: number) => void): this {
    for (let start = 0; start < count; start += BATCH_SIZE) {
      this.mark();
      for (let i = start; i < Math.min(count, start + BATCH_SIZE); i++) writeItem(i);
      this.setItems();
    }
    return this;
  }

  /** Appends `STOP` and returns the pickle. The writer must not be used afterwards. */
  finish(): Uint8Array {
    this.bytes.push(OP.STOP);
    return Uint8Array.from(this.bytes);
  }
}

function u32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

function ascii(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new RangeError(`pickle: global name ${JSON.stringify(text)} is not ASCII`);
    out.push(c);
  }
  return out;
}
