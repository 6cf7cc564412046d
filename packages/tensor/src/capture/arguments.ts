/**
 * The arguments and results of a compiled function as data: the tensors in them, a key that
 * names everything else, and the structure to rebuild them around other tensors.
 */
import { Tensor } from '../tensor.js';

/** The tensors found in a value (arrays and plain objects are searched), in a fixed order. */
export function tensorsIn(value: unknown, out: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) out.push(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, out);
  else if (isPlainObject(value)) for (const v of Object.values(value)) tensorsIn(v, out);
  return out;
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

/**
 * A key naming a call's arguments for the trace cache: each tensor's dtype and shape, every
 * other plain value itself, and any other object or function (a model, an update) by identity.
 */
export function signatureOf(value: unknown): string {
  if (value instanceof Tensor) return `${value.dtype}[${value.shape.join(',')}]`;
  if (Array.isArray(value)) return `[${value.map(signatureOf).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${signatureOf(v)}`)
      .join(',')}}`;
  }
  // A function or another object stands for what it does: another one is another step.
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    let id = objectIds.get(value);
    if (id === undefined) {
      id = nextObjectId++;
      objectIds.set(value, id);
    }
    return `#${id}`;
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** `value` with its tensors (in {@link tensorsIn} order) replaced by `replacements`. */
export function substitute<T>(value: T, replacements: readonly Tensor[]): T {
  let i = 0;
  const walk = (v: unknown): unknown => {
    if (v instanceof Tensor) return replacements[i++];
    if (Array.isArray(v)) return v.map(walk);
    if (isPlainObject(v))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** True for `{…}` literals (not class instances, which are passed through by identity). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
