export { dtypeOf, type NpyArrayTypes, type NpyDtype, type NpyTypedArray } from './dtype.js';
export type { NpyHeader } from './header.js';
export { type NpyArray, parseNpy, readNpy, readNpyHeader } from './read.js';
export { NpyWriter, writeNpy } from './write.js';
