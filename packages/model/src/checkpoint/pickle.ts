/**
 * A safe, data-only unpickler (protocols 0–5, the opcodes `torch.save` and plain containers
 * use). Python values map to JS as: str → string, int → number (bigint beyond 2^53),
 * float → number, bool → boolean, None → null, bytes → Uint8Array, list/tuple → array,
 * dict → Map, set/frozenset → Set.
 *
 * Globals (`GLOBAL`, `STACK_GLOBAL`, `INST`) are looked up through the caller's `findClass`,
 * which returns a {@link PyCallable} or {@link PyClassRef} for allow-listed names and throws
 * otherwise. `REDUCE`/`NEWOBJ`/`OBJ` only ever call a {@link PyCallable}'s JS handler, so no
 * code from the pickle can run.
 */
import { CheckpointFormatError } from './errors.js';

/** An allow-listed Python callable, implemented by a pure JS handler. */
export class PyCallable {
  constructor(
    readonly qualname: string,
    readonly call: (args: unknown[]) => unknown,
    /** Applies a BUILD state to a value this callable produced; BUILD is refused if absent. */
    readonly build?: (obj: unknown, state: unknown) => unknown,
  ) {}
}

/** An allow-listed Python global used as a plain marker (e.g. `torch.FloatStorage`). */
export class PyClassRef {
  constructor(readonly qualname: string) {}
}

export interface UnpicklerHooks {
  /** Name for error messages. */
  file: string;
  /** Resolves `module.name`; must throw (e.g. CheckpointSecurityError) for anything not allowed. */
  findClass(module: string, name: string): PyCallable | PyClassRef;
  /** Resolves a persistent id (`BINPERSID`); throws when there is no persistent loader. */
  persistentLoad?(pid: unknown): unknown;
}

/**
 * Most values a pickle may create. A state dict holds a few thousand; the cap keeps a hostile
 * pickle of tiny opcodes from filling memory with millions of them.
 */
export const MAX_PICKLE_VALUES = 2_000_000;
/**
 * Most containers (dicts, sets, lists, tuples, objects made by REDUCE) a pickle may create.
 * A state dict needs a handful per tensor; an empty dict costs a few hundred bytes, so two
 * million of them (a two-megabyte pickle) would take half a gigabyte.
 */
export const MAX_PICKLE_CONTAINERS = 250_000;
/** Longest integer accepted, in bytes (a 256-bit number); longer ones only cost time. */
const MAX_LONG_BYTES = 32;
/**
 * Longest text line (the arguments of GLOBAL, INT, PUT, …): module paths and numbers are short,
 * and the cap keeps one unterminated line from being scanned or copied at full pickle size.
 */
const MAX_LINE_BYTES = 4096;

/** Unpickles `data` and returns the top-level value. */
export function unpickle(data: Uint8Array, hooks: UnpicklerHooks): unknown {
  const file = hooks.file;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder('utf-8');
  const latin1 = new TextDecoder('latin1');
  let pos = 0;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();
  // Which value each allow-listed callable produced, so that BUILD can be routed.
  const producedBy = new WeakMap<object, PyCallable>();

  const fail = (msg: string): never => {
    throw new CheckpointFormatError(file, `corrupt pickle at byte ${pos}: ${msg}`);
  };
  const need = (n: number): number => {
    if (n < 0 || pos + n > data.byteLength) fail(`truncated (needs ${n} more bytes)`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => data[need(1)]!;
  const u16 = (): number => view.getUint16(need(2), true);
  const i32 = (): number => view.getInt32(need(4), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const x = view.getBigUint64(need(8), true);
    if (x > BigInt(data.byteLength)) fail(`length ${x} exceeds the pickle size`);
    return Number(x);
  };
  const bytes = (n: number): Uint8Array => {
    const at = need(n);
    return data.subarray(at, at + n);
  };
  const line = (): string => {
    const rel = data.subarray(pos, pos + MAX_LINE_BYTES + 1).indexOf(0x0a);
    if (rel < 0) {
      fail(
        pos + MAX_LINE_BYTES < data.byteLength
          ? `text line longer than ${MAX_LINE_BYTES} bytes`
          : 'unterminated text line',
      );
    }
    const s = latin1.decode(data.subarray(pos, pos + rel));
    pos += rel + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = metastack.pop();
    if (prev === undefined) fail('no MARK on the stack');
    stack = prev!;
    return items;
  };
  const getMemo = (i: number): unknown => {
    if (!memo.has(i)) fail(`memo key ${i} not defined`);
    return memo.get(i);
  };
  const decodeLong = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    if (b.length > MAX_LONG_BYTES) fail(`an integer of ${b.length} bytes is too large`);
    let x = 0n;
    for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) x -= 1n << BigInt(8 * b.length);
    return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(x)
      : x;
  };
  const resolve = (module: string, name: string): PyCallable | PyClassRef =>
    hooks.findClass(module, name);
  const callable = (f: unknown, op: string): PyCallable => {
    if (!(f instanceof PyCallable)) {
      return fail(`${op} applied to a non-callable ${describe(f)}`);
    }
    return f;
  };
  let containers = 0;
  /** Counts one more container against {@link MAX_PICKLE_CONTAINERS} and returns `c`. */
  const made = <T>(c: T): T => {
    if (++containers > MAX_PICKLE_CONTAINERS) {
      fail(
        `more than ${MAX_PICKLE_CONTAINERS} dicts, lists, tuples and objects: too many to be a state dict`,
      );
    }
    return c;
  };
  const apply = (f: PyCallable, args: unknown): unknown => {
    made(null);
    if (!Array.isArray(args)) fail(`arguments of ${f.qualname} are not a tuple`);
    const out = f.call(args as unknown[]);
    if (typeof out === 'object' && out !== null) producedBy.set(out, f);
    return out;
  };
  const setItems = (dict: unknown, items: unknown[]): void => {
    if (!(dict instanceof Map)) fail(`SETITEM(S) on a non-dict ${describe(dict)}`);
    if (items.length % 2 !== 0) fail('odd number of items for SETITEMS');
    for (let i = 0; i < items.length; i += 2)
      (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const appendItems = (list: unknown, items: unknown[]): void => {
    if (!Array.isArray(list)) fail(`APPEND(S) on a non-list ${describe(list)}`);
    // A loop, not push(...items): a spread of a long list overflows the call stack.
    for (const item of items) (list as unknown[]).push(item);
  };

  let opcodes = 0;
  for (;;) {
    const op = u8();
    // Each opcode makes at most one new value (or one container of existing ones).
    if (++opcodes > MAX_PICKLE_VALUES)
      fail(`more than ${MAX_PICKLE_VALUES} values: too large to be a state dict`);
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('unsupported pickle protocol (> 5)');
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        metastack.push(stack);
        stack = made([]);
        break;
      case 0x30: // POP
        if (stack.length === 0) popMark();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(bytes(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(decodeLong(bytes(n)));
        break;
      }
      case 0x49: {
        // INT (text)
        const s = line();
        if (s === '00') stack.push(false);
        else if (s === '01') stack.push(true);
        else stack.push(parseIntText(s, fail));
        break;
      }
      case 0x4c: // LONG (text)
        stack.push(parseIntText(line().replace(/L$/, ''), fail));
        break;
      case 0x47: // BINFLOAT (big-endian)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x46: {
        // FLOAT (text)
        const x = Number(line());
        if (Number.isNaN(x)) fail('bad FLOAT');
        stack.push(x);
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(bytes(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(bytes(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(bytes(u64())));
        break;
      case 0x54: {
        // BINSTRING (Python 2 str)
        const n = i32();
        if (n < 0) fail('negative BINSTRING length');
        stack.push(latin1.decode(bytes(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(bytes(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(bytes(u64()).slice());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(made(new Map()));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push(made([]));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(made([]));
        break;
      case 0x8f: // EMPTY_SET
        stack.push(made(new Set()));
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = made(new Map());
        setItems(d, items);
        stack.push(d);
        break;
      }
      case 0x6c: // LIST
      case 0x74: {
        // TUPLE (popMark replaces `stack`, so pop before pushing)
        const items = popMark();
        stack.push(made(items));
        break;
      }
      case 0x91: {
        // FROZENSET
        const items = popMark();
        stack.push(made(new Set(items)));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(made([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(made([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(made([a, b, c]));
        break;
      }
      case 0x61: {
        // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail('ADDITEMS on a non-set');
        for (const x of items) (s as Set<unknown>).add(x);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT (text)
        memo.set(parseMemoKey(line(), fail), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(getMemo(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(getMemo(u32()));
        break;
      case 0x67: // GET (text)
        stack.push(getMemo(parseMemoKey(line(), fail)));
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        const name = line();
        stack.push(resolve(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          fail('STACK_GLOBAL needs two strings');
        }
        stack.push(resolve(module as string, name as string));
        break;
      }
      case 0x69: {
        // INST: module/name inline, then a class call with the marked arguments
        const module = line();
        const name = line();
        const f = callable(resolve(module, name), 'INST');
        const items = popMark();
        stack.push(apply(f, items));
        break;
      }
      case 0x6f: {
        // OBJ
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        const f = callable(items[0], 'OBJ');
        stack.push(apply(f, items.slice(1)));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const f = callable(pop(), 'REDUCE');
        stack.push(apply(f, args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const f = callable(pop(), 'NEWOBJ');
        stack.push(apply(f, args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const f = callable(pop(), 'NEWOBJ_EX');
        if (!(kwargs instanceof Map) || kwargs.size > 0) fail(`keyword arguments to ${f.qualname}`);
        stack.push(apply(f, args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        const maker = typeof obj === 'object' && obj !== null ? producedBy.get(obj) : undefined;
        if (!maker?.build) fail(`BUILD on an unsupported object ${describe(obj)}`);
        stack[stack.length - 1] = maker!.build!(obj, state);
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!hooks.persistentLoad) fail('persistent id without a persistent loader');
        stack.push(hooks.persistentLoad!(pid));
        break;
      }
      case 0x50: {
        // PERSID (text)
        const pid = line();
        if (!hooks.persistentLoad) fail('persistent id without a persistent loader');
        stack.push(hooks.persistentLoad!(pid));
        break;
      }
      default:
        fail(
          `unsupported or unknown opcode 0x${op.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(op))})`,
        );
    }
  }
}

function parseIntText(s: string, fail: (msg: string) => never): number | bigint {
  if (s.length > 80) fail(`an integer of ${s.length} digits is too large`);
  if (!/^[-+]?\d+$/.test(s)) fail(`bad integer ${JSON.stringify(s)}`);
  const x = BigInt(s);
  return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(x)
    : x;
}

function parseMemoKey(s: string, fail: (msg: string) => never): number {
  if (!/^\d+$/.test(s)) fail(`bad memo key ${JSON.stringify(s)}`);
  return Number(s);
}

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v instanceof PyCallable || v instanceof PyClassRef) return v.qualname;
  if (v === null) return 'None';
  if (Array.isArray(v)) return `tuple/list of ${v.length}`;
  if (v instanceof Map) return 'dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v === 'string'
    ? `str ${JSON.stringify(v.slice(0, 40))}`
    : `${typeof v} ${String(v)}`;
}
