import { createHash } from 'node:crypto';
import type { ArcGrid } from '../format/arc-json.js';
import { colourMapFromString, colourMapToString, inverseColourMap, mapColours } from './colour.js';
import { dihedralTransform, inverseDihedral } from './dihedral.js';

/** Separator between a puzzle name and its augmentation in variant names. */
export const PUZZLE_ID_SEPARATOR = '|||';

/** A parsed ARC variant name. */
export interface ArcAugmentation {
  /** The original puzzle name. */
  name: string;
  /** Dihedral transform id 0..7 (0 for an unaugmented puzzle). */
  transform: number;
  /** Colour map applied before the transform (identity for an unaugmented puzzle). */
  colourMap: Uint8Array;
}

const IDENTITY_MAP = Uint8Array.from({ length: 10 }, (_, i) => i);

/** Variant name `name|||t<t>|||<10 digits>`, as the reference writes to `identifiers.json`. */
export function augmentedName(
  name: string,
  transform: number,
  colourMap: ArrayLike<number>,
): string {
  return `${name}${PUZZLE_ID_SEPARATOR}t${transform}${PUZZLE_ID_SEPARATOR}${colourMapToString(colourMap)}`;
}

/** Applies an augmentation to a grid: colours first, then the dihedral transform. */
export function augmentGrid(
  grid: ArcGrid,
  transform: number,
  colourMap: ArrayLike<number>,
): ArcGrid {
  return dihedralTransform(mapColours(grid, colourMap), transform);
}

/**
 * Parses a variant name. A name without the separator is an original puzzle with the
 * identity augmentation.
 */
export function parseAugmentedName(variant: string): ArcAugmentation {
  const parts = variant.split(PUZZLE_ID_SEPARATOR);
  if (parts.length < 3) return { name: variant, transform: 0, colourMap: IDENTITY_MAP.slice() };
  const t = parts[parts.length - 2]!;
  const m = /^t([0-7])$/.exec(t);
  if (!m) throw new RangeError(`bad transform '${t}' in variant name '${variant}'`);
  return {
    name: parts.slice(0, -2).join(PUZZLE_ID_SEPARATOR),
    transform: Number(m[1]),
    colourMap: colourMapFromString(parts[parts.length - 1]!),
  };
}

/**
 * Parses a variant name and returns the original name with a function that maps a grid of
 * the variant back to the original puzzle's frame (inverse transform, then inverse colours).
 */
export function inverseAugment(variant: string): {
  name: string;
  invert: (grid: ArcGrid) => ArcGrid;
} {
  const aug = parseAugmentedName(variant);
  const inv = inverseColourMap(aug.colourMap);
  return {
    name: aug.name,
    invert: (grid) => mapColours(inverseDihedral(grid, aug.transform), inv),
  };
}

/**
 * SHA-256 (hex) of a grid's shape bytes followed by its cells as bytes, row-major — the
 * reference's `grid_hash`, so hashes agree with the Python evaluator.
 */
export function gridHash(
  grid: ArcGrid | { data: Uint8Array; height: number; width: number },
): string {
  const h = createHash('sha256');
  if (Array.isArray(grid)) {
    const rows = grid.length;
    const cols = grid[0]?.length ?? 0;
    const buf = new Uint8Array(2 + rows * cols);
    buf[0] = rows;
    buf[1] = cols;
    let k = 2;
    for (const row of grid) for (const c of row) buf[k++] = c;
    h.update(buf);
  } else {
    const flat = grid as { data: Uint8Array; height: number; width: number };
    h.update(new Uint8Array([flat.height, flat.width]));
    h.update(flat.data);
  }
  return h.digest('hex');
}
