/**
 * The WGSL of the unary primitives, `out[i] = f(a[i])`: each runs as part of a generated
 * elementwise kernel (`lazy/fusion.ts`), fused with the elementwise ops around it.
 */

/** The expressions of the unary primitives, in terms of `a` (the element). */
export const UNARY_EXPR = {
  exp: 'exp(a)',
  log: 'log(a)',
  sqrt: 'sqrt(a)',
  recip: '1.0 / a',
  sin: 'sin(a)',
  cos: 'cos(a)',
  tanh: 'tanh(a)',
  sign: 'sign(a)',
  logicalNot: 'select(1u, 0u, a != 0u)',
} as const;
