import { createHash } from 'node:crypto';
import type { ArcGrid } from '../format/arc-json.js';
import type { Rng } from '../rng.js';
import { augmentedName, gridHash } from './arc.js';
import { randomColourMap } from './colour.js';
import { dihedralIndex, dihedralShape } from './dihedral.js';

/** A grid as a flat row-major array of colours. */
export interface FlatGrid {
  data: Uint8Array;
  height: number;
  width: number;
}

/** An (input, output) pair of flat grids. */
export type FlatPair = [FlatGrid, FlatGrid];

/** One variant of a puzzle: its name, the augmentation that made it, and its pairs. */
export interface ArcVariant {
  /** The puzzle's name for the original, else `name|||t<t>|||<colour map>`. */
  name: string;
  /** Dihedral transform id 0..7 (0 for the original). */
  transform: number;
  /** Colour map applied before the transform (the identity for the original). */
  colourMap: Uint8Array;
  train: FlatPair[];
  test: FlatPair[];
}

/** How many tries per requested variant {@link drawArcVariants} makes before giving up on duplicates. */
export const ARC_AUGMENT_RETRIES_FACTOR = 5;

const IDENTITY_MAP = Uint8Array.from({ length: 10 }, (_, i) => i);

/** A grid as a {@link FlatGrid}. */
export function toFlatGrid(grid: ArcGrid): FlatGrid {
  const height = grid.length;
  const width = grid[0]!.length;
  const data = new Uint8Array(height * width);
  let k = 0;
  for (const row of grid) for (const c of row) data[k++] = c;
  return { data, height, width };
}

const gatherCache = new Map<number, Int32Array>();
function gatherFor(tid: number, h: number, w: number): Int32Array {
  const key = (tid * 31 + h) * 31 + w;
  let g = gatherCache.get(key);
  if (!g) {
    g = dihedralIndex(tid, h, w);
    gatherCache.set(key, g);
  }
  return g;
}

/** A flat grid augmented: colours mapped by `colourMap`, then dihedral transform `transform`. */
export function augmentFlatGrid(g: FlatGrid, transform: number, colourMap: Uint8Array): FlatGrid {
  const [height, width] = dihedralShape(transform, g.height, g.width);
  const src = gatherFor(transform, g.height, g.width);
  const data = new Uint8Array(src.length);
  for (let k = 0; k < src.length; k++) data[k] = colourMap[g.data[src[k]!]!]!;
  return { data, height, width };
}

/** The reference's puzzle hash: SHA-256 of the sorted per-pair grid hashes of both splits. */
function puzzleHash(v: Pick<ArcVariant, 'train' | 'test'>): string {
  const parts: string[] = [];
  for (const [a, b] of [...v.train, ...v.test]) parts.push(`${gridHash(a)}|${gridHash(b)}`);
  parts.sort();
  return createHash('sha256').update(parts.join('|')).digest('hex');
}

/**
 * The original puzzle followed by up to `numAug` distinct augmented variants, drawn as the
 * ARC builder draws them: each try takes a dihedral transform (`rng.int(8)`) and a colour
 * permutation fixing 0 (`randomColourMap`), and keeps the variant unless its puzzle hash (over
 * both splits) was seen; at most {@link ARC_AUGMENT_RETRIES_FACTOR}·`numAug` tries.
 */
export function drawArcVariants(
  name: string,
  train: FlatPair[],
  test: FlatPair[],
  numAug: number,
  rng: Rng,
): ArcVariant[] {
  const original: ArcVariant = {
    name,
    transform: 0,
    colourMap: IDENTITY_MAP.slice(),
    train,
    test,
  };
  const group = [original];
  if (numAug === 0) return group;
  const seen = new Set([puzzleHash(original)]);
  for (
    let trial = 0;
    trial < ARC_AUGMENT_RETRIES_FACTOR * numAug && group.length < numAug + 1;
    trial++
  ) {
    const transform = rng.int(8);
    const colourMap = randomColourMap(rng);
    const aug = (p: FlatPair): FlatPair => [
      augmentFlatGrid(p[0], transform, colourMap),
      augmentFlatGrid(p[1], transform, colourMap),
    ];
    const v: ArcVariant = {
      name: augmentedName(name, transform, colourMap),
      transform,
      colourMap,
      train: train.map(aug),
      test: test.map(aug),
    };
    const h = puzzleHash(v);
    if (!seen.has(h)) {
      seen.add(h);
      group.push(v);
    }
  }
  return group;
}
