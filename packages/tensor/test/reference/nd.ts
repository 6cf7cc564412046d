/**
 * An independent f64 CPU reference: plain nested loops over row-major arrays, written without
 * looking at the GPU kernels. Used by the forward tests and the finite-difference grad tests.
 */
export interface Nd {
  shape: number[];
  data: Float64Array;
}

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function nd(shape: readonly number[], data?: ArrayLike<number>): Nd {
  const out = new Float64Array(size(shape));
  if (data) out.set(Array.from(data));
  return { shape: [...shape], data: out };
}

export function stridesOf(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Multi-index of flat position `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d]! + idx[d]!;
  return i;
}

export function broadcastShape(...shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let e = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d !== 1) {
        if (e !== 1 && e !== d) throw new Error('not broadcastable');
        e = d;
      }
    }
    out.push(e);
  }
  return out;
}

/** Element of `a` at output multi-index `idx` under broadcasting. */
function at(a: Nd, idx: readonly number[]): number {
  const off = idx.length - a.shape.length;
  const own = a.shape.map((d, k) => (d === 1 ? 0 : idx[off + k]!));
  return a.data[ravel(own, a.shape)]!;
}

export function mapN(inputs: Nd[], f: (...v: number[]) => number): Nd {
  const shape = broadcastShape(...inputs.map((x) => x.shape));
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    out.data[i] = f(...inputs.map((x) => at(x, idx)));
  }
  return out;
}

export const map = (a: Nd, f: (v: number) => number) => mapN([a], f);

/** Reduce over one axis with keepdim. */
export function reduce(a: Nd, axis: number, f: (row: number[]) => number, keepdim: boolean): Nd {
  const shape = a.shape.map((d, i) => (i === axis ? 1 : d));
  const out = nd(shape);
  for (let o = 0; o < out.data.length; o++) {
    const idx = unravel(o, shape);
    const row: number[] = [];
    for (let j = 0; j < a.shape[axis]!; j++) {
      idx[axis] = j;
      row.push(a.data[ravel(idx, a.shape)]!);
    }
    out.data[o] = f(row);
  }
  if (!keepdim) out.shape = a.shape.filter((_, i) => i !== axis);
  return out;
}

export const rowSum = (r: number[]) => r.reduce((s, v) => s + v, 0);
export const rowMean = (r: number[]) => rowSum(r) / r.length;
export const rowMax = (r: number[]) => Math.max(...r);
export const rowArgmax = (r: number[]) => r.indexOf(Math.max(...r));

export function sumAll(a: Nd): number {
  let s = 0;
  for (const v of a.data) s += v;
  return s;
}

/** Batched matmul with broadcast batch dims. */
export function matmul(a: Nd, b: Nd, transA = false, transB = false): Nd {
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const n = transB ? br : bc;
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = nd([...batch, m, n]);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  for (let t = 0; t < size(batch); t++) {
    const bi = unravel(t, batch);
    const pick = (own: number[]) => {
      const off = bi.length - own.length;
      return ravel(
        own.map((d, q) => (d === 1 ? 0 : bi[off + q]!)),
        own,
      );
    };
    const aBase = pick(aBatch) * ar * ac;
    const bBase = pick(bBatch) * br * bc;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = a.data[aBase + (transA ? p * ac + i : i * ac + p)]!;
          const bv = b.data[bBase + (transB ? j * bc + p : p * bc + j)]!;
          s += av * bv;
        }
        out.data[(t * m + i) * n + j] = s;
      }
    }
  }
  return out;
}

/** Softmax / log-softmax along `axis`, straight from the definition (f64 needs no max shift here). */
export function softmax(a: Nd, axis: number, log = false): Nd {
  const out = nd(a.shape);
  const norm = reduce(a, axis, (r) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0)), true);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape);
    idx[axis] = 0;
    const l = a.data[i]! - norm.data[ravel(idx, norm.shape)]!;
    out.data[i] = log ? l : Math.exp(l);
  }
  return out;
}

export function permute(a: Nd, dims: number[]): Nd {
  const shape = dims.map((d) => a.shape[d]!);
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    const src = new Array<number>(a.shape.length);
    dims.forEach((d, k) => {
      src[d] = idx[k]!;
    });
    out.data[i] = a.data[ravel(src, a.shape)]!;
  }
  return out;
}

export function slice(a: Nd, ranges: [number, number][]): Nd {
  const shape = ranges.map(([s, e]) => e - s);
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape).map((v, d) => v + ranges[d]![0]);
    out.data[i] = a.data[ravel(idx, a.shape)]!;
  }
  return out;
}

export function pad(a: Nd, widths: [number, number][], value: number): Nd {
  const shape = a.shape.map((d, i) => d + (widths[i]?.[0] ?? 0) + (widths[i]?.[1] ?? 0));
  const out = nd(shape);
  out.data.fill(value);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape).map((v, d) => v + (widths[d]?.[0] ?? 0));
    out.data[ravel(idx, shape)] = a.data[i]!;
  }
  return out;
}

export function concat(list: Nd[], axis: number): Nd {
  const shape = [...list[0]!.shape];
  shape[axis] = list.reduce((s, x) => s + x.shape[axis]!, 0);
  const out = nd(shape);
  let start = 0;
  for (const x of list) {
    for (let i = 0; i < x.data.length; i++) {
      const idx = unravel(i, x.shape);
      idx[axis] = idx[axis]! + start;
      out.data[ravel(idx, shape)] = x.data[i]!;
    }
    start += x.shape[axis]!;
  }
  return out;
}

export function gatherRows(table: Nd, ids: number[], idsShape: number[]): Nd {
  const [rows, d] = table.shape as [number, number];
  const out = nd([...idsShape, d]);
  ids.forEach((id, i) => {
    for (let j = 0; j < d; j++) {
      out.data[i * d + j] = id >= 0 && id < rows ? table.data[id * d + j]! : 0;
    }
  });
  return out;
}

export function scatterAddRows(ids: number[], rows: Nd, numRows: number): Nd {
  const d = rows.shape[rows.shape.length - 1]!;
  const out = nd([numRows, d]);
  ids.forEach((id, i) => {
    if (id < 0 || id >= numRows) return;
    for (let j = 0; j < d; j++)
      out.data[id * d + j] = out.data[id * d + j]! + rows.data[i * d + j]!;
  });
  return out;
}

export function broadcastTo(a: Nd, shape: number[]): Nd {
  return mapN([a, nd(shape)], (x) => x);
}
