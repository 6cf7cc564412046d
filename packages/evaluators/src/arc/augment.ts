/**
 * The ARC augmentation helpers this package needs, taken from `@trm/datasets` so that
 * variant names, inverse transforms and grid hashes agree exactly with the builder.
 */
export { gridHash, inverseAugment } from '@trm/datasets';
