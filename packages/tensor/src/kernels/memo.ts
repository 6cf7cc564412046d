/**
 * Memoises a WGSL source builder by its arguments. Beyond saving the string building, it
 * returns the same string object for the same kernel every time, so the pipeline cache's map
 * lookup reuses the string's cached hash instead of hashing kilobytes of WGSL per dispatch
 * (the largest single cost of encoding a small kernel, measured).
 */
export function memoSource<A extends readonly unknown[]>(
  build: (...args: A) => string,
): (...args: A) => string {
  const cache = new Map<string, string>();
  return (...args: A) => {
    const key = JSON.stringify(args);
    let code = cache.get(key);
    if (code === undefined) {
      code = build(...args);
      cache.set(key, code);
    }
    return code;
  };
}
