/**
 * The invariants a loader relies on, checked in one pass over arrays it reads anyway: token
 * arrays inside the vocabulary, index arrays that start at 0, never go backwards and end at
 * the array lengths, identifiers inside the puzzle table. A dataset that breaks one would
 * otherwise train or score on garbage, or fail deep inside with a message that names nothing.
 * Each error names the file, the row and the value, and what to do.
 */
import { DatasetError } from '../errors.js';
import type { DatasetMetadata } from '../format/metadata.js';

/** Integer data as the loader holds it (int64 already narrowed, with overflow reported). */
export type IntData = ArrayLike<number>;

const REBUILD = 'rebuild the dataset with trm build-dataset';

function fail(file: string, message: string): never {
  throw new DatasetError(`${file}: ${message}; ${REBUILD}.`, { file });
}

/**
 * Index of the first element outside `[0, vocab)` that is not `allowed`, or -1.
 *
 * Byte tokens (every builder writes uint8) are tested four at a time: for bytes below 128,
 * adding `128 - vocab` to each sets a byte's top bit exactly when it is at least `vocab`, and
 * cannot carry into the next byte. That makes the check on a million-example Sudoku set
 * cost a few tens of milliseconds instead of a few hundred.
 */
export function firstTokenOutside(data: IntData, vocab: number, allowed: number | null): number {
  let from = 0;
  if (
    data instanceof Uint8Array &&
    vocab <= 128 &&
    data.byteOffset % 4 === 0 &&
    (allowed === null || (allowed >= 0 && allowed < vocab))
  ) {
    const words = new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2);
    const k = Math.imul(128 - vocab, 0x01010101) >>> 0;
    let w = 0;
    for (; w < words.length; w++) {
      const x = words[w]!;
      if (((x | (x + k)) & 0x80808080) !== 0) break;
    }
    from = w * 4;
  }
  for (let i = from; i < data.length; i++) {
    const t = data[i]!;
    // One unsigned comparison tests both ends of the range.
    if (t >>> 0 >= vocab && t !== allowed) return i;
  }
  return -1;
}

/** Tokens (inputs) inside `[0, vocab_size)`; labels also may be `ignore_label_id`. */
export function checkTokens(
  file: string,
  data: IntData,
  seqLen: number,
  meta: DatasetMetadata,
  kind: 'inputs' | 'labels',
): void {
  const ignore = kind === 'labels' ? meta.ignore_label_id : null;
  const i = firstTokenOutside(data, meta.vocab_size, ignore);
  if (i < 0) return;
  fail(
    file,
    `row ${Math.floor(i / seqLen)}, position ${i % seqLen}: ${kind === 'inputs' ? 'token' : 'label'} ${data[i]} is outside the vocabulary 0..${meta.vocab_size - 1} (vocab_size in dataset.json)${ignore !== null ? ` and is not ignore_label_id ${ignore}` : ''}`,
  );
}

/**
 * An offsets array (`puzzle_indices`, `group_indices`): `count + 1` entries from 0 to `end`,
 * never decreasing, or strictly increasing when every range must be non-empty.
 */
export function checkOffsets(
  file: string,
  offsets: IntData,
  count: number,
  end: number,
  what: { ranges: string; items: string; strict: boolean },
): void {
  if (offsets.length === 0) fail(file, 'is empty, but it needs at least its leading 0');
  if (offsets.length !== count + 1)
    fail(file, `has ${offsets.length} entries but ${count} ${what.ranges} need ${count + 1}`);
  if (offsets[0] !== 0) fail(file, `entry 0 is ${offsets[0]}, not 0`);
  for (let i = 1; i < offsets.length; i++) {
    const a = offsets[i - 1]!;
    const b = offsets[i]!;
    if (b < a || (what.strict && b === a))
      fail(
        file,
        `entry ${i} is ${b} after ${a}: the offsets must ${what.strict ? `increase (no empty ${what.ranges.replace(/s$/, '')})` : 'not decrease'}`,
      );
  }
  if (offsets[offsets.length - 1] !== end)
    fail(
      file,
      `the last entry is ${offsets[offsets.length - 1]}, but there are ${end} ${what.items}`,
    );
}

/** Puzzle identifiers inside `[0, num_puzzle_identifiers)`. */
export function checkIdentifiers(file: string, ids: IntData, numIds: number): void {
  const i = firstTokenOutside(ids, numIds, null);
  if (i >= 0)
    fail(
      file,
      `puzzle ${i}: identifier ${ids[i]} is outside 0..${numIds - 1} (num_puzzle_identifiers in dataset.json)`,
    );
}
