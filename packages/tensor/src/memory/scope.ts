import { TensorError } from '../errors.js';

/** What a scope tracks: anything with an idempotent `dispose()`. */
export interface Scoped {
  /** The scope the object is registered in, if any. */
  scope: Set<Scoped> | null;
  /** True once `keep()` exempted it from scopes. */
  kept: boolean;
  dispose(): void;
}

const scopes: Set<Scoped>[] = [];

/** Registers a freshly created object in the innermost `tidy()` scope (if any). */
export function track(obj: Scoped): void {
  const scope = scopes[scopes.length - 1];
  if (scope && !obj.kept) {
    scope.add(obj);
    obj.scope = scope;
  }
}

/** Removes an object from whatever scope holds it: its lifetime is now managed elsewhere. */
export function untrack(obj: Scoped): void {
  obj.scope?.delete(obj);
  obj.scope = null;
}

/**
 * Runs `fn` and disposes every tensor created inside it, except the tensors it returns (a
 * tensor, or tensors anywhere inside returned arrays, plain objects and Maps) and tensors
 * marked with `keep()`. Returned tensors move to the enclosing scope. Scopes nest. If `fn`
 * throws, everything created inside is disposed and the error propagates.
 *
 * `fn` must be synchronous: encoding GPU work is synchronous, and an `await` inside would let
 * unrelated code create tensors in this scope. Read values back after `tidy()` returns.
 */
export function tidy<T>(fn: () => T): T {
  const { result, scope } = inScope(fn);
  if (result instanceof Promise) {
    disposeAll(scope);
    throw new TensorError('tidy() takes a synchronous function; it returned a Promise.');
  }
  const returned = new Set<Scoped>();
  collect(result, returned, new Set());
  // Newest first: a result is freed before the inputs it was computed from, so a pending
  // elementwise expression that nobody kept is forgotten rather than computed (lazy/fusion.ts).
  for (const obj of [...scope].reverse()) {
    obj.scope = null;
    if (returned.has(obj)) track(obj);
    else obj.dispose();
  }
  return result;
}

/**
 * Runs `fn` in a scope of its own and hands back, besides its result, every object it created
 * other than the result: the caller now owns them (no scope will dispose them). The result
 * moves to the enclosing scope. If `fn` throws, what it created is disposed.
 */
export function capture<T extends Scoped>(fn: () => T): { result: T; created: Scoped[] } {
  const { result, scope } = inScope(fn);
  const created: Scoped[] = [];
  for (const obj of scope) {
    obj.scope = null;
    if (obj === result) track(obj);
    else created.push(obj);
  }
  return { result, created };
}

/** Runs `fn` in a new innermost scope; if it throws, disposes what it created. */
function inScope<T>(fn: () => T): { result: T; scope: Set<Scoped> } {
  const scope = new Set<Scoped>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    disposeAll(scope);
    throw error;
  }
  scopes.pop();
  return { result, scope };
}

function disposeAll(scope: Set<Scoped>): void {
  for (const obj of scope) {
    obj.scope = null;
    obj.dispose();
  }
}

/** Marks an object so that no `tidy()` scope disposes it; returns it. */
export function keep<T extends Scoped>(obj: T): T {
  untrack(obj);
  obj.kept = true;
  return obj;
}

function isScoped(value: unknown): value is Scoped {
  return (
    typeof value === 'object' &&
    value !== null &&
    'scope' in value &&
    'kept' in value &&
    typeof (value as Scoped).dispose === 'function'
  );
}

function collect(value: unknown, out: Set<Scoped>, seen: Set<unknown>): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  if (isScoped(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, seen);
  }
}
