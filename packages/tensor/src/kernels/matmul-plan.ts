/**
 * Fitting the register tiling to a product's shape. The tuned (or default) tiling is made for
 * big, aligned products; a product with 17 rows or columns wastes most of a 16 × 128 tile, and
 * one whose inner size is 17 cannot read its operands as vec4. The plan picks, per shape, the
 * tile's rows, the column groups per thread and the orientation (the product or its transpose,
 * see `MatmulVariant.transOut`) that issue the fewest load instructions.
 */
import { type RegisterConfig, registerKStep } from './matmul-register.js';
import type { MatmulVariant } from './matmul-wgsl.js';

/**
 * Cost of a vec4 FMA relative to one load instruction: on lavapipe a load runs lane by lane
 * (a vec4 load about as dear as a scalar one), while an 8-lane FMA is one AVX instruction.
 */
const FMA_PER_LOAD = 0.05;

/**
 * Rows a tile may take to cover a short output whole (one tile, no wasted rows): only past
 * the base tile's rows, since every row count is a kernel of its own to compile (seconds on
 * lavapipe; 24 rows with 4-deep k-steps took a minute, measured).
 */
const MAX_EXACT_ROWS = 20;

/**
 * Load instructions per k-step issued by all lanes of a register tiling over an `m × n`
 * output: every lane loads its own B columns (one vec4 or four scalars per column group) and
 * its share of the tile's A rows (all of them, or one per subgroup lane when shared), whether
 * or not its rows and columns exist, so partly empty tiles cost as much as full ones.
 * `Infinity` for a combination measured to spill on lavapipe (scalar A rows over 4-deep
 * k-steps with two column groups: ~3× slower than one group).
 */
export function registerLoads(c: RegisterConfig, v: MatmulVariant, m: number, n: number): number {
  const ks = registerKStep(c, v);
  if (!v.vecA && ks > 1 && c.cols > 1) return Number.POSITIVE_INFINITY;
  const lanes = Math.ceil(m / c.rows) * Math.ceil(n / (c.threads * c.cols * 4)) * c.threads;
  const aRows = v.subgroupA ? Math.ceil(c.rows / 8) : c.rows;
  const aLoads = v.vecA ? aRows / 4 : aRows;
  const bLoads = v.vecB ? c.cols : 4 * c.cols;
  return lanes * (aLoads + bLoads + FMA_PER_LOAD * c.rows * c.cols);
}

/**
 * The register tiling and orientation with the fewest loads for an `m × n` output, among the
 * base tiling, its tile grown to the output's rows where those are a few more, one column group per
 * thread, and the same for the transposed product. `variantOf` says how each would read its
 * operands; `transOut` forces an orientation. Ties keep the base tiling and the direct product.
 */
export function fitRegisterTile(
  base: RegisterConfig,
  shape: { m: number; n: number },
  variantOf: (config: RegisterConfig, transOut: boolean) => MatmulVariant,
  transOut?: boolean,
): { config: RegisterConfig; transOut: boolean } {
  let best = { config: base, transOut: transOut ?? false, cost: Number.POSITIVE_INFINITY };
  for (const t of transOut === undefined ? [false, true] : [transOut]) {
    const [m, n] = t ? [shape.n, shape.m] : [shape.m, shape.n];
    const rowsChoices = new Set([base.rows]);
    if (m > base.rows && m <= MAX_EXACT_ROWS) rowsChoices.add(m);
    for (const rows of rowsChoices) {
      for (const cols of new Set([base.cols, 1])) {
        const config = rows === base.rows && cols === base.cols ? base : { ...base, rows, cols };
        const cost = registerLoads(config, variantOf(config, t), m, n);
        if (cost < best.cost) best = { config, transOut: t, cost };
      }
    }
  }
  return { config: best.config, transOut: best.transOut };
}
