/**
 * `@trm/nn`: layers for Tiny Recursive Models on `@trm/tensor` — a PyTorch-style
 * {@link Module} with named parameters, buffers and state dicts, and the layers of the TRM
 * reference (spec §2–3).
 *
 * @packageDocumentation
 */
export { lecunStd, truncNormalInit } from './init.js';
export { Attention } from './layers/attention.js';
export { Embedding } from './layers/embedding.js';
export { Linear } from './layers/linear.js';
export { SparsePuzzleEmbedding } from './layers/puzzle-embedding.js';
export { rmsNorm } from './layers/rms-norm.js';
export { RotaryEmbedding, rotateHalf } from './layers/rotary.js';
export { SwiGLU, swigluIntermediate } from './layers/swiglu.js';
export { Module, StateDictError, type StateEntry } from './module.js';
