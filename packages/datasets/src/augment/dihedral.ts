/**
 * The 8 symmetries of a rectangle grid, numbered as in the reference (§11):
 * 0 identity, 1 rot90, 2 rot180, 3 rot270 (counter-clockwise, like `np.rot90`),
 * 4 flip left-right, 5 flip up-down, 6 transpose, 7 anti-transpose (flip-lr of rot90).
 */
export type DihedralId = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** `DIHEDRAL_INVERSE[t]` undoes transform `t`. */
export const DIHEDRAL_INVERSE: readonly DihedralId[] = [0, 3, 2, 1, 4, 5, 6, 7];

function checkId(tid: number): asserts tid is DihedralId {
  if (!Number.isInteger(tid) || tid < 0 || tid > 7)
    throw new RangeError(`dihedral id must be 0..7, got ${tid}`);
}

/** Output shape `[rows, cols]` of transform `tid` applied to an `h`×`w` grid. */
export function dihedralShape(tid: number, h: number, w: number): [number, number] {
  checkId(tid);
  return tid === 1 || tid === 3 || tid === 6 || tid === 7 ? [w, h] : [h, w];
}

/**
 * Gather table for transform `tid` on an `h`×`w` row-major grid: output cell `k` takes
 * input cell `src[k]`. Precomputing it turns every transform into one indexed copy.
 */
export function dihedralIndex(tid: number, h: number, w: number): Int32Array {
  const [oh, ow] = dihedralShape(tid, h, w);
  const src = new Int32Array(oh * ow);
  let k = 0;
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      let r: number;
      let c: number;
      switch (tid) {
        case 0:
          r = i;
          c = j;
          break;
        case 1:
          r = j;
          c = w - 1 - i;
          break;
        case 2:
          r = h - 1 - i;
          c = w - 1 - j;
          break;
        case 3:
          r = h - 1 - j;
          c = i;
          break;
        case 4:
          r = i;
          c = w - 1 - j;
          break;
        case 5:
          r = h - 1 - i;
          c = j;
          break;
        case 6:
          r = j;
          c = i;
          break;
        default:
          r = h - 1 - j;
          c = w - 1 - i;
      }
      src[k++] = r * w + c;
    }
  }
  return src;
}

/** Applies transform `tid` to a flat row-major grid; returns the data and its new shape. */
export function dihedralFlat<T extends Uint8Array | Int32Array>(
  data: T,
  h: number,
  w: number,
  tid: number,
): { data: T; height: number; width: number } {
  const [oh, ow] = dihedralShape(tid, h, w);
  const src = dihedralIndex(tid, h, w);
  const out = new (data.constructor as new (n: number) => T)(src.length);
  for (let k = 0; k < src.length; k++) out[k] = data[src[k]!]!;
  return { data: out, height: oh, width: ow };
}

/** Applies dihedral transform `tid` to a grid given as rows. */
export function dihedralTransform(grid: readonly (readonly number[])[], tid: number): number[][] {
  const h = grid.length;
  const w = grid[0]?.length ?? 0;
  const [oh, ow] = dihedralShape(tid, h, w);
  const src = dihedralIndex(tid, h, w);
  const out: number[][] = [];
  for (let i = 0; i < oh; i++) {
    const row: number[] = new Array(ow);
    for (let j = 0; j < ow; j++) {
      const s = src[i * ow + j]!;
      row[j] = grid[Math.floor(s / w)]![s % w]!;
    }
    out.push(row);
  }
  return out;
}

/** Undoes {@link dihedralTransform}: `inverseDihedral(dihedralTransform(g, t), t)` equals `g`. */
export function inverseDihedral(grid: readonly (readonly number[])[], tid: number): number[][] {
  checkId(tid);
  return dihedralTransform(grid, DIHEDRAL_INVERSE[tid]!);
}
