/**
 * The puzzle identifiers of `trm adapt`: a dataset built apart from the checkpoint's numbers
 * its puzzles from 1, so its identifiers name rows the checkpoint gave to other puzzles. The
 * adapted model appends one row per puzzle of the new dataset and reads the new dataset
 * through a copy whose identifiers point at those rows. Free of the GPU packages.
 */
import { copyFileSync, linkSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  BLANK_IDENTIFIER,
  type DatasetMetadata,
  type LoadedSplit,
  readIdentifiers,
  writeIdentifiers,
  writeMetadata,
  writeNpy,
} from '@trm/datasets';

/**
 * Where the identifiers of a new dataset land in the adapted table. The rule: the checkpoint's
 * rows `0..checkpointRows-1` stay as they are; the new dataset's blank identifier (0 in every
 * dataset trm and the reference build) is the blank row 0; its other identifiers, in increasing
 * order, get the appended rows `checkpointRows, checkpointRows + 1, …` — identifier k ≥ 1 of a
 * dataset whose blank is 0 becomes row `checkpointRows + k − 1`.
 */
export interface PuzzleRowMap {
  /** Rows of the checkpoint's puzzle table. */
  checkpointRows: number;
  /** Rows appended: one per identifier of the new dataset besides its blank one. */
  appended: number;
  /** The new dataset's blank identifier. */
  blank: number;
}

/** The row map for a new dataset described by `meta` and a table of `checkpointRows` rows. */
export function puzzleRowMap(checkpointRows: number, meta: DatasetMetadata): PuzzleRowMap {
  return {
    checkpointRows,
    appended: meta.num_puzzle_identifiers - 1,
    blank: meta.blank_identifier_id,
  };
}

/** The adapted table's row for identifier `id` of the new dataset (see {@link PuzzleRowMap}). */
export function adaptedRow(map: PuzzleRowMap, id: number): number {
  if (id === map.blank) return 0;
  return map.checkpointRows + id - (id > map.blank ? 1 : 0);
}

/** A name for each of the checkpoint's own rows in the renumbered identifiers.json. */
const CHECKPOINT_ROW = '<checkpoint row>';

/**
 * Writes the new dataset at `src` (its splits already read and checked) to `dest` with every
 * puzzle identifier replaced by its adapted row: `<set>__puzzle_identifiers.npy`, `dataset.json`
 * (`num_puzzle_identifiers` the adapted table's size, blank 0) and `identifiers.json` (the
 * checkpoint's rows as `<checkpoint row>`, then the new names) are written anew; every other
 * file (inputs, labels, indices, `test_puzzles.json`) is hard-linked, or copied where a link
 * cannot be made, so the copy costs little room.
 */
export function writeRenumberedDataset(
  src: string,
  dest: string,
  splits: Record<'train' | 'test', LoadedSplit>,
  map: PuzzleRowMap,
): void {
  const rows = map.checkpointRows + map.appended;
  mkdirSync(dest, { recursive: true });
  for (const [split, loaded] of Object.entries(splits)) {
    const from = join(src, split);
    const to = join(dest, split);
    mkdirSync(to, { recursive: true });
    const renumbered = new Map<string, Int32Array>();
    for (const [set, arrays] of loaded.sets)
      renumbered.set(
        `${set}__puzzle_identifiers.npy`,
        arrays.puzzleIdentifiers.map((id) => adaptedRow(map, id)),
      );
    for (const name of readdirSync(from)) {
      if (!statSync(join(from, name)).isFile()) continue;
      const ids = renumbered.get(name);
      if (ids) writeNpy(join(to, name), ids, [ids.length]);
      else if (name === 'dataset.json')
        writeMetadata(join(to, name), {
          ...loaded.metadata,
          num_puzzle_identifiers: rows,
          blank_identifier_id: 0,
        });
      else linkOrCopy(join(from, name), join(to, name));
    }
  }
  for (const name of readdirSync(src)) {
    if (name === 'train' || name === 'test' || !statSync(join(src, name)).isFile()) continue;
    if (name === 'identifiers.json') {
      const names = readIdentifiers(join(src, name));
      const out = new Array<string>(rows).fill(CHECKPOINT_ROW);
      out[0] = BLANK_IDENTIFIER;
      names.forEach((n, id) => {
        if (id !== map.blank) out[adaptedRow(map, id)] = n;
      });
      writeIdentifiers(join(dest, name), out);
    } else linkOrCopy(join(src, name), join(dest, name));
  }
}

function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    // Another filesystem, or one without hard links.
    copyFileSync(from, to);
  }
}
