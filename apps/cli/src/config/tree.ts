/** Helpers for plain config trees (mappings, lists, scalars). */

export type Mapping = Record<string, unknown>;

export function isMapping(v: unknown): v is Mapping {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep copy of a plain tree. */
export function cloneTree<T>(v: T): T {
  return structuredClone(v);
}

/** Every leaf (non-mapping value) as [dotted key, value]; empty mappings count as leaves. */
export function leaves(node: Mapping, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(node)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isMapping(v) && Object.keys(v).length > 0) out.push(...leaves(v, key));
    else out.push([key, v]);
  }
  return out;
}

/** Value at a path, or undefined. */
export function getPath(node: Mapping, path: readonly string[]): unknown {
  let cur: unknown = node;
  for (const seg of path) {
    if (!isMapping(cur) || !Object.hasOwn(cur, seg)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

/** Whether the path exists. */
export function hasPath(node: Mapping, path: readonly string[]): boolean {
  let cur: unknown = node;
  for (const seg of path) {
    if (!isMapping(cur) || !Object.hasOwn(cur, seg)) return false;
    cur = cur[seg];
  }
  return true;
}
