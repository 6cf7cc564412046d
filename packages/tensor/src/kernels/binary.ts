/**
 * The binary expressions (arithmetic, comparisons, logical ops) in WGSL, in terms of their
 * operands `a` and `b`. They run in generated kernels (`lazy/codegen.ts`), which read broadcast
 * operands through index maps, so no input is ever expanded in memory.
 */

/** Binary expressions in terms of `a` and `b`; comparisons yield `bool`, stored as u32. */
export const BINARY_EXPR = {
  add: 'a + b',
  mul: 'a * b',
  div: 'a / b',
  maximum: 'max(a, b)',
  atan2: 'atan2(a, b)',
  pow: 'pow(a, b)',
  eq: 'a == b',
  ne: 'a != b',
  lt: 'a < b',
  le: 'a <= b',
  gt: 'a > b',
  ge: 'a >= b',
  logicalAnd: '(a != 0u) && (b != 0u)',
  logicalOr: '(a != 0u) || (b != 0u)',
  logicalXor: '(a != 0u) != (b != 0u)',
} as const;
