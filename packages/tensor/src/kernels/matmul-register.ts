/**
 * The register-tiled matmul kernel (see {@link MatmulConfig}, `register`): the tiling made for
 * CPU drivers such as lavapipe.
 */
import {
  F16_ROUND_WGSL,
  halfOf,
  type MatmulConfig,
  type MatmulVariant,
  outputDeclarations,
  PARAMS_WGSL,
  range,
  storeWgsl,
  TILE_WGSL,
} from './matmul-wgsl.js';

export type RegisterConfig = Extract<MatmulConfig, { kind: 'register' }>;

/**
 * k-steps per loop iteration of the register kernel: 4 when A rows or transposed B columns are
 * read as vec4 along k; with subgroup-shared transposed vec4 A, enough steps to fill 8 lanes.
 */
export function registerKStep(c: RegisterConfig, v: MatmulVariant): number {
  const base = (!v.transA && v.vecA) || (v.transB && v.vecB) ? 4 : 1;
  if (v.transA && v.vecA && v.subgroupA) return Math.max(base, 8 / (c.rows / 4));
  return base;
}

/** A's part of the inner loop: set-up, loads per step, and the value of row i at step q. */
interface ALoads {
  init: string[];
  loads: string[];
  value: (i: number, q: number) => string;
}

function aLoads(c: RegisterConfig, v: MatmulVariant, KS: number): ALoads {
  const TM = c.rows;
  const rows = range(TM);
  const h = halfOf(v);
  if (v.transA && v.vecA && v.subgroupA) {
    // Stored [k, m]: the G = rows/4 row vec4s of the KS k-steps are spread over the 8 subgroup
    // lanes (entry e = q·G + g lives in lane e % 8 of load e / 8) and broadcast from there.
    const G = TM / 4;
    const loads = range(Math.ceil((G * KS) / 8));
    const init = [`  let m4 = p.m / 4u;`];
    for (const s of loads) {
      init.push(
        `  let e${s} = ${s * 8}u + sl;`,
        `  var rs${s} = (aBase + min(m0 + 4u * (e${s} % ${G}u), p.m - 4u)) / 4u + min(e${s} / ${G}u, ${KS - 1}u) * m4;`,
      );
    }
    const body = loads.map(
      (s) => `    let qs${s} = ${h(`A[rs${s}]`, true)}; rs${s} += ${KS}u * m4;`,
    );
    for (const q of range(KS)) {
      for (const g of range(G)) {
        const e = q * G + g;
        body.push(`    let qa${g}_${q} = subgroupBroadcast(qs${Math.floor(e / 8)}, ${e % 8}u);`);
      }
    }
    return { init, loads: body, value: (i, q) => `qa${Math.floor(i / 4)}_${q}[${i % 4}]` };
  }
  if (v.transA && v.vecA) {
    // Stored [k, m] with m % 4 == 0: four adjacent rows are one vec4 at each k.
    const groups = range(Math.ceil(TM / 4));
    const init = groups.map((g) => `  var ra${g} = (aBase + min(m0 + ${4 * g}u, p.m - 4u)) / 4u;`);
    init.push(`  let m4 = p.m / 4u;`);
    const body: string[] = [];
    for (const q of range(KS)) {
      for (const g of groups)
        body.push(`    let qa${g}_${q} = ${h(`A[ra${g}]`, true)}; ra${g} += m4;`);
    }
    // Rows past a clamped group read the wrong lane only for rows ≥ m, which are never stored.
    return { init, loads: body, value: (i, q) => `qa${Math.floor(i / 4)}_${q}[${i % 4}]` };
  }
  if (v.vecA && v.subgroupA) {
    const groups = range(Math.ceil(TM / 8));
    const init = groups.map(
      (g) => `  var ra${g} = (aBase + min(m0 + ${8 * g}u + sl, p.m - 1u) * p.k) / 4u;`,
    );
    const body = groups.map((g) => `    let qs${g} = ${h(`A[ra${g}]`, true)}; ra${g} += 1u;`);
    body.push(
      ...rows.map((i) => `    let qa${i} = subgroupBroadcast(qs${Math.floor(i / 8)}, ${i % 8}u);`),
    );
    return { init, loads: body, value: (i, q) => `qa${i}[${q}]` };
  }
  if (v.vecA) {
    // Stored [m, k] with k % 4 == 0: one vec4 holds four consecutive k of a row.
    const init = rows.map((i) => `  var ra${i} = (aBase + min(m0 + ${i}u, p.m - 1u) * p.k) / 4u;`);
    const body = rows.map((i) => `    let qa${i} = ${h(`A[ra${i}]`, true)}; ra${i} += 1u;`);
    return { init, loads: body, value: (i, q) => `qa${i}[${q}]` };
  }
  // Scalar A (k, or m when transposed, is not a multiple of 4).
  const step = v.transA ? 'p.m' : '1u';
  const rowStride = v.transA ? '' : ' * p.k';
  if (v.subgroupA) {
    // Lane r of each group of 8 loads row r of the group; the rows are broadcast from there.
    const groups = range(Math.ceil(TM / 8));
    const init = groups.map(
      (g) => `  var ra${g} = aBase + min(m0 + ${8 * g}u + sl, p.m - 1u)${rowStride};`,
    );
    const body: string[] = [];
    for (const q of range(KS)) {
      for (const g of groups)
        body.push(`    let qs${g}_${q} = ${h(`A[ra${g}]`, false)}; ra${g} += ${step};`);
      for (const i of rows)
        body.push(
          `    let sa${i}_${q} = subgroupBroadcast(qs${Math.floor(i / 8)}_${q}, ${i % 8}u);`,
        );
    }
    return { init, loads: body, value: (i, q) => `sa${i}_${q}` };
  }
  const init = rows.map((i) => `  var ra${i} = aBase + min(m0 + ${i}u, p.m - 1u)${rowStride};`);
  const body: string[] = [];
  for (const q of range(KS)) {
    for (const i of rows)
      body.push(`    let sa${i}_${q} = ${h(`A[ra${i}]`, false)}; ra${i} += ${step};`);
  }
  return { init, loads: body, value: (i, q) => `sa${i}_${q}` };
}

/** B's part of the inner loop; `value(j, q)` is the vec4 of columns col_j..col_j+3 at k + q. */
function bLoads(c: RegisterConfig, v: MatmulVariant, KS: number): ALoads {
  const cols = range(c.cols);
  const lanes = range(4);
  const h = halfOf(v);
  const init: string[] = [];
  const body: string[] = [];
  if (!v.transB) {
    if (v.vecB) {
      init.push(`  let n4 = p.n / 4u;`, `  var rb = bBase / 4u;`);
      init.push(...cols.map((j) => `  let cb${j} = min(col${j}, p.n - 4u) / 4u;`));
      for (const q of range(KS)) {
        for (const j of cols) body.push(`    let b${j}_${q} = ${h(`B[rb + cb${j}]`, true)};`);
        body.push(`    rb += n4;`);
      }
    } else {
      init.push(`  var rb = bBase;`);
      for (const q of range(KS)) {
        for (const j of cols) {
          body.push(
            `    let b${j}_${q} = ${h(`vec4f(${lanes.map((l) => `B[rb + min(col${j} + ${l}u, nm1)]`).join(', ')})`, true)};`,
          );
        }
        body.push(`    rb += p.n;`);
      }
    }
    return { init, loads: body, value: (j, q) => `b${j}_${q}` };
  }
  // Stored [n, k]: column c is contiguous along k.
  for (const j of cols) {
    for (const l of lanes) {
      init.push(
        v.vecB
          ? `  var rb${j}_${l} = (bBase + min(col${j} + ${l}u, nm1) * p.k) / 4u;`
          : `  var rb${j}_${l} = bBase + min(col${j} + ${l}u, nm1) * p.k;`,
      );
    }
  }
  if (v.vecB) {
    // One vec4 per column covers 4 k of the step.
    for (const hh of range(KS / 4)) {
      for (const j of cols) {
        for (const l of lanes)
          body.push(`    let vb${j}_${l}_${hh} = ${h(`B[rb${j}_${l}]`, true)}; rb${j}_${l} += 1u;`);
      }
    }
    return {
      init,
      loads: body,
      value: (j, q) =>
        `vec4f(${lanes.map((l) => `vb${j}_${l}_${Math.floor(q / 4)}[${q % 4}]`).join(', ')})`,
    };
  }
  for (const q of range(KS)) {
    for (const j of cols) {
      body.push(
        `    let b${j}_${q} = ${h(`vec4f(${lanes.map((l) => `B[rb${j}_${l} + ${q}u]`).join(', ')})`, true)};`,
      );
    }
  }
  for (const j of cols) for (const l of lanes) body.push(`    rb${j}_${l} += ${KS}u;`);
  return { init, loads: body, value: (j, q) => `b${j}_${q}` };
}

/** WGSL of the register-tiled kernel for `c` and `v`. */
export function registerSource(c: RegisterConfig, v: MatmulVariant): string {
  const { threads: WG, rows: TM, cols: TC } = c;
  const rows = range(TM);
  const cols = range(TC);
  const lanes = range(4);
  const KS = registerKStep(c, v);
  const L: string[] = [];
  const h = halfOf(v);
  if (v.subgroupA) L.push('enable subgroups;');
  if (v.half) L.push(F16_ROUND_WGSL);
  L.push(`@group(0) @binding(0) var<storage, read> A: array<${v.vecA ? 'vec4f' : 'f32'}>;`);
  L.push(`@group(0) @binding(1) var<storage, read> B: array<${v.vecB ? 'vec4f' : 'f32'}>;`);
  L.push(outputDeclarations(v, v.vecOut));
  L.push(PARAMS_WGSL);
  L.push(`@compute @workgroup_size(${WG})`);
  L.push(
    `fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32${v.subgroupA ? ', @builtin(subgroup_invocation_id) sgid: u32' : ''}) {`,
  );
  L.push(TILE_WGSL);
  L.push(`  let m0 = tm * ${TM}u;`);
  if (v.subgroupA) L.push(`  let sl = sgid % 8u;`);
  L.push(`  let nm1 = p.n - 1u;`);
  // Column group j of this thread covers output columns col_j .. col_j + 3.
  for (const j of cols) L.push(`  let col${j} = (tn * ${WG * TC}u + lid + ${j * WG}u) * 4u;`);
  for (const i of rows) for (const j of cols) L.push(`  var acc${i}_${j} = vec4f(0.0);`);

  const a = aLoads(c, v, KS);
  const b = bLoads(c, v, KS);
  const body: string[] = [...b.loads, ...a.loads];
  for (const q of range(KS)) {
    for (const i of rows) {
      for (const j of cols) {
        body.push(
          `    acc${i}_${j} = fma(vec4f(${a.value(i, q)}), ${b.value(j, q)}, acc${i}_${j});`,
        );
      }
    }
  }
  L.push(...a.init, ...b.init);
  L.push(`  var kk = 0u;`);
  const U = KS === 1 ? (c.unroll ?? 1) : 1;
  if (U > 1) {
    L.push(`  for (; kk + ${U}u <= p.k; kk += ${U}u) {`);
    for (let u = 0; u < U; u++) L.push(`   {`, ...body, `   }`);
    L.push(`  }`);
  }
  L.push(`  for (; kk < p.k; kk += ${KS}u) {`, ...body, `  }`);

  // Store the rows and columns that exist.
  for (const i of rows) {
    L.push(`  if (m0 + ${i}u < p.m) {`);
    if (v.transOut) {
      // Kernel row i is output column m0 + i; kernel column c is output row c.
      L.push(`    let row = m0 + ${i}u;`);
      for (const j of cols) {
        for (const l of lanes) {
          L.push(
            `    if (col${j} + ${l}u < p.n) { ${storeWgsl(v, false, `cBase + (col${j} + ${l}u) * p.m + row`, h(`acc${i}_${j}[${l}]`, false), 'row')} }`,
          );
        }
      }
    } else {
      L.push(`    let rowOut = cBase + (m0 + ${i}u) * p.n;`);
      for (const j of cols) {
        if (v.vecOut) {
          L.push(
            `    if (col${j} < p.n) { ${storeWgsl(v, true, `(rowOut + col${j}) / 4u`, h(`acc${i}_${j}`, true), `col${j} / 4u`)} }`,
          );
        } else {
          for (const l of lanes) {
            L.push(
              `    if (col${j} + ${l}u < p.n) { ${storeWgsl(v, false, `rowOut + col${j} + ${l}u`, h(`acc${i}_${j}[${l}]`, false), `col${j} + ${l}u`)} }`,
            );
          }
        }
      }
    }
    L.push(`  }`);
  }
  L.push(`}`);
  return L.join('\n');
}
