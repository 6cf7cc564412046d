/**
 * Index maps: how the elements of one domain read a buffer laid out in another shape. A
 * broadcast, a permutation and a slice are each one map, so a fused kernel reads its operands
 * through them instead of waiting for a copy. Maps are kept as small as the layout allows
 * (adjacent dimensions walked contiguously merge, size-1 dimensions drop), because every
 * remaining dimension costs the kernel a division per element.
 */
import type { IndexMap } from '../memory/storage.js';

/**
 * Merges adjacent dimensions that every stride list walks contiguously, and drops size-1
 * dimensions, so most maps and strided copies have rank 1 or 2.
 */
export function collapseDims(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const extent = shape[d]!;
    if (extent === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((s, j) => outStrides[j]![last] === s[d]! * extent);
    if (mergeable) {
      outShape[last] = outShape[last]! * extent;
      strides.forEach((s, j) => {
        outStrides[j]![last] = s[d]!;
      });
    } else {
      outShape.push(extent);
      strides.forEach((s, j) => {
        outStrides[j]!.push(s[d]!);
      });
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

/**
 * The map reading `strides` (and `offset`) for a domain of `shape`, simplified; null when it is
 * the identity (element `i` reads element `i`), which needs no index arithmetic.
 */
export function indexMap(
  shape: readonly number[],
  strides: readonly number[],
  offset = 0,
): IndexMap | null {
  const c = collapseDims(shape, [strides]);
  const s = c.strides[0]!;
  if (offset === 0 && c.shape.length === 1 && s[0] === 1) return null;
  return { shape: c.shape, strides: s, offset };
}

/** Identifies a map by value (two reads through equal maps share one load). */
export function mapKey(maps: readonly IndexMap[] | undefined): string {
  return maps
    ? maps.map((m) => `${m.offset}:${m.shape.join('x')}/${m.strides.join(',')}`).join('|')
    : '';
}

/**
 * WGSL of the index that element `i` (a WGSL name) reads through `map`. Sizes and strides are
 * literals: a CPU adapter divides by a runtime value lane by lane (no vector integer division
 * on x86), while a division by a constant compiles to a multiply and a shift. Each distinct
 * layout is therefore its own kernel, which a training run, with its fixed shapes, compiles once.
 */
export function mapIndexWgsl(i: string, map: IndexMap): string {
  const terms: string[] = [];
  let inner = 1;
  for (let d = map.shape.length - 1; d >= 0; d--) {
    const n = map.shape[d]!;
    const stride = map.strides[d]!;
    if (stride !== 0 && n !== 1) {
      const quotient = inner === 1 ? i : `${i} / ${inner}u`;
      // The outermost coordinate needs no remainder: `i` stays inside the domain.
      const coord = d === 0 ? quotient : inner === 1 ? `${i} % ${n}u` : `(${quotient}) % ${n}u`;
      terms.push(
        stride === 1 ? coord : coord === i ? `${i} * ${stride}u` : `(${coord}) * ${stride}u`,
      );
    }
    inner *= n;
  }
  if (map.offset !== 0) terms.push(`${map.offset}u`);
  return terms.length > 0 ? terms.join(' + ') : '0u';
}
