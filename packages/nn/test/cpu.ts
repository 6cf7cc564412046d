/** Plain f64 CPU references of the layers, written from spec §3 independently of the GPU code. */

export function linear(
  x: Float64Array,
  rows: number,
  inF: number,
  w: Float64Array,
  outF: number,
): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < outF; o++) {
      let s = 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i]! * w[o * inF + i]!;
      y[r * outF + o] = s;
    }
  return y;
}

export function rmsNorm(x: Float64Array, dim: number, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let ms = 0;
    for (let i = 0; i < dim; i++) ms += x[r * dim + i]! ** 2;
    const scale = 1 / Math.sqrt(ms / dim + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i]! * scale;
  }
  return y;
}

const silu = (v: number) => v / (1 + Math.exp(-v));

export function swiglu(
  x: Float64Array,
  rows: number,
  h: number,
  gateUp: Float64Array,
  down: Float64Array,
  inter: number,
): Float64Array {
  const gu = linear(x, rows, h, gateUp, 2 * inter);
  const mid = new Float64Array(rows * inter);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < inter; i++)
      mid[r * inter + i] = silu(gu[r * 2 * inter + i]!) * gu[r * 2 * inter + inter + i]!;
  return linear(mid, rows, inter, down, h);
}

/** Rotary tables per spec §3 for positions 0..L-1. */
export function rotaryTables(
  L: number,
  d: number,
  theta: number,
): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(L * d);
  const sin = new Float64Array(L * d);
  for (let p = 0; p < L; p++)
    for (let j = 0; j < d; j++) {
      const i = j % (d / 2);
      const angle = p * theta ** (-(2 * i) / d);
      cos[p * d + j] = Math.cos(angle);
      sin[p * d + j] = Math.sin(angle);
    }
  return { cos, sin };
}

/** Non-causal attention of spec §3 on x [B, L, D] with qkv [3HD, D], o [D, HD], optional rope. */
export function attention(
  x: Float64Array,
  B: number,
  L: number,
  D: number,
  H: number,
  qkvW: Float64Array,
  oW: Float64Array,
  rope: { cos: Float64Array; sin: Float64Array } | null,
): Float64Array {
  // Heads of floor(D / H) features span A = H·d ≤ D (the reference's rule).
  const d = Math.floor(D / H);
  const A = H * d;
  const qkv = linear(x, B * L, D, qkvW, 3 * A);
  const at = (b: number, l: number, head: number, j: number) =>
    qkv[(b * L + l) * 3 * A + head * d + j]!;
  const rot = (b: number, l: number, head: number): Float64Array => {
    const v = Float64Array.from({ length: d }, (_, j) => at(b, l, head, j));
    if (!rope) return v;
    const out = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const rh = j < d / 2 ? -v[j + d / 2]! : v[j - d / 2]!;
      out[j] = v[j]! * rope.cos[l * d + j]! + rh * rope.sin[l * d + j]!;
    }
    return out;
  };
  const heads = new Float64Array(B * L * A);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const q = Array.from({ length: L }, (_, l) => rot(b, l, h));
      const k = Array.from({ length: L }, (_, l) => rot(b, l, H + h));
      for (let i = 0; i < L; i++) {
        const s = k.map((kj) => kj.reduce((acc, v, j) => acc + v * q[i]![j]!, 0) / Math.sqrt(d));
        const m = Math.max(...s);
        const e = s.map((v) => Math.exp(v - m));
        const z = e.reduce((a, v) => a + v, 0);
        for (let j = 0; j < d; j++) {
          let acc = 0;
          for (let l = 0; l < L; l++) acc += (e[l]! / z) * at(b, l, 2 * H + h, j);
          heads[(b * L + i) * A + h * d + j] = acc;
        }
      }
    }
  return linear(heads, B * L, A, oW, D);
}
