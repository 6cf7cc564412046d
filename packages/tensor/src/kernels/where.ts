/**
 * `where(cond, a, b)`: a three-input broadcasting kernel (see `binary.ts`); `cond` is a bool
 * (u32) tensor. Inputs are named `a` (cond), `b` (if true) and `c` (if false) in the template.
 */
export const WHERE_EXPR = 'select(c, b, a != 0u)';
