import type { Rng } from '../rng.js';

/**
 * A colour map for ARC grids: `map[c]` is the new colour of colour `c` (0..9). Colour 0
 * (background) is always fixed; 1..9 are permuted.
 */
export type ColourMap = Uint8Array;

/** A random colour map with 0 fixed. */
export function randomColourMap(rng: Rng): ColourMap {
  const perm = rng.permutation(9);
  const map = new Uint8Array(10);
  for (let i = 0; i < 9; i++) map[i + 1] = perm[i]! + 1;
  return map;
}

/** The inverse map: `inverseColourMap(m)[m[c]] === c`. */
export function inverseColourMap(map: ArrayLike<number>): ColourMap {
  const inv = new Uint8Array(10);
  for (let c = 0; c < 10; c++) inv[map[c]!] = c;
  return inv;
}

/** The 10-digit form used in variant names (`map[0]` through `map[9]`). */
export function colourMapToString(map: ArrayLike<number>): string {
  let s = '';
  for (let c = 0; c < 10; c++) s += String(map[c]);
  return s;
}

/** Parses the 10-digit form; throws if it is not a permutation of 0..9. */
export function colourMapFromString(s: string): ColourMap {
  if (!/^\d{10}$/.test(s)) throw new RangeError(`colour map must be 10 digits, got '${s}'`);
  const map = new Uint8Array(10);
  const seen = new Set<number>();
  for (let c = 0; c < 10; c++) {
    const v = s.charCodeAt(c) - 48;
    map[c] = v;
    seen.add(v);
  }
  if (seen.size !== 10) throw new RangeError(`colour map '${s}' is not a permutation of 0..9`);
  return map;
}

/** Applies a colour map to every cell of a grid given as rows. */
export function mapColours(
  grid: readonly (readonly number[])[],
  map: ArrayLike<number>,
): number[][] {
  return grid.map((row) => row.map((c) => map[c]!));
}
