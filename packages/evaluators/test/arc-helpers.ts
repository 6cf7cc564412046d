import { arcGridToCanvas, type EvalBatch, type EvalOutputs, type Grid } from '../src/index.js';

/**
 * Forward dihedral transforms written independently from numpy's definitions (§11), so the
 * evaluator's inverse (taken from @trm/datasets) is checked against the spec, not itself.
 */
export function numpyDihedral(a: Grid, t: number): Grid {
  const h = a.length;
  const w = a[0]!.length;
  const make = (oh: number, ow: number, f: (i: number, j: number) => number): Grid =>
    Array.from({ length: oh }, (_, i) => Array.from({ length: ow }, (_, j) => f(i, j)));
  const rot90 = (g: Grid): Grid =>
    make(g[0]!.length, g.length, (i, j) => g[j]![g[0]!.length - 1 - i]!);
  switch (t) {
    case 0:
      return make(h, w, (i, j) => a[i]![j]!);
    case 1:
      return rot90(a);
    case 2:
      return rot90(rot90(a));
    case 3:
      return rot90(rot90(rot90(a)));
    case 4: // np.fliplr
      return make(h, w, (i, j) => a[i]![w - 1 - j]!);
    case 5: // np.flipud
      return make(h, w, (i, j) => a[h - 1 - i]![j]!);
    case 6: // transpose
      return make(w, h, (i, j) => a[j]![i]!);
    case 7: {
      // np.fliplr(np.rot90(a))
      const r = rot90(a);
      return make(r.length, r[0]!.length, (i, j) => r[i]![r[0]!.length - 1 - j]!);
    }
    default:
      throw new Error(`bad transform ${t}`);
  }
}

/** The reference's augmentation: colours through `mapping` (10 digits) first, then transform `t`. */
export function augment(grid: Grid, t: number, mapping: string): Grid {
  return numpyDihedral(
    grid.map((row) => row.map((c) => Number(mapping[c]))),
    t,
  );
}

/** Variant name as in identifiers.json. */
export function variant(name: string, t: number, mapping: string): string {
  return `${name}|||t${t}|||${mapping}`;
}

/** One row of an ARC evaluation batch. */
export interface ArcRow {
  id: number;
  input: Grid;
  pred: Grid | Int32Array;
  q: number;
}

/** Builds a `[rows, 900]` ARC batch with 30×30 canvases; `pad` blank rows of garbage follow. */
export function arcBatch(rows: ArcRow[], pad = 0): [EvalBatch, EvalOutputs] {
  const b = rows.length + pad;
  const seqLen = 900;
  const inputs = new Int32Array(b * seqLen);
  const labels = new Int32Array(b * seqLen).fill(-100);
  const preds = new Int32Array(b * seqLen);
  const puzzleIdentifiers = new Int32Array(b);
  const qHaltLogits = new Float32Array(b);
  rows.forEach((r, i) => {
    inputs.set(arcGridToCanvas(r.input), i * seqLen);
    preds.set(r.pred instanceof Int32Array ? r.pred : arcGridToCanvas(r.pred), i * seqLen);
    puzzleIdentifiers[i] = r.id;
    qHaltLogits[i] = r.q;
  });
  for (let i = rows.length; i < b; i++) {
    // Padding rows: blank identifier, yet a prediction that would vote if it were read.
    preds.fill(5, i * seqLen, (i + 1) * seqLen);
    qHaltLogits[i] = 10;
  }
  return [
    { inputs, labels, puzzleIdentifiers, batchSize: b, seqLen },
    { preds, qHaltLogits },
  ];
}
