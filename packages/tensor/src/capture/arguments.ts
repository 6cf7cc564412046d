/**
 * The arguments and results of a compiled function as data: the tensors in them, a key that
 * names everything else, and the structure to rebuild them around other tensors.
 */
import { Tensor } from '../tensor.js';

/**
 * `value` with each leaf (anything but an array or a plain object) replaced by `f(leaf)`:
 * arrays and plain objects are rebuilt around the new leaves, in a fixed order.
 */
export function mapLeaves(value: unknown, f: (leaf: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => mapLeaves(v, f));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapLeaves(v, f)]));
  }
  return f(value);
}

/** Calls `f` on each leaf of `value`, in {@link mapLeaves} order. */
export function forEachLeaf(value: unknown, f: (leaf: unknown) => void): void {
  if (Array.isArray(value)) for (const v of value) forEachLeaf(v, f);
  else if (isPlainObject(value)) for (const v of Object.values(value)) forEachLeaf(v, f);
  else f(value);
}

/** The tensors found in a value (arrays and plain objects are searched), in a fixed order. */
export function tensorsIn(value: unknown): Tensor[] {
  const out: Tensor[] = [];
  forEachLeaf(value, (v) => {
    if (v instanceof Tensor) out.push(v);
  });
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
  return mapLeaves(value, (v) => (v instanceof Tensor ? replacements[i++] : v)) as T;
}

/** True for `{…}` literals (not class instances, which are passed through by identity). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
