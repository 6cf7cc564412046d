/** Threads per workgroup for 1-D kernels: a good default on both desktop GPUs and lavapipe. */
export const WORKGROUP_SIZE = 256;

/**
 * Workgroup counts covering `n` threads. A dimension holds at most `maxPerDim` (65,535 by
 * default in WebGPU) workgroups, so large sizes fold into a 2-D grid; kernels rebuild the
 * linear index with {@link LINEAR_INDEX_WGSL}.
 */
export function gridFor(
  n: number,
  maxPerDim = 65_535,
  workgroupSize = WORKGROUP_SIZE,
): [number, number] {
  const groups = Math.max(1, Math.ceil(n / workgroupSize));
  if (groups <= maxPerDim) return [groups, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y];
}

/** WGSL expression for the linear thread index of a grid made by {@link gridFor}. */
export const LINEAR_INDEX_WGSL = '(wid.y * nwg.x + wid.x) * WG + lid.x';
