/**
 * Fused non-causal multi-head attention over a packed `[B, L, 3H, d]` projection (queries,
 * keys and values are heads `0..H-1`, `H..2H-1`, `2H..3H-1`), flash style: no `[L, L]` score
 * matrix is ever stored.
 *
 * - Forward: a workgroup owns a tile of query rows of one (batch, head); each thread keeps its
 *   rows of `q` and of the output accumulator in registers, while the workgroup stages tiles of
 *   keys and values in workgroup memory and folds them in with an online softmax (running max
 *   and sum). It writes the output `[B, L, H, d]` and the per-row logsumexp.
 * - Backward, two kernels that recompute probabilities from `q`, `k` and the logsumexp: one owns
 *   query rows (first `Δ = rowsum(dO ∘ O)` of its rows, then `dq`), the next owns key rows and
 *   stages query tiles (`dk`, `dv`). Together they write every element of the packed gradient.
 * - Rotary embedding (rotate-half, tables `[≥ L, d]`) is applied to q and k as they are loaded,
 *   and its transpose to dq and dk as they are stored.
 *
 * The head dim is compiled in: register rows are arrays of vec4 chunks indexed only by
 * constants (the hot loops over the head dim are unrolled as the WGSL is generated), so they
 * stay in registers. CPU drivers such as lavapipe execute every memory access at a computed
 * address lane by lane, with a bounds check each, which dominates both their run time and
 * their compile time (tens of seconds per kernel when the head-dim loops were unrolled). So a
 * thread reads and writes its own rows in loops with a single access site that shift the
 * chunks through the register array, and with subgroups a staged row is loaded once per 8
 * lanes and shared with `subgroupBroadcast`.
 */
import type { Binding } from '../backend/backend.js';
import type { Device } from '../device/device.js';
import { launch, params, words } from './launch.js';
import { subgroupsOf8 } from './matmul.js';
import { memoSource } from './memo.js';

/** How the attention kernels tile their work. */
export interface AttentionConfig {
  /** Threads per workgroup. */
  threads: number;
  /** Rows (queries, or keys in the dk/dv kernel) each thread owns; staged loads are shared by them. */
  rows: number;
  /** Rows staged in workgroup memory per step (keys, or queries in the dk/dv kernel); capped by the device limit. */
  tile: number;
  /**
   * Each of 8 subgroup lanes loads every 8th chunk of a staged row and shares it with
   * `subgroupBroadcast`, instead of every lane loading the whole row. Used only where the
   * device has subgroups of at least 8 lanes.
   */
  subgroups?: boolean;
}

/** Tuned on Mesa lavapipe (8-wide SIMD per CPU thread; pays per lane for each load). */
export const CPU_ATTENTION_CONFIG: AttentionConfig = {
  threads: 32,
  rows: 2,
  tile: 32,
  subgroups: true,
};
/** A conventional GPU configuration: one row per thread, 64 rows per workgroup. */
export const GPU_ATTENTION_CONFIG: AttentionConfig = { threads: 64, rows: 1, tile: 32 };

/** The configuration the attention kernels use on `device` unless told otherwise. */
export function defaultAttentionConfig(device: Device): AttentionConfig {
  return device.adapterInfo.isFallbackAdapter ||
    /llvmpipe|lavapipe|swiftshader/i.test(
      `${device.adapterInfo.description} ${device.adapterInfo.device}`,
    )
    ? CPU_ATTENTION_CONFIG
    : GPU_ATTENTION_CONFIG;
}

/** What a kernel is specialised on; shapes and the scale are parameters. */
export interface AttentionVariant {
  headDim: number;
  rotary: boolean;
  /** Staged rows shared through `subgroupBroadcast` (see {@link AttentionConfig.subgroups}). */
  subgroups: boolean;
}

/** Bytes of workgroup memory per staged row: two rows of vec4 chunks plus two f32 statistics. */
function bytesPerStagedRow(headDim: number): number {
  return 2 * Math.ceil(headDim / 4) * 16 + 8;
}

/** The staged tile for `config` within the device's workgroup storage. */
export function attentionTile(
  config: AttentionConfig,
  headDim: number,
  maxWorkgroupStorage: number,
): number {
  const tile = Math.min(config.tile, Math.floor(maxWorkgroupStorage / bytesPerStagedRow(headDim)));
  if (tile < 1) {
    throw new RangeError(
      `attention: head dim ${headDim} needs more workgroup memory than the device's ${maxWorkgroupStorage} bytes`,
    );
  }
  return tile;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Everything the generators share about one kernel. */
interface Gen {
  c: AttentionConfig;
  v: AttentionVariant;
  tile: number;
  /** Chunks per row: the head dim rounded up to whole vec4s (padding reads as 0). */
  d4: number;
  /**
   * Rows are whole, aligned vec4s in memory, and with rotary so are the partner halves: bind
   * the data as `array<vec4f>`. Otherwise bind `array<f32>` and gather components.
   */
  vec: boolean;
  R: number[];
  C: number[];
}

function gen(c: AttentionConfig, v: AttentionVariant, tile: number): Gen {
  const d = v.headDim;
  return {
    c,
    v,
    tile,
    d4: Math.ceil(d / 4),
    vec: d % 4 === 0 && (!v.rotary || d % 8 === 0),
    R: range(c.rows),
    C: range(Math.ceil(d / 4)),
  };
}

const ENTRY =
  '@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32';

/** Parameters and the (batch, head) of this workgroup. */
const PROLOGUE = /* wgsl */ `
  let B = p[0];
  let L = p[1];
  let H = p[2];
  let scale = bitcast<f32>(p[3]);
  let bh = wid.y + nwg.y * wid.z;
  if (bh >= B * H) { return; } // uniform: the whole workgroup leaves
  let b = bh / H;
  let h = bh - b * H;
  let stride = 3u * H * HD; // between positions of qkv
  let seq = b * L * stride; // qkv of (b, 0, 0, 0)
  let qHead = h * HD;
  let kHead = (H + h) * HD;
  let vHead = (2u * H + h) * HD;
  let BHL = B * H * L;
  // D4 and HD again, but opaque to the compiler: loops over them must not be unrolled, since
  // their point is a single site for each memory access.
  let d4 = p[4];
  let hd = p[5];`;

/** A chunk reader `name(off, c4)` of rows in `buf` starting at element `off`. */
function reader(g: Gen, name: string, buf: string): string {
  if (g.vec) return `fn ${name}(off: u32, c4: u32) -> vec4f { return ${buf}[off / 4u + c4]; }`;
  return `fn ${name}(off: u32, c4: u32) -> vec4f {
  var x: vec4f;
  for (var k = 0u; k < 4u; k++) {
    let cc = 4u * c4 + k;
    x[k] = select(0.0, ${buf}[off + min(cc, HD - 1u)], cc < HD);
  }
  return x;
}`;
}

/**
 * Module-scope declarations: constants, the parameter, qkv and rotary bindings, and the
 * readers `plain(off, c4)` and `rotated(off, pos, c4)` (after the rotary embedding of position
 * `pos`: `x·cos + rotate_half(x)·sin`, `rotate_half(x) = concat(-x[HALF:], x[:HALF])`).
 */
function header(g: Gen): string[] {
  const { c, v } = g;
  const el = g.vec ? 'vec4f' : 'f32';
  const lines = [
    ...(v.subgroups ? ['enable subgroups;'] : []),
    `const T = ${c.threads}u;`,
    `const BR = ${c.threads * c.rows}u; // rows per workgroup`,
    `const BT = ${g.tile}u; // rows per staged tile`,
    `const HD = ${v.headDim}u;`,
    `const D4 = ${g.d4}u;`,
    '@group(0) @binding(0) var<storage, read> p: array<u32>; // [B, L, H, bits of scale, D4, HD]',
    `@group(0) @binding(1) var<storage, read> qkv: array<${el}>;`,
    reader(g, 'plain', 'qkv'),
  ];
  if (!v.rotary) {
    lines.push('fn rotated(off: u32, pos: u32, c4: u32) -> vec4f { return plain(off, c4); }');
    return lines;
  }
  lines.push(
    `const HALF = ${v.headDim / 2}u;`,
    `@group(0) @binding(2) var<storage, read> cosT: array<${el}>;`,
    `@group(0) @binding(3) var<storage, read> sinT: array<${el}>;`,
  );
  if (g.vec) {
    lines.push(`const H4 = ${g.d4 / 2}u;`);
    lines.push(`fn rotated(off: u32, pos: u32, c4: u32) -> vec4f {
  let lo = c4 < H4;
  let partner = qkv[off / 4u + select(c4 - H4, c4 + H4, lo)];
  let t = pos * D4 + c4;
  return qkv[off / 4u + c4] * cosT[t] + select(partner, -partner, lo) * sinT[t];
}`);
  } else {
    lines.push(`fn rotated(off: u32, pos: u32, c4: u32) -> vec4f {
  var x: vec4f;
  for (var k = 0u; k < 4u; k++) {
    let cc = 4u * c4 + k;
    if (cc < HD) {
      let lo = cc < HALF;
      let partner = qkv[off + select(cc - HALF, cc + HALF, lo)];
      let t = pos * HD + cc;
      x[k] = qkv[off + cc] * cosT[t] + select(partner, -partner, lo) * sinT[t];
    }
  }
  return x;
}`);
  }
  return lines;
}

/** Binding index after qkv and the rotary tables. */
const firstOwn = (g: Gen) => (g.v.rotary ? 4 : 2);

/** Declarations of the kernel's own bindings, numbered after qkv and the tables. */
function bindings(g: Gen, list: [name: string, access: 'read' | 'read_write', scalar?: boolean][]) {
  return list.map(
    ([name, access, scalar], i) =>
      `@group(0) @binding(${firstOwn(g) + i}) var<storage, ${access}> ${name}: array<${g.vec && !scalar ? 'vec4f' : 'f32'}>;`,
  );
}

const ENTRY_POINT = (g: Gen) =>
  `fn main(${ENTRY}${g.v.subgroups ? ', @builtin(subgroup_invocation_id) sgid: u32' : ''}) {`;

/**
 * A loop over the chunks of a row in which `loads(c4)` gives one value per register array:
 * each step shifts the arrays down by one chunk and appends the new one, so after D4 steps
 * chunk k sits at index k, and every access in the loop has one site.
 */
function shiftIn(g: Gen, arrays: string[], loads: (a: string) => string, extra = ''): string {
  const lines = ['  for (var c4 = 0u; c4 < d4; c4++) {'];
  for (const a of arrays) {
    lines.push(`    let in_${a} = ${loads(a)};`);
    for (const k of range(g.d4 - 1)) lines.push(`    ${a}[${k}] = ${a}[${k + 1}];`);
    lines.push(`    ${a}[${g.d4 - 1}] = in_${a};`);
  }
  if (extra) lines.push(extra);
  lines.push('  }');
  return lines.join('\n');
}

/**
 * Stores register row `a` (vec4 chunks) to `buf` from element `dst`, times `factor`. With
 * `rotary` (pos: the row's position), `a` is a gradient w.r.t. rotated values and the transpose
 * of the rotation is applied: with y = x·cos + rotate_half(x)·sin, dx = dy·cos +
 * rotate_halfᵀ(dy·sin) and rotate_halfᵀ = -rotate_half. The array is rotated one chunk (or
 * component) per step, so the current chunk is always at index 0 and its rotary partner, half
 * a row away, at the middle.
 */
function storeRow(
  g: Gen,
  buf: string,
  dst: string,
  a: string,
  opts: { rotary?: string; factor?: string } = {},
): string {
  const f = opts.factor ? `${opts.factor} * ` : '';
  if (g.vec) {
    const rotate = [
      `    let first = ${a}[0];`,
      ...range(g.d4 - 1).map((k) => `    ${a}[${k}] = ${a}[${k + 1}];`),
      `    ${a}[${g.d4 - 1}] = first;`,
    ];
    const value = opts.rotary
      ? `${a}[0] * cosT[t + c4] + select(-${a}[H4], ${a}[H4], c4 < H4) * sinT[t + select(c4 - H4, c4 + H4, c4 < H4)]`
      : `${a}[0]`;
    return [
      ...(opts.rotary ? [`  let t = ${opts.rotary} * D4;`] : []),
      '  for (var c4 = 0u; c4 < d4; c4++) {',
      `    ${buf}[(${dst}) / 4u + c4] = ${f}(${value});`,
      ...rotate,
      '  }',
    ].join('\n');
  }
  const d = g.v.headDim;
  const s = `${a}_s`;
  const value = opts.rotary
    ? `${s}[0] * cosT[t + cc] + select(-${s}[HALF], ${s}[HALF], cc < HALF) * sinT[t + select(cc - HALF, cc + HALF, cc < HALF)]`
    : `${s}[0]`;
  return [
    `  var ${s}: array<f32, HD>;`,
    ...range(d).map((k) => `  ${s}[${k}] = ${a}[${k >> 2}][${k & 3}];`),
    ...(opts.rotary ? [`  let t = ${opts.rotary} * HD;`] : []),
    '  for (var cc = 0u; cc < hd; cc++) {',
    `    ${buf}[${dst} + cc] = ${f}(${value});`,
    `    let first = ${s}[0];`,
    ...range(d - 1).map((k) => `    ${s}[${k}] = ${s}[${k + 1}];`),
    `    ${s}[${d - 1}] = first;`,
    '  }',
  ].join('\n');
}

/** `let name{c} = chunk c of staged row idx of tile;` for every chunk. */
function stagedChunks(g: Gen, tile: string, idx: string, name: string): string[] {
  if (!g.v.subgroups) return g.C.map((k) => `      let ${name}${k} = ${tile}[${idx}][${k}];`);
  // Lane sl holds chunks sl, sl + 8, …; the clamp only repeats the last chunk on idle lanes.
  const loads = range(Math.ceil(g.d4 / 8)).map(
    (s) => `      let ${name}x${s} = ${tile}[${idx}][min(${8 * s}u + sl, D4 - 1u)];`,
  );
  return [
    ...loads,
    ...g.C.map((k) => `      let ${name}${k} = subgroupBroadcast(${name}x${k >> 3}, ${k & 7}u);`),
  ];
}

/** `Σ_c dot(a[c], b{c})` for register row `a` and staged chunks `b0, b1, …`. */
const dotRow = (g: Gen, a: string, b: string) =>
  g.C.map((k) => `dot(${a}[${k}], ${b}${k})`).join(' + ');

/**
 * The cooperative loop staging rows `start .. start + n` of a tile, one chunk per step; `body`
 * stores chunk `c4` of tile row `idx` (sequence position `pos`, qkv row at element `row`).
 */
function stageLoop(body: string[]): string {
  return [
    '    let n = min(BT, L - start);',
    '    workgroupBarrier(); // the previous tile is no longer read',
    '    for (var e = lid; e < n * D4; e += T) {',
    '      let idx = e / D4;',
    '      let c4 = e - idx * D4;',
    '      let pos = start + idx;',
    '      let row = seq + pos * stride;',
    ...body.map((l) => `      ${l}`),
    '    }',
  ].join('\n');
}

/**
 * Forward. Bindings: p, qkv, [cos, sin], out `[B, L, H, d]`, lse `[B, H, L]`.
 * Grid: (query tiles, B·H folded over y and z).
 */
function attentionForwardSourceBuild(
  c: AttentionConfig,
  v: AttentionVariant,
  tile: number,
): string {
  const g = gen(c, v, tile);
  const { R, C } = g;
  const L = header(g);
  L.push(
    ...bindings(g, [
      ['out', 'read_write'],
      ['lse', 'read_write', true],
    ]),
    'var<workgroup> kt: array<array<vec4f, D4>, BT>;',
    'var<workgroup> vt: array<array<vec4f, D4>, BT>;',
    `@compute @workgroup_size(${c.threads})`,
    ENTRY_POINT(g),
    PROLOGUE,
  );
  if (v.subgroups) L.push('  let sl = sgid % 8u;');
  for (const r of R) {
    // Spare rows of the last tile compute on a clamped row and store nothing.
    L.push(
      `  let i${r} = wid.x * BR + ${r}u * T + lid;`,
      `  let r${r} = min(i${r}, L - 1u);`,
      `  var q${r}: array<vec4f, D4>;`,
      `  var o${r}: array<vec4f, D4>;`,
      `  var m${r} = -0x1.fffffep+127f;`,
      `  var l${r} = 0.0;`,
      shiftIn(g, [`q${r}`], () => `scale * rotated(seq + r${r} * stride + qHead, r${r}, c4)`),
    );
  }
  L.push(
    '  for (var start = 0u; start < L; start += BT) {',
    stageLoop([
      'kt[idx][c4] = rotated(row + kHead, pos, c4);',
      'vt[idx][c4] = plain(row + vHead, c4);',
    ]),
    '    workgroupBarrier();',
    '    for (var j = 0u; j < n; j++) {',
    ...stagedChunks(g, 'kt', 'j', 'kv'),
  );
  for (const r of R) {
    // Online softmax, rescaling the accumulator only when the running max grows.
    L.push(
      `      let s${r} = ${dotRow(g, `q${r}`, 'kv')};`,
      `      if (s${r} > m${r}) {`,
      `        let a = exp(m${r} - s${r});`,
      `        l${r} *= a;`,
      ...C.map((k) => `        o${r}[${k}] *= a;`),
      `        m${r} = s${r};`,
      '      }',
      `      let e${r} = exp(s${r} - m${r});`,
      `      l${r} += e${r};`,
    );
  }
  L.push(...stagedChunks(g, 'vt', 'j', 'vv'));
  for (const r of R) L.push(...C.map((k) => `      o${r}[${k}] += e${r} * vv${k};`));
  L.push('    }', '  }');
  for (const r of R) {
    L.push(
      `  if (i${r} < L) {`,
      `    lse[bh * L + i${r}] = m${r} + log(l${r});`,
      `    let inv = 1.0 / l${r};`,
      storeRow(g, 'out', `((b * L + i${r}) * H + h) * HD`, `o${r}`, { factor: 'inv' }),
      '  }',
    );
  }
  L.push('}');
  return L.join('\n');
}

/**
 * Backward, query side: `Δ = rowsum(dO ∘ O)` of this workgroup's rows into `stats[1]`, then
 * `dq = scale · Σ_j p_ij (dp_ij − Δ_i) k_j` with `p = exp(s − lse)`, `dp = dO · v`.
 * Bindings: p, qkv, [cos, sin], out, dOut, stats `[2, B, H, L]` (lse, Δ), dqkv.
 */
function attentionGradQuerySourceBuild(
  c: AttentionConfig,
  v: AttentionVariant,
  tile: number,
): string {
  const g = gen(c, v, tile);
  const { R, C } = g;
  const L = header(g);
  L.push(
    ...bindings(g, [
      ['out', 'read'],
      ['dOut', 'read'],
      ['stats', 'read_write', true],
      ['dqkv', 'read_write'],
    ]),
    reader(g, 'outRow', 'out'),
    reader(g, 'gradRow', 'dOut'),
    'var<workgroup> kt: array<array<vec4f, D4>, BT>;',
    'var<workgroup> vt: array<array<vec4f, D4>, BT>;',
    `@compute @workgroup_size(${c.threads})`,
    ENTRY_POINT(g),
    PROLOGUE,
  );
  if (v.subgroups) L.push('  let sl = sgid % 8u;');
  for (const r of R) {
    L.push(
      `  let i${r} = wid.x * BR + ${r}u * T + lid;`,
      `  let r${r} = min(i${r}, L - 1u);`,
      `  let at${r} = ((b * L + r${r}) * H + h) * HD;`,
      `  var q${r}: array<vec4f, D4>;`,
      `  var g${r}: array<vec4f, D4>;`,
      `  var dq${r}: array<vec4f, D4>;`,
      `  var delta${r} = 0.0;`,
      shiftIn(
        g,
        [`q${r}`, `g${r}`],
        (a) =>
          a.startsWith('q')
            ? `scale * rotated(seq + r${r} * stride + qHead, r${r}, c4)`
            : `gradRow(at${r}, c4)`,
        `    delta${r} += dot(in_g${r}, outRow(at${r}, c4));`,
      ),
      `  let lse${r} = stats[bh * L + r${r}];`,
      `  if (i${r} < L) { stats[BHL + bh * L + i${r}] = delta${r}; }`,
    );
  }
  L.push(
    '  for (var start = 0u; start < L; start += BT) {',
    stageLoop([
      'kt[idx][c4] = rotated(row + kHead, pos, c4);',
      'vt[idx][c4] = plain(row + vHead, c4);',
    ]),
    '    workgroupBarrier();',
    '    for (var j = 0u; j < n; j++) {',
    ...stagedChunks(g, 'kt', 'j', 'kv'),
    ...stagedChunks(g, 'vt', 'j', 'vv'),
  );
  for (const r of R) {
    L.push(
      `      let s${r} = ${dotRow(g, `q${r}`, 'kv')};`,
      `      let dp${r} = ${dotRow(g, `g${r}`, 'vv')};`,
      `      let ds${r} = exp(s${r} - lse${r}) * (dp${r} - delta${r});`,
      ...C.map((k) => `      dq${r}[${k}] += ds${r} * kv${k};`),
    );
  }
  L.push('    }', '  }');
  for (const r of R) {
    L.push(
      `  if (i${r} < L) {`,
      storeRow(g, 'dqkv', `seq + i${r} * stride + qHead`, `dq${r}`, {
        rotary: v.rotary ? `i${r}` : undefined,
        factor: 'scale',
      }),
      '  }',
    );
  }
  L.push('}');
  return L.join('\n');
}

/**
 * Backward, key side: for this workgroup's key rows, `dv = Σ_i p_ij dO_i` and
 * `dk = scale · Σ_i p_ij (dp_ij − Δ_i) q_i`, staging tiles of queries, dO, lse and Δ.
 * Bindings: p, qkv, [cos, sin], dOut, stats, dqkv.
 */
function attentionGradKeyValueSourceBuild(
  c: AttentionConfig,
  v: AttentionVariant,
  tile: number,
): string {
  const g = gen(c, v, tile);
  const { R, C } = g;
  const L = header(g);
  L.push(
    ...bindings(g, [
      ['dOut', 'read'],
      ['stats', 'read', true],
      ['dqkv', 'read_write'],
    ]),
    reader(g, 'gradRow', 'dOut'),
    'var<workgroup> qt: array<array<vec4f, D4>, BT>;',
    'var<workgroup> gt: array<array<vec4f, D4>, BT>;',
    'var<workgroup> lseT: array<f32, BT>;',
    'var<workgroup> deltaT: array<f32, BT>;',
    `@compute @workgroup_size(${c.threads})`,
    ENTRY_POINT(g),
    PROLOGUE,
  );
  if (v.subgroups) L.push('  let sl = sgid % 8u;');
  for (const r of R) {
    L.push(
      `  let j${r} = wid.x * BR + ${r}u * T + lid;`,
      `  let r${r} = min(j${r}, L - 1u);`,
      `  var k${r}: array<vec4f, D4>;`,
      `  var v${r}: array<vec4f, D4>;`,
      `  var dk${r}: array<vec4f, D4>;`,
      `  var dv${r}: array<vec4f, D4>;`,
      shiftIn(g, [`k${r}`, `v${r}`], (a) =>
        a.startsWith('k')
          ? `rotated(seq + r${r} * stride + kHead, r${r}, c4)`
          : `plain(seq + r${r} * stride + vHead, c4)`,
      ),
    );
  }
  L.push(
    '  for (var start = 0u; start < L; start += BT) {',
    stageLoop([
      '// Scaled here, so that s = q·k and dk = Σ ds·q need no further factor.',
      'qt[idx][c4] = scale * rotated(row + qHead, pos, c4);',
      'gt[idx][c4] = gradRow(((b * L + pos) * H + h) * HD, c4);',
    ]),
    '    for (var e = lid; e < n; e += T) {',
    '      lseT[e] = stats[bh * L + start + e];',
    '      deltaT[e] = stats[BHL + bh * L + start + e];',
    '    }',
    '    workgroupBarrier();',
    '    for (var i = 0u; i < n; i++) {',
    ...stagedChunks(g, 'qt', 'i', 'qv'),
    ...stagedChunks(g, 'gt', 'i', 'gv'),
    '      let li = lseT[i];',
    '      let di = deltaT[i];',
  );
  for (const r of R) {
    L.push(
      `      let p${r} = exp(${dotRow(g, `k${r}`, 'qv')} - li);`,
      `      let ds${r} = p${r} * (${dotRow(g, `v${r}`, 'gv')} - di);`,
      ...C.map((k) => `      dv${r}[${k}] += p${r} * gv${k};`),
      ...C.map((k) => `      dk${r}[${k}] += ds${r} * qv${k};`),
    );
  }
  L.push('    }', '  }');
  for (const r of R) {
    L.push(
      `  if (j${r} < L) {`,
      storeRow(g, 'dqkv', `seq + j${r} * stride + kHead`, `dk${r}`, {
        rotary: v.rotary ? `j${r}` : undefined,
      }),
      storeRow(g, 'dqkv', `seq + j${r} * stride + vHead`, `dv${r}`),
      '  }',
    );
  }
  L.push('}');
  return L.join('\n');
}

/** Buffers and sizes of one attention op; all buffers dense f32. */
export interface AttentionArgs {
  /** `[B, L, 3H, d]`. */
  qkv: GPUBuffer;
  /** Rotary tables `[≥ L, d]`; only the first L rows are read. */
  rotary?: { cos: GPUBuffer; sin: GPUBuffer } | undefined;
  batch: number;
  length: number;
  heads: number;
  headDim: number;
  scale: number;
}

function setup(device: Device, a: AttentionArgs, config?: AttentionConfig) {
  const c = config ?? defaultAttentionConfig(device);
  if (
    !Number.isInteger(c.threads * c.rows) ||
    c.threads < 1 ||
    c.rows < 1 ||
    c.threads > device.limits.maxComputeInvocationsPerWorkgroup
  ) {
    throw new RangeError(`attention: bad config ${JSON.stringify(c)} for this device`);
  }
  const tile = attentionTile(c, a.headDim, device.limits.maxComputeWorkgroupStorageSize);
  const variant: AttentionVariant = {
    headDim: a.headDim,
    rotary: Boolean(a.rotary),
    // Every lane 0..7 of each subgroup must exist and run the staged loops.
    subgroups: Boolean(c.subgroups) && c.threads % 8 === 0 && subgroupsOf8(device),
  };
  const { batch: B, length: L, heads: H, headDim: d } = a;
  const scaleBits = new Uint32Array(Float32Array.of(a.scale).buffer)[0]!;
  const bh = B * H;
  const maxDim = device.limits.maxComputeWorkgroupsPerDimension;
  const tiles = Math.ceil(L / (c.threads * c.rows));
  if (tiles > maxDim) throw new RangeError(`attention: sequence length ${L} is too long`);
  const y = Math.min(bh, maxDim);
  const z = Math.ceil(bh / y);
  if (z > maxDim) throw new RangeError(`attention: ${bh} batch·heads do not fit one dispatch`);
  if (B * L * 3 * H * d >= 2 ** 32) {
    throw new RangeError('attention: qkv must hold fewer than 2^32 elements');
  }
  const head = [
    params(device, [B, L, H, scaleBits, Math.ceil(d / 4), d]),
    words(a.qkv, B * L * 3 * H * d),
    ...(a.rotary ? [words(a.rotary.cos, L * d), words(a.rotary.sin, L * d)] : []),
  ];
  return {
    c,
    tile,
    variant,
    head,
    rows: B * L * H * d,
    stats: B * H * L,
    grid: { workgroups: [tiles, y, z] as [number, number, number] },
  };
}

/** Encodes the forward: `out` `[B, L, H, d]` and the logsumexp into the first `B·H·L` of `stats`. */
export function encodeAttentionForward(
  device: Device,
  a: AttentionArgs & { out: GPUBuffer; stats: GPUBuffer },
  config?: AttentionConfig,
): void {
  if (a.batch * a.length * a.heads * a.headDim === 0) return;
  const s = setup(device, a, config);
  const bindings: Binding[] = [...s.head, words(a.out, s.rows), words(a.stats, s.stats)];
  launch(device, attentionForwardSource(s.c, s.variant, s.tile), 'attention', bindings, s.grid);
}

/**
 * Encodes the backward into `dqkv` `[B, L, 3H, d]` (every element written) from the upstream
 * gradient `dOut`, the forward's `out` and `stats` `[2, B·H·L]` (logsumexp; Δ is written here).
 */
export function encodeAttentionBackward(
  device: Device,
  a: AttentionArgs & { out: GPUBuffer; dOut: GPUBuffer; stats: GPUBuffer; dqkv: GPUBuffer },
  config?: AttentionConfig,
): void {
  if (a.batch * a.length * a.heads * a.headDim === 0) return;
  const s = setup(device, a, config);
  const dqkv = words(a.dqkv, s.rows * 3);
  const stats = words(a.stats, 2 * s.stats);
  launch(
    device,
    attentionGradQuerySource(s.c, s.variant, s.tile),
    'attentionGradQuery',
    [...s.head, words(a.out, s.rows), words(a.dOut, s.rows), stats, dqkv],
    s.grid,
  );
  launch(
    device,
    attentionGradKeyValueSource(s.c, s.variant, s.tile),
    'attentionGradKeyValue',
    [...s.head, words(a.dOut, s.rows), stats, dqkv],
    s.grid,
  );
}

export const attentionForwardSource = memoSource(attentionForwardSourceBuild);

export const attentionGradQuerySource = memoSource(attentionGradQuerySourceBuild);

export const attentionGradKeyValueSource = memoSource(attentionGradKeyValueSourceBuild);
